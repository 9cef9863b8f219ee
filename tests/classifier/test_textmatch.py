"""AnyOf finds what one big alternation would find, only faster."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from loopguard.classifier.text.anyof import AnyOf, _literal_key, _needed

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


def test_needed_literals_are_top_level_runs() -> None:
    assert _needed(re.compile(r"(?:to|on) my [^\n]{0,30}guest list")) == "guest list"
    assert _needed(re.compile(r"confirm (?:that )?you")) == "confirm "
    assert _needed(re.compile(r"(?:a|b)x?yz")) == ""
    assert _needed(re.compile("do not", re.I)) == ""


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


NEEDING = (
    "unsubscribe",
    r"(?:to|on) my [^\n]{0,30}guest list",
    r"(?:x|y)+ your (?:mail|message) delivered",
    r"confirm (?:that )?you",
)


@given(
    st.lists(
        st.sampled_from(
            [
                "to my ",
                "on my list ",
                "guest list",
                "y your message delivered",
                " your mail ",
                "delivered",
                "confirm ",
                "that ",
                "you",
                "unsubscribe",
                "xx",
                " ",
                "\n",
            ]
        ),
        max_size=30,
    ).map("".join),
    st.integers(0, 40),
)
def test_the_needed_literal_skips_only_branches_that_cannot_match(text: str, start: int) -> None:
    from unittest import mock

    from loopguard.classifier.text import anyof

    with mock.patch.object(anyof, "_needed", return_value=""):
        unfiltered = AnyOf(NEEDING)
    filtered = AnyOf(NEEDING)
    ours, reference = filtered.search(text, start), unfiltered.search(text, start)
    assert (ours and ours.span()) == (reference and reference.span())
    assert filtered.starts(text) == unfiltered.starts(text)


OVERLAPPING = (
    r"be delivered(?: now)?",
    r"could ?n[o']t be delivered",
    "not be",
    r"it [^\n]{0,20}now",
)


@given(
    st.lists(
        st.sampled_from(["it ", "could ", "not ", "be ", "delivered ", "now ", "x", "\n"]),
        max_size=20,
    ).map("".join),
    st.permutations(OVERLAPPING),
)
def test_the_earliest_start_whatever_the_branch_order(text: str, order: list[str]) -> None:
    # A branch tried later may match earlier and run past the best start so far ("could
    # not be delivered" behind "be delivered"): it must still win.
    found = AnyOf(order).search(text)
    starts = [m.start() for m in (re.search(branch, text) for branch in order) if m]
    assert (found.start() if found else None) == (min(starts) if starts else None)
