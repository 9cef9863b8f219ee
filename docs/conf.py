"""Sphinx configuration: MyST Markdown pages, furo theme, API reference from docstrings."""

from __future__ import annotations

import loopguard

project = "loopguard"
author = "The loopguard authors"
copyright = "2026, the loopguard authors"
release = loopguard.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.graphviz",
]
# The architecture picture is drawn at build time (Graphviz's dot) as SVG: no script runs
# in the reader's browser.
graphviz_output_format = "svg"
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# Links such as [the rules](classification.md#header-rules) need heading anchors.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# Attributes sections as fields: autodoc documents dataclass fields as members already.
napoleon_use_ivar = True

html_theme = "furo"
html_title = f"loopguard {release}"
