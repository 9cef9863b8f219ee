"""The header splitter: where the header block ends, whatever line endings it uses."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from loopguard.mail.headers import MAX_HEADER_BYTES, _end_of_headers, split_headers

_BLANK_LINE = re.compile(rb"\n\r?\n")


@given(st.lists(st.sampled_from([b"a", b"b: c", b"\r", b"\n", b"\r\n", b" "]), max_size=30))
def test_the_header_block_ends_at_the_first_blank_line(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    found = _BLANK_LINE.search(raw, 0, MAX_HEADER_BYTES)
    expected = None
    if found is not None:
        start = found.start() - (found.start() > 0 and raw[found.start() - 1] == 13)
        expected = (start, found.end())
    assert _end_of_headers(raw) == expected


def test_mixed_line_endings_find_the_earlier_blank_line() -> None:
    assert split_headers(b"A: 1\r\nB: 2\n\nbody\r\n\r\n").body_offset == len(b"A: 1\r\nB: 2\n\n")
    assert split_headers(b"A: 1\nB: 2\r\n\r\nbody\n\n").body_offset == len(b"A: 1\nB: 2\r\n\r\n")
