"""The fast MIME tree equals the stdlib parser's, message for message, or is not built."""

from __future__ import annotations

import email.message
import email.parser
import email.policy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopguard.mail.mime import parse, parse_fast
from loopguard.mail.view import MessageView

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def shape(message: email.message.Message) -> tuple[Any, ...]:
    """Everything the stdlib parser decides about a message, its parts included."""
    payload = vars(message).get("_payload")
    return (
        type(message),
        message._headers,  # type: ignore[attr-defined]
        message.get_unixfrom(),
        message.preamble,
        message.epilogue,
        [type(defect) for defect in message.defects],
        message.get_default_type(),
        [shape(part) for part in payload] if isinstance(payload, list) else payload,
    )


def stdlib(data: bytes) -> email.message.Message:
    return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)


def agrees(data: bytes) -> bool | None:
    """Whether the fast tree equals the stdlib's (``None``: left to the stdlib)."""
    fast = parse_fast(data.decode("ascii", "surrogateescape"))
    return None if fast is None else shape(fast) == shape(stdlib(data))


def _inputs(folder: Path) -> list[bytes]:
    """What the body step parses: each message as the view cuts it."""
    return [
        MessageView.from_bytes(path.read_bytes())._parse_input()
        for path in sorted(folder.rglob("*.eml"))
    ]


def test_every_fixture_gets_the_stdlib_tree() -> None:
    results = [agrees(data) for data in _inputs(FIXTURES)]
    assert False not in results
    assert results.count(True) >= 0.97 * len(results)


@pytest.mark.corpus
def test_every_corpus_message_gets_the_stdlib_tree(corpus_dir: Path) -> None:
    results = [agrees(data) for data in _inputs(corpus_dir / "messages")]
    assert False not in results
    assert results.count(True) >= 0.95 * len(results)


@pytest.mark.corpus
def test_messages_cut_anywhere_get_the_stdlib_tree(corpus_dir: Path) -> None:
    # The body step parses at most 64 KiB: a cut inside a header, a boundary or a part.
    for data in _inputs(corpus_dir / "messages")[::7]:
        for cut in range(len(data) // 13, len(data), max(1, len(data) // 13)):
            assert agrees(data[:cut]) is not False, (cut, data[:cut][-200:])


def test_a_multipart_cut_after_a_boundary_line_is_followed() -> None:
    data = b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nhello\n--b\n'
    assert agrees(data) is True


def test_parse_falls_back_to_the_stdlib_on_shapes_it_does_not_follow() -> None:
    lone_cr = b"Subject: x\r\rbody\n"
    no_start = b'Content-Type: multipart/mixed; boundary="b"\n\ntext without boundary\n'
    for data in (lone_cr, no_start):
        assert parse_fast(data.decode("ascii", "surrogateescape")) is None
        assert shape(parse(data)) == shape(stdlib(data))


_NEWLINES = st.sampled_from(["\n", "\r\n"])
_BOUNDARY_PADDING = st.sampled_from(["", " ", "\t", "--x"])
_BOUNDARY = st.sampled_from(["b", "b1", "==x==", "----=_Part_0", "outer", "a:b", "x y"])
_TEXT_LINES = st.lists(
    st.sampled_from(
        ["hello", "", " ", "--", "-- ", "--b", "--b--", "--b1 ", "From me", "a: b", "\t"]
    )
    | st.text(alphabet=st.characters(max_codepoint=0x7F, blacklist_characters="\r\n"), max_size=20),
    max_size=5,
)
_FIELDS = st.lists(
    st.sampled_from(
        [
            "X-A: 1",
            "X-B:",
            "X-C:\tv",
            "X-D: folded\n\tline",
            "X-E:  two\n  lines\n more",
            "Content-Disposition: attachment",
            "Content-Transfer-Encoding: base64",
            "Content-Transfer-Encoding: quoted-printable",
            "MIME-Version: 1.0",
            ": no name",
            " starts folded",
            "not a field",
            "From someone",
        ]
    ),
    max_size=3,
)


@st.composite
def _part(draw: st.DrawFn, depth: int = 0) -> list[str]:
    """A MIME entity as lines (without line ends): headers, a blank line, a body."""
    fields = draw(_FIELDS)
    kind = draw(
        st.sampled_from(["text", "text", "multipart", "digest", "rfc822", "status"])
        if depth < 3
        else st.just("text")
    )
    if kind == "text":
        ctype = draw(st.sampled_from(["", "Content-Type: text/plain", "Content-Type: text/html"]))
        return [*fields, *([ctype] if ctype else []), "", *draw(_TEXT_LINES)]
    if kind == "rfc822":
        return [*fields, "Content-Type: message/rfc822", "", *draw(_part(depth + 1))]
    if kind == "status":
        blocks = draw(
            st.lists(
                st.lists(
                    st.sampled_from(["Action: failed", "Status: 5.1.1", "X: y\n z"]), max_size=3
                ),
                max_size=3,
            )
        )
        body = [line for block in blocks for line in [*block, ""]]
        return [*fields, "Content-Type: message/delivery-status", "", *body]
    boundary = draw(_BOUNDARY) + str(depth)
    subtype = "digest" if kind == "digest" else draw(st.sampled_from(["mixed", "alternative"]))
    lines = [*fields, f'Content-Type: multipart/{subtype}; boundary="{boundary}"', ""]
    lines += draw(_TEXT_LINES)  # preamble
    for part in draw(st.lists(_part(depth + 1), min_size=1, max_size=3)):
        lines += ["--" + boundary + draw(_BOUNDARY_PADDING), *part]
    if draw(st.booleans()):
        lines += [f"--{boundary}--", *draw(_TEXT_LINES)]  # close, epilogue
    return lines


@settings(max_examples=600)
@given(_part(), _NEWLINES, st.booleans(), st.integers(min_value=0, max_value=10_000))
def test_generated_messages_get_the_stdlib_tree(
    lines: list[str], newline: str, trailing: bool, cut: int
) -> None:
    text = newline.join(line.replace("\n", newline) for line in lines) + (
        newline if trailing else ""
    )
    data = text.encode("ascii")
    assert agrees(data) is not False
    assert agrees(data[: cut % (len(data) + 1)]) is not False
