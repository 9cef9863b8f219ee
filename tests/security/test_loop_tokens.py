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
    token = OURS.issue("m1@example.org")
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
    for recipient in ("m1@example.org", "m2@example.org", None):
        assert not OURS.verify(other.issue(recipient))


def test_every_single_digit_change_is_rejected() -> None:
    token = OURS.issue("m1@example.org")
    prefix = len("lg2.")
    for index in range(prefix, len(token)):
        if token[index] == ".":
            continue
        for digit in HEX:
            if digit != token[index]:
                forged = token[:index] + digit + token[index + 1 :]
                assert not OURS.verify(forged), forged


def test_a_token_moved_to_another_nonce_is_rejected() -> None:
    # The MAC binds the nonce: reusing a seen MAC with a chosen nonce does not verify.
    _, nonce, mac = OURS.issue("m1@example.org").split(".")
    other_nonce = OURS.issue("m2@example.org").split(".")[1]
    assert other_nonce != nonce
    assert not OURS.verify(f"lg2.{other_nonce}.{mac}")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "lg2..",
        "lg2.0123456789abcdef01234567.",
        "lg1.0123456789abcdef.0123456789abcdef0123",  # the unbound first version
        "lg2.0123456789abcdef.0123456789abcdef0123",
        "lg2.é.x",
    ],
)
def test_malformed_tokens_are_rejected(value: str) -> None:
    assert not OURS.verify(value)


@given(
    st.text(alphabet=HEX, min_size=24, max_size=24), st.text(alphabet=HEX, min_size=20, max_size=20)
)
def test_random_tokens_are_rejected(nonce: str, mac: str) -> None:
    # 80-bit MACs: a random guess passes with probability 2**-80.
    assert not OURS.verify(f"lg2.{nonce}.{mac}")


def test_the_mac_is_compared_with_hmac_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: object, b: object) -> bool:
        calls.append((a, b))
        return real(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(hmac, "compare_digest", spy)
    token = OURS.issue("m1@example.org")
    assert OURS.verify(token)
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert not OURS.verify(forged)
    assert len(calls) == 2
    assert calls[1][1] == forged.rsplit(".", 1)[1]


def test_the_answer_is_the_constant_time_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    # If verify() compared with == anywhere, a refusing compare_digest would not matter.
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: False)
    assert not OURS.verify(OURS.issue("m1@example.org"))
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: True)
    assert OURS.verify("lg2.0123456789abcdef01234567.0123456789abcdef0123")


def test_a_token_binds_the_address_it_was_sent_to_and_its_age() -> None:
    token = OURS.issue("vera@customer.example", at=1_800_000_000)
    week = 7 * 86400.0
    assert OURS.binds(token, "vera@customer.example", now=1_800_000_100, max_age=week)
    assert not OURS.binds(token, "victim@customer.example", now=1_800_000_100, max_age=week)
    assert not OURS.binds(
        token, "vera@customer.example", now=1_800_000_000 + week + 1, max_age=week
    )
    assert not OURS.binds(token, "vera@customer.example", now=1_799_990_000, max_age=week)
    other = LoopToken(b"another secret", "help@example.org")
    assert not OURS.binds(other.issue("vera@customer.example", at=1_800_000_000),
                          "vera@customer.example", now=1_800_000_100, max_age=week)  # fmt: skip
