"""Classification: who wrote a message, a person or which kind of machine, and why.

:func:`classify` and :class:`Classifier` (the pipeline), the verdict types, the header and
body rules (:mod:`loopguard.classifier.rules`), the language data and out-of-office scoring
(:mod:`loopguard.classifier.text`) and the bounce reader (:mod:`loopguard.classifier.bounce`).
"""

from __future__ import annotations

from loopguard.classifier.pipeline import Classifier, classify
from loopguard.classifier.verdict import Bounce, Category, Reason, Verdict

__all__ = ["Bounce", "Category", "Classifier", "Reason", "Verdict", "classify"]
