"""Streaming readers: .eml, mbox, Maildir, trees and stdin, one message at a time."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopguard.cli import mailbox
from loopguard.cli.mailbox import MailItem, ReadError, input_size, read_inputs, read_mbox, reread
from loopguard.testing import build_message


def read(*inputs: str | Path) -> list[MailItem | ReadError]:
    return list(read_inputs([str(name) for name in inputs]))


def found_in(*inputs: str | Path) -> list[tuple[str, bytes] | ReadError]:
    """(location, raw) per message, errors as they are."""
    return [
        (item.location, item.raw) if isinstance(item, MailItem) else item for item in read(*inputs)
    ]


def test_eml_file_is_one_message(tmp_path: Path, human: bytes) -> None:
    path = tmp_path / "one.eml"
    path.write_bytes(human)
    assert found_in(path) == [(str(path), human)]


def test_mbox_is_split_at_from_lines(write_mbox: Callable[..., Path], human: bytes) -> None:
    second = build_message(subject="Second")
    path = write_mbox([human, second])
    assert found_in(path) == [(f"{path}:1", human), (f"{path}:2", second)]


def test_every_message_can_be_read_again_from_its_file(
    write_mbox: Callable[..., Path], make_maildir: Callable[..., Path], human: bytes
) -> None:
    messages = [build_message(subject=f"number {n}") for n in range(5)]
    found = read(write_mbox(messages), make_maildir(new=[human]))
    assert [item.raw for item in found if isinstance(item, MailItem)] == [*messages, human]
    assert all(
        isinstance(item, MailItem)
        and item.path is not None
        and reread(item.path, item.offset, len(item.raw)) == item.raw
        for item in found
    )


def test_crlf_mbox(write_mbox: Callable[..., Path]) -> None:
    first = build_message(subject="First", crlf=True)
    second = build_message(subject="Second", crlf=True)
    found = read(write_mbox([first, second], crlf=True))
    assert [item.raw for item in found if isinstance(item, MailItem)] == [first, second]


def test_from_line_in_mid_paragraph_stays_in_the_body(write_mbox: Callable[..., Path]) -> None:
    body = "Hello,\nFrom what I see, it works.\n>From the archive.\n"
    raw = build_message(body=body)
    found = read(write_mbox([raw, build_message()]))
    assert len(found) == 2
    assert isinstance(found[0], MailItem)
    assert found[0].raw == raw


def test_mbox_without_extension_is_sniffed(
    tmp_path: Path, mbox_bytes: Callable[..., bytes]
) -> None:
    path = tmp_path / "Inbox"
    path.write_bytes(mbox_bytes([build_message(), build_message()]))
    assert [item.location for item in read(path)] == [f"{path}:1", f"{path}:2"]


@given(
    st.lists(
        st.lists(
            st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=30).filter(
                lambda line: not line.startswith("From ")
            ),
            max_size=6,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_mbox_round_trip(bodies: list[list[str]]) -> None:
    messages = [build_message(body="\n".join(lines) + "\n") for lines in bodies]
    found = list(read_mbox(io.BytesIO(_mbox(messages)), "box"))
    assert [item.raw.rstrip(b"\n") for item in found if isinstance(item, MailItem)] == [
        raw.rstrip(b"\n") for raw in messages
    ]


def _mbox(messages: list[bytes]) -> bytes:
    return b"".join(b"From x@example.com Mon Nov 23 10:00:00 2026\n" + m + b"\n" for m in messages)


def test_maildir_reads_new_then_cur_never_tmp(
    make_maildir: Callable[..., Path], human: bytes, auto_reply: bytes
) -> None:
    root = make_maildir(new=[human], cur=[auto_reply])
    found = read(root)
    assert [item.raw for item in found if isinstance(item, MailItem)] == [human, auto_reply]
    assert [Path(item.location).parent.name for item in found] == ["new", "cur"]


def test_tree_is_walked_recursively_and_skips_other_files(
    tmp_path: Path,
    make_maildir: Callable[..., Path],
    write_mbox: Callable[..., Path],
    human: bytes,
) -> None:
    make_maildir(new=[human], name="nested/Maildir")
    write_mbox([human, human], name="archive.mbox")
    (tmp_path / "a.eml").write_bytes(human)
    (tmp_path / "README.md").write_text("Not mail.\n")
    (tmp_path / ".hidden.eml").write_bytes(human)
    locations = [item.location for item in read(tmp_path)]
    assert locations == [
        str(tmp_path / "a.eml"),
        f"{tmp_path / 'archive.mbox'}:1",
        f"{tmp_path / 'archive.mbox'}:2",
        str(tmp_path / "nested" / "Maildir" / "new" / "1700000000.0.host"),
    ]


def test_stdin_single_message_and_mbox(
    monkeypatch: pytest.MonkeyPatch, human: bytes, mbox_bytes: Callable[..., bytes]
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(human)))
    assert found_in("-") == [("-", human)]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(mbox_bytes([human, human]))))
    assert [item.location for item in read("-")] == ["-:1", "-:2"]


def test_unreadable_inputs_are_one_line_errors_and_the_run_goes_on(
    tmp_path: Path, human: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "good.eml").write_bytes(human)
    (tmp_path / "locked.eml").write_bytes(human)
    (tmp_path / "empty.eml").write_bytes(b"")
    real_open = Path.open

    def guarded_open(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "locked.eml":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", guarded_open)
    found = found_in(tmp_path / "missing.eml", tmp_path)
    assert found == [
        ReadError(str(tmp_path / "missing.eml"), "No such file or directory"),
        ReadError(str(tmp_path / "empty.eml"), "empty, no message"),
        (str(tmp_path / "good.eml"), human),
        ReadError(str(tmp_path / "locked.eml"), "Permission denied"),
    ]
    assert all("\n" not in str(error) for error in found if isinstance(error, ReadError))


def test_a_huge_message_is_cut(
    write_mbox: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mailbox, "MAX_MESSAGE_BYTES", 1000)
    big = build_message(body="x" * 70 + "\n" * 1 + ("y" * 70 + "\n") * 100)
    found = read(write_mbox([big, build_message(subject="after")]))
    assert len(found) == 2
    assert isinstance(found[0], MailItem)
    assert 1000 <= len(found[0].raw) < 1100
    assert isinstance(found[1], MailItem)
    assert b"Subject: after" in found[1].raw


def test_reading_a_large_mbox_keeps_memory_flat(tmp_path: Path) -> None:
    message = build_message(body="Hello,\n\n" + "a line of text in the body\n" * 40)
    path = tmp_path / "big.mbox"
    with path.open("wb") as handle:
        for _ in range(10_000):
            handle.write(b"From x@example.com Mon Nov 23 10:00:00 2026\n" + message + b"\n")
    assert path.stat().st_size > 10_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_inputs([str(path)]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 10_000
    assert peak < 200_000  # a few messages' worth, not the 10 MB file


def test_input_size(tmp_path: Path, human: bytes) -> None:
    (tmp_path / "a.eml").write_bytes(human)
    assert input_size([str(tmp_path / "a.eml"), str(tmp_path)]) == 2 * len(human)
    assert input_size(["-"]) is None
