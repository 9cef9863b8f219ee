"""`loopguard classify`: table, --json, --explain, summary, errors, progress, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import loopguard
from loopguard.cli.console import Progress, printable
from loopguard.testing import build_message

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "messages"


def test_table_has_one_aligned_row_per_message_and_a_summary(
    cli: Callable[..., object],
    write_mbox: Callable[..., Path],
    human: bytes,
    auto_reply: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(write_mbox([human, auto_reply]).parent)
    path = "box.mbox"
    result = cli("classify", path)
    assert result.code == 0
    header, first, second, summary = result.out.splitlines()
    assert header.split()[:4] == ["LOCATION", "CATEGORY", "CONF", "TOP"]
    assert first.split()[:4] == [f"{path}:1", "human", "0.850", "-"]
    assert second.split()[:5] == [
        f"{path}:2",
        "auto_reply",
        f"{loopguard.classify(auto_reply).confidence:.3f}",
        "auto-submitted",
        "bob@example.net",
    ]
    assert first.endswith("Where is my order?")
    assert header.index("CATEGORY") == first.index("human") == second.index("auto_reply")
    assert summary == "2 messages: 1 human, 1 auto_reply"
    assert result.err == ""


def test_json_is_one_object_per_message_and_the_summary_on_stderr(
    cli: Callable[..., object], write_mbox: Callable[..., Path], human: bytes, auto_reply: bytes
) -> None:
    path = write_mbox([human, auto_reply])
    result = cli("classify", "--json", str(path))
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [row["location"] for row in rows] == [f"{path}:1", f"{path}:2"]
    assert [row["category"] for row in rows] == ["human", "auto_reply"]
    expected = loopguard.classify(auto_reply)
    assert rows[1]["confidence"] == expected.confidence
    assert rows[1]["reasons"] == [
        {
            "rule": reason.rule,
            "category": reason.category,
            "confidence": reason.confidence,
            "detail": reason.detail,
        }
        for reason in expected.reasons
    ]
    assert rows[1]["reasons"][0]["detail"] == "Auto-Submitted: auto-replied"
    assert rows[1]["sender"] == "bob@example.net"
    assert rows[0]["failed_recipients"] is None
    assert result.err == "2 messages: 1 human, 1 auto_reply\n"


def test_json_lists_the_failed_recipients_of_a_bounce(cli: Callable[..., object]) -> None:
    (row,) = [
        json.loads(line)
        for line in cli("classify", "--json", str(EXAMPLES / "bounce.eml")).out.splitlines()
    ]
    assert row["category"] == "bounce"
    assert row["failed_recipients"] == {"permanent": ["mary@example.net"], "temporary": []}


def test_explain_prints_every_rule_with_what_it_matched(cli: Callable[..., object]) -> None:
    result = cli(
        "classify", "--explain", str(EXAMPLES / "bounce.eml"), str(EXAMPLES / "person.eml")
    )
    lines = result.out.splitlines()
    explained = [line.split() for line in lines if line.startswith("    ")]
    assert [
        "multipart-report-dsn",
        "bounce",
        "0.99",
        "Content-Type:",
        "multipart/report;",
        "report-type=delivery-status",
    ] in explained
    assert any(
        line[:2] == ["null-return-path", "auto_generated"] and line[-1] == "<>"
        for line in explained
    )
    assert "    (no rule fired: no machine evidence)" in lines


def test_json_and_explain_together_is_a_usage_error(cli: Callable[..., object]) -> None:
    assert cli("classify", "--json", "--explain", "x.eml").code == 2


def test_unreadable_input_is_reported_and_the_run_goes_on(
    cli: Callable[..., object], tmp_path: Path, human: bytes
) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(human)
    result = cli("classify", str(tmp_path / "missing.eml"), str(good))
    assert result.code == 1
    assert result.err == f"loopguard: {tmp_path / 'missing.eml'}: No such file or directory\n"
    assert result.out.splitlines()[-1] == "1 message: 1 human; 1 unreadable input"


def test_stdin(cli: Callable[..., object], human: bytes) -> None:
    result = cli("classify", "--json", "-", stdin=human)
    assert json.loads(result.out)["location"] == "-"


def test_hostile_headers_cannot_drive_the_terminal(
    cli: Callable[..., object], tmp_path: Path
) -> None:
    path = tmp_path / "evil.eml"
    path.write_bytes(build_message(subject="=?utf-8?q?hi=1B]0;owned=07=E2=80=AEgpj.exe?="))
    result = cli("classify", "--explain", str(path))
    assert "\x1b" not in result.out
    assert "\u202e" not in result.out
    assert "hi?]0;owned??gpj.exe" in result.out


def test_printable() -> None:
    assert printable("a\tb\x00c\x9bd\u2067e") == "a b?c?d?e"


def test_usage_errors_exit_2(cli: Callable[..., object]) -> None:
    assert cli().code == 2
    assert cli("classify").code == 2
    assert cli("frobnicate").code == 2


class Ticker:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_draws_only_after_a_delay_and_erases_itself() -> None:
    stream = io.StringIO()
    clock = Ticker()
    progress = Progress(stream, 1000, enabled=True, clock=clock)
    progress.advance(100)
    assert stream.getvalue() == ""  # short runs never show a bar
    clock.now += 1.0
    progress.advance(400)
    assert stream.getvalue() == "\r[###############...............]  50%  2 messages  2/s\x1b[K"
    progress.close()
    assert stream.getvalue().endswith("\r\x1b[K")


@pytest.mark.parametrize(
    ("flags", "err_is_terminal", "shown"),
    [
        (["--json"], True, True),
        (["--json", "--quiet"], True, False),
        (["--json"], False, False),
        ([], True, False),  # rows go to stdout, and stdout is a terminal too in the fake
    ],
)
def test_progress_only_on_a_terminal_and_not_when_quiet(
    cli: Callable[..., object],
    write_mbox: Callable[..., Path],
    human: bytes,
    terminal: Callable[[], io.StringIO],
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    err_is_terminal: bool,
    shown: bool,
) -> None:
    monkeypatch.setattr(Progress, "_DELAY", 0.0)
    monkeypatch.setattr("sys.stdout", terminal())
    err = terminal() if err_is_terminal else io.StringIO()
    result = cli("classify", *flags, str(write_mbox([human] * 3)), err=err, out=sys.stdout)
    assert ("\r" in result.err) is shown
    assert result.code == 0


def test_python_dash_m_and_console_script_agree(tmp_path: Path, human: bytes) -> None:
    path = tmp_path / "one.eml"
    path.write_bytes(human)
    result = subprocess.run(
        [sys.executable, "-m", "loopguard", "classify", "--json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["category"] == "human"
