"""Text evidence: the language data, the author's own words, out-of-office scoring."""
