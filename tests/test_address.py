from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from loopguard.mail.address import domain_of, local_part_of, normalize_address


def test_display_name_brackets_and_case_are_dropped() -> None:
    assert normalize_address("Bob Smith <Bob.Smith@Example.COM>") == "bob.smith@example.com"
    assert normalize_address("  <a@b.org>  ") == "a@b.org"


def test_null_and_empty_paths_are_none() -> None:
    assert normalize_address("<>") is None
    assert normalize_address("") is None
    assert normalize_address(None) is None
    assert normalize_address("not an address") is None


def test_idna_domain_becomes_ascii() -> None:
    assert normalize_address("x@Bücher.de") == "x@xn--bcher-kva.de"


def test_subaddress_folding_is_optional() -> None:
    assert normalize_address("user+tag@example.org") == "user+tag@example.org"
    assert normalize_address("user+tag@example.org", fold_subaddress=True) == "user@example.org"


def test_bare_local_part_is_kept() -> None:
    assert normalize_address("MAILER-DAEMON") == "mailer-daemon"
    assert domain_of("mailer-daemon") == ""
    assert local_part_of("a@b") == "a"


@given(st.text(max_size=300))
def test_never_raises_and_is_idempotent(text: str) -> None:
    once = normalize_address(text)
    if once is not None:
        assert normalize_address(once) == once


@given(st.from_regex(r"[a-z0-9._-]{1,20}@[a-z0-9-]{1,20}\.[a-z]{2,6}", fullmatch=True))
def test_case_does_not_change_the_key(addr: str) -> None:
    assert normalize_address(addr.upper()) == normalize_address(addr)
