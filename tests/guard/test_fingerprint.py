"""The repeated-content digest: author text only, numbers and dates folded, keyed."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from loopguard.classifier.text.patterns import fold
from loopguard.guard.fingerprint import CALENDAR_WORDS, content_digest, normalized_text
from loopguard.mail.view import MessageView
from loopguard.testing import build_message

ACK = "Your ticket #{n} was received on {day}, {date} at {time}. We will get back to you soon."


def digest(body: str, secret: bytes | None = b"k", **kwargs: object) -> str | None:
    view = MessageView.from_bytes(build_message(body=body))
    return content_digest(view, secret=secret, **kwargs)  # type: ignore[arg-type]


def test_numbers_dates_and_ticket_ids_fold() -> None:
    first = ACK.format(n="4711", day="Monday", date="3 March 2026", time="10:31")
    second = ACK.format(n="A-4712", day="Tue", date="4 Mar 2026", time="11:02")
    assert normalized_text(first) == normalized_text(second)
    assert digest(first) == digest(second)


def test_quotes_are_not_the_authors_text() -> None:
    reply = "Please stop sending me these automatic messages right now."
    one = f"{reply}\n\nOn Monday, Help Desk wrote:\n> Ticket 1 received.\n"
    two = f"{reply}\n\nOn Tuesday, Help Desk wrote:\n> Ticket 2 was received, thanks.\n"
    assert digest(one) == digest(two)


def test_different_words_differ() -> None:
    assert digest("Please reset my password for the billing portal.") != digest(
        "Please reset my password for the support portal."
    )


def test_short_text_has_no_digest() -> None:
    assert digest("Thanks!") is None
    assert digest("OK 12345 67890 2026-03-03") is None
    assert digest("Thanks!", min_chars=3) is not None


def test_the_digest_is_keyed() -> None:
    text = "An identical text, long enough to be compared with others."
    assert digest(text, b"one") != digest(text, b"two")
    assert digest(text, None) == digest(text, None)
    assert len(digest(text) or "") == 32


def test_case_whitespace_and_punctuation_do_not_matter() -> None:
    assert normalized_text("Hello,   WORLD!\n-- \n") == normalized_text("hello world")


def test_an_unreadable_body_has_no_digest() -> None:
    raw = b"From: a@example.com\nContent-Type: multipart/mixed\n\n\xff\xfe garbage"
    assert content_digest(MessageView.from_bytes(raw)) is None


@given(st.text(max_size=300))
def test_normalization_is_idempotent(text: str) -> None:
    once = normalized_text(text)
    assert normalized_text(once) == once


def test_linear_on_a_hostile_token() -> None:
    start = time.perf_counter()
    normalized_text("a" * 200_000 + "1" + " b" * 50_000)
    assert time.perf_counter() - start < 1.0


def plain_normalized_text(text: str) -> str:
    """The normalization word by word, as first written (the reference for the fast one)."""
    words: list[str] = []
    for raw in fold(text).split():
        word = raw.strip(".,;:!?()[]{}<>\"'`*_-=/\\|")
        if any(char.isdigit() for char in raw):
            word = "#"
        elif word in CALENDAR_WORDS:
            word = "@"
        elif not word:
            continue
        if words and word in ("#", "@") and words[-1] == word:
            continue
        words.append(word)
    return " ".join(words)


@given(
    st.lists(
        st.one_of(
            st.text(max_size=8),
            st.sampled_from(["May", "monday", "#", "@", "1", "²", "٣", "--", "x.", "\u00a0"]),
        ),
        max_size=30,
    ).map(" ".join)
)
def test_normalization_equals_the_plain_word_by_word_form(text: str) -> None:
    assert normalized_text(text) == plain_normalized_text(text)
