"""The phrase index: which of many phrases a text can match, found without running them.

A :class:`CompiledPhrase` carries the words any match of it holds and an anchor every match
contains; a :class:`PhraseIndex` groups the phrases of several lists by those, so that a
text (folded with :func:`~loopguard.classifier.text.patterns.fold`) is looked up once for
every list, its words split in C and its anchors searched with ``str`` containment.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["WORD", "CompiledPhrase", "PhraseIndex", "non_ascii_characters"]

#: A word, as anchors and texts are split into words.
WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True, eq=False)
class CompiledPhrase:
    """One body phrase: its language, its regex, and a lowercase literal every match contains.

    The anchors are cheap tests that skip the regex for almost every phrase: running a thousand
    alternatives over every position of a long text is what made one combined regex slow.
    ``words`` are the phrase's words that any match contains as complete words (set lookups);
    ``anchor`` is its longest word, tested as a substring (it may run into more letters, and
    scripts without spaces have no words to look up).

    Compared and hashed by identity (the phrases live as long as their pattern set): a
    text's candidate tuples key small caches, the alternation of its line markers, and
    hashing every field of twenty phrases took 7 µs.
    """

    language: str
    regex: re.Pattern[str]
    anchor: str
    words: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, eq=False)
class PhraseIndex:
    """The phrases of several lists grouped so that a text only meets those it can match,
    looked up once per text for every list (the lookup is kept for the last eight texts).

    ``by_word`` keys each phrase by its longest complete word: only phrases whose key word
    occurs in the text are tried. Phrases without complete words (scripts written without
    spaces, markers whose words run into a ``*``) are grouped in ``by_anchor`` by their
    anchor: a text is searched once per distinct anchor, not once per phrase (twelve
    Scandinavian markers share "skrev"). A text is searched for the few ASCII anchors
    (``ascii_anchors``: 60 of 480, say) and for the others (``other_anchors``, keyed by
    their first character beyond ASCII) only when it holds every character of theirs
    beyond ASCII: an English newsletter with one no-break space is not searched for
    "escribió" or "napisał". Each phrase is listed with the name of its list.
    """

    by_word: Mapping[str, tuple[tuple[str, CompiledPhrase], ...]]
    key_words: frozenset[str]
    by_anchor: Mapping[str, tuple[tuple[str, CompiledPhrase], ...]]
    ascii_anchors: tuple[str, ...]
    other_anchors: Mapping[str, tuple[tuple[str, frozenset[str]], ...]]

    @classmethod
    def build(cls, lists: Iterable[tuple[str, Iterable[CompiledPhrase]]]) -> PhraseIndex:
        """The index of ``(list name, phrases)`` pairs."""
        by_word: dict[str, list[tuple[str, CompiledPhrase]]] = {}
        by_anchor: dict[str, list[tuple[str, CompiledPhrase]]] = {}
        for kind, phrases in lists:
            for phrase in phrases:
                if phrase.words:
                    by_word.setdefault(max(phrase.words, key=len), []).append((kind, phrase))
                else:
                    by_anchor.setdefault(phrase.anchor, []).append((kind, phrase))
        others: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for anchor in by_anchor:
            beyond = [char for char in anchor if not char.isascii()]
            if beyond:
                others.setdefault(beyond[0], []).append((anchor, frozenset(beyond)))
        return cls(
            {word: tuple(found) for word, found in by_word.items()},
            frozenset(by_word),
            {anchor: tuple(found) for anchor, found in by_anchor.items()},
            tuple(anchor for anchor in by_anchor if anchor.isascii()),
            {char: tuple(found) for char, found in others.items()},
        )

    def candidates(self, folded: str) -> Mapping[str, tuple[CompiledPhrase, ...]]:
        """The phrases that can match a text (given as ``fold(text)``), by list: all their
        complete words and their anchor occur in it."""
        return _candidates(self, folded)

    def _anchors_in(self, folded: str) -> Iterator[str]:
        yield from (anchor for anchor in self.ascii_anchors if anchor in folded)
        if folded.isascii():
            return
        held = non_ascii_characters(folded)
        for char in held & self.other_anchors.keys():
            for anchor, needed in self.other_anchors[char]:
                if needed <= held and anchor in folded:
                    yield anchor


@functools.lru_cache(maxsize=8)
def _candidates(index: PhraseIndex, folded: str) -> Mapping[str, tuple[CompiledPhrase, ...]]:
    found: dict[str, list[CompiledPhrase]] = {}
    words = _words(folded)
    # Phrases share anchors ("monday", "office"): each is looked for once per text, and a
    # word of the text needs no search.
    held: dict[str, bool] = {}
    for word in words & index.key_words:
        for kind, phrase in index.by_word[word]:
            if not phrase.words <= words:
                continue
            anchor = phrase.anchor
            if anchor not in held:
                held[anchor] = anchor in words or anchor in folded
            if held[anchor]:
                found.setdefault(kind, []).append(phrase)
    for anchor in index._anchors_in(folded):
        for kind, phrase in index.by_anchor[anchor]:
            found.setdefault(kind, []).append(phrase)
    return {kind: tuple(phrases) for kind, phrases in found.items()}


@functools.lru_cache(maxsize=8)
def _words(folded: str) -> frozenset[str]:
    """The words of a text, as :data:`WORD` finds them; once per text and message.

    Every ASCII character but a letter or a digit separates words: a C-level translate
    of the UTF-8 bytes and a split find them, several times cheaper than the regex. Only
    the few pieces holding other characters (an accent, a curly apostrophe) are split by
    the regex.
    """
    try:
        data = folded.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return frozenset(WORD.findall(folded))
    # UTF-8 keeps every other character in bytes >= 0x80, which the translate leaves as
    # they are: the bytes still decode. str.split also cuts at the Unicode spaces (a
    # no-break space), which the regex never takes into a word either.
    pieces = data.translate(_ASCII_BYTE_SEPARATORS).decode("utf-8").split()
    if folded.isascii():
        return frozenset(pieces)
    words = set(pieces)
    for piece in [word for word in words if not word.isascii()]:
        words.discard(piece)  # a piece never equals a word of another piece but its own
        words.update(WORD.findall(piece))
    return frozenset(words)


@functools.lru_cache(maxsize=8)
def non_ascii_characters(folded: str) -> frozenset[str]:
    """The characters of a text beyond ASCII: its UTF-8 bytes without the ASCII ones,
    decoded (a C-level pass instead of a set of every character)."""
    try:
        data = folded.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return frozenset(folded)
    return frozenset(data.translate(None, _ASCII_BYTES).decode("utf-8"))


_ASCII_BYTES = bytes(range(128))
_ASCII_BYTE_SEPARATORS = bytes(c if c > 127 or chr(c).isalnum() else 32 for c in range(256))
