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


_ATOM = st.text(alphabet="abcXYZ019_.+-=?!#'/ü", min_size=1, max_size=8)
_ADDRESS = st.builds("{}@{}".format, _ATOM, _ATOM)
_NAME_PIECE = (
    _ATOM
    | st.sampled_from([" ", "  ", "\t", ".", "<", ">", "@", ",", ":", ";", "(", ")", "[", "\\"])
    | st.builds('"{}"'.format, st.text(alphabet='ab .,@<>()\\"\r', max_size=6))
)


@given(
    st.one_of(
        st.builds("{}<{}>".format, st.lists(_NAME_PIECE, max_size=6).map("".join), _ADDRESS),
        st.builds(
            "{}{}".format,
            _ADDRESS,
            st.sampled_from(["", " ", "\t"]).flatmap(
                lambda gap: st.builds(f"{gap}({{}})".format, st.text("ab .@<>()\\\r", max_size=6))
            )
            | st.just(""),
        ),
        _ATOM,
        st.lists(_NAME_PIECE | _ADDRESS, max_size=6).map("".join),
    )
)
def test_the_fast_forms_read_what_the_stdlib_parser_reads(text: str) -> None:
    import email.utils

    from loopguard.mail.address import _SIMPLE

    simple = _SIMPLE.fullmatch(text)
    if simple is not None:
        assert next(filter(None, simple.groups())) == email.utils.parseaddr(text)[1]


def test_common_display_forms_take_the_fast_path() -> None:
    from loopguard.mail.address import _SIMPLE

    for value in (
        '"Carl Worth" <cworth@cworth.org>',
        "MAILER-DAEMON@mx.example.org (Mail Delivery System)",
        "=?iso-8859-15?Q?shironeko?= <shironeko@example.org>",
        "Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>",
        "mailer-daemon",
    ):
        assert _SIMPLE.fullmatch(value), value
