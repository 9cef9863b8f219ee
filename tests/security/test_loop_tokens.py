"""Loop tokens cannot be forged without the secret, and are compared in constant time."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopguard.guard.outbound import LoopToken

OURS = LoopToken(b"our secret", "help@example.org")
HEX = "0123456789abcdef"


def test_a_token_of_ours_verifies() -> None:
    token = OURS.issue("<m1@example.org>")
    assert OURS.verify(token)
    assert OURS.verify(token.upper())  # header values may change case on the way


@pytest.mark.parametrize(
    "other",
    [
        LoopToken(b"another secret", "help@example.org"),  # another installation
        LoopToken(b"our secret", "sales@example.org"),  # same secret, other identity
        LoopToken(b"our secret ", "help@example.org"),
    ],
)
def test_tokens_made_with_another_key_are_rejected(other: LoopToken) -> None:
    for seed in ("<m1@example.org>", "<m2@example.org>", None):
        assert not OURS.verify(other.issue(seed))


def test_every_single_digit_change_is_rejected() -> None:
    token = OURS.issue("<m1@example.org>")
    prefix = len("lg1.")
    for index in range(prefix, len(token)):
        if token[index] == ".":
            continue
        for digit in HEX:
            if digit != token[index]:
                forged = token[:index] + digit + token[index + 1 :]
                assert not OURS.verify(forged), forged


def test_a_token_moved_to_another_nonce_is_rejected() -> None:
    # The MAC binds the nonce: reusing a seen MAC with a chosen nonce does not verify.
    _, nonce, mac = OURS.issue("<m1@example.org>").split(".")
    other_nonce = OURS.issue("<m2@example.org>").split(".")[1]
    assert other_nonce != nonce
    assert not OURS.verify(f"lg1.{other_nonce}.{mac}")


@pytest.mark.parametrize(
    "value",
    ["", "lg1..", "lg1.0123456789abcdef.", "lg2.0123456789abcdef.0123456789abcdef0123", "lg1.é.x"],
)
def test_malformed_tokens_are_rejected(value: str) -> None:
    assert not OURS.verify(value)


@given(
    st.text(alphabet=HEX, min_size=16, max_size=16), st.text(alphabet=HEX, min_size=20, max_size=20)
)
def test_random_tokens_are_rejected(nonce: str, mac: str) -> None:
    # 80-bit MACs: a random guess passes with probability 2**-80.
    assert not OURS.verify(f"lg1.{nonce}.{mac}")


def test_the_mac_is_compared_with_hmac_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: object, b: object) -> bool:
        calls.append((a, b))
        return real(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(hmac, "compare_digest", spy)
    token = OURS.issue("<m1@example.org>")
    assert OURS.verify(token)
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert not OURS.verify(forged)
    assert len(calls) == 2
    assert calls[1][1] == forged.rsplit(".", 1)[1]


def test_the_answer_is_the_constant_time_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    # If verify() compared with == anywhere, a refusing compare_digest would not matter.
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: False)
    assert not OURS.verify(OURS.issue("<m1@example.org>"))
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: True)
    assert OURS.verify("lg1.0123456789abcdef.0123456789abcdef0123")
