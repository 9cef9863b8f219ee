"""AnyOf finds what one big alternation would find, only faster."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from loopguard.classifier.text.anyof import AnyOf, _literal_key

BRANCHES = (
    "unsubscribe",
    r"opt[- ]out",
    r"could ?n[o']t be",
    r"(?:please )?do not",
    "ab*c",
    "日本",
)
PHRASES = AnyOf(BRANCHES)
ALTERNATION = re.compile("|".join(f"(?:{b})" for b in BRANCHES))


def test_literal_keys() -> None:
    assert _literal_key("could ?n[o']t be") == "could"
    assert _literal_key("unsubscribe") == "unsubscribe"
    assert _literal_key("(?:please )?do") == ""
    assert _literal_key("ab*c") == ""


@given(
    st.lists(
        st.sampled_from(
            [
                "unsubscribe",
                "opt out",
                "opt-out",
                "couldnt be",
                "could not be",
                "do not",
                "please do not",
                "ac",
                "abbbc",
                "日本",
                "x",
                " ",
                "\n",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_same_earliest_start_as_the_alternation(text: str) -> None:
    ours, reference = PHRASES.search(text), ALTERNATION.search(text)
    assert (ours is None) == (reference is None)
    if ours is not None and reference is not None:
        assert ours.start() == reference.start()
    starts = PHRASES.starts(text)
    assert (reference is None) == (not starts)
    if reference is not None:
        assert starts[0] == reference.start()
