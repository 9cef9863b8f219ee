"""`loopguard replay`: date order, reasons, offending pairs, the moment loops are cut."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from loopguard.cli.mailbox import read_inputs
from loopguard.cli.replay import MessageClock, message_time, replay
from loopguard.guard import Guard
from loopguard.testing import build_message

ROOT = Path(__file__).resolve().parents[2]
LOOP = ROOT / "examples" / "loop.mbox"
DESK = "support@northwind.example"


def dated(minute: int, body: str, sender: str = "Ann <ann@example.com>", **headers: str) -> bytes:
    extra = {"Date": f"Mon, 23 Nov 2026 10:{minute:02d}:00 +0000", **headers}
    return build_message(extra, body=body, sender=sender, to=DESK)


def test_the_example_mailbox_loop_is_cut_and_people_are_still_answered() -> None:
    clock = MessageClock()
    decisions: dict[str, str] = {}
    report = replay(
        read_inputs([str(LOOP)]),
        Guard(clock=clock, own_addresses=[DESK]),
        clock,
        on_error=pytest.fail,
        on_event=lambda event: decisions.update({event.location: event.decision.action.value}),
    )
    assert report.events == 41
    loop = report.pairs[("jonas.wright@fabrikam.example", DESK)]
    assert loop.cut is not None
    # His first message; the purchasing system's unmarked acknowledgements are auto-replies.
    assert loop.allowed_before_cut == 1
    assert loop.suppressed == 24
    assert report.pairs[("billing@old-partner.example", DESK)].first_suppressed is not None
    assert report.by_reason["automated (auto_reply)"] == 25
    assert report.by_reason["automated (bounce)"] == 3
    # Jonas writes as a person after the loop, and a newcomer writes at the end: both allowed.
    assert decisions[f"{LOOP}:40"] == decisions[f"{LOOP}:41"] == "allow"


def test_command_report(cli: Callable[..., object]) -> None:
    result = cli("replay", str(LOOP))
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == (
        "Replayed 41 messages in date order, 2026-11-23 07:03:00 to 2026-11-23 10:50:00 UTC"
    )
    assert "  suppressed      33" in lines
    assert "      25  automated (auto_reply)" in lines
    at = lines.index(
        "      24 suppressed, 2 allowed  jonas.wright@fabrikam.example -> support@northwind.example"
    )
    assert lines[at + 1].split() == [
        *["loop", "cut", "after", "1", "allowed", "at", "2026-11-23", "08:14:06", "UTC"],
        f"({LOOP}:8):",
        "automated",
        "(auto_reply)",
    ]


def test_limits_from_the_command_line(
    cli: Callable[..., object], write_mbox: Callable[..., Path]
) -> None:
    messages = [
        dated(minute, f"Question number {minute} about my order {minute * 7}")
        for minute in range(6)
    ]
    result = cli("replay", "--limit", "2/10m", "--json", str(write_mbox(messages)))
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [row["action"] for row in rows] == ["allow", "allow"] + ["suppress"] * 4
    assert rows[2]["rule"] == "rate-limit"
    assert rows[2]["reasons"][0]["detail"] == "2 per 600s by pair exceeded"
    assert rows[2]["time"] == "2026-11-23 10:02:00Z"
    assert "Limits: 2 per 600s by pair" in result.err


def test_date_order_by_default_and_file_order_on_request(
    cli: Callable[..., object], write_mbox: Callable[..., Path]
) -> None:
    late = dated(9, "A late delivery, sent long after the others, about invoice 12")
    early = [
        dated(minute, f"Message {minute} with its own words, order {minute * 3}")
        for minute in (1, 2)
    ]
    path = write_mbox([late, *early])
    by_date = [
        json.loads(line)["location"] for line in cli("replay", "--json", str(path)).out.splitlines()
    ]
    assert by_date == [f"{path}:2", f"{path}:3", f"{path}:1"]
    by_file = [
        json.loads(line)["location"]
        for line in cli("replay", "--json", "--no-sort", str(path)).out.splitlines()
    ]
    assert by_file == [f"{path}:1", f"{path}:2", f"{path}:3"]


def test_stdin_is_replayed_in_date_order(
    cli: Callable[..., object], mbox_bytes: Callable[..., bytes]
) -> None:
    messages = [
        dated(5, "The second one, about the delivery."),
        dated(1, "The first one, about the invoice."),
    ]
    result = cli("replay", "--json", "-", stdin=mbox_bytes(messages))
    assert [json.loads(line)["location"] for line in result.out.splitlines()] == ["-:2", "-:1"]


def test_undated_messages_take_the_time_before_them(
    cli: Callable[..., object], write_mbox: Callable[..., Path]
) -> None:
    undated = build_message(body="No date header on this one, about my parcel.", to=DESK)
    path = write_mbox([dated(4, "Dated, about the refund of order 77."), undated])
    result = cli("replay", "--json", str(path))
    times = [json.loads(line)["time"] for line in result.out.splitlines()]
    assert times == ["2026-11-23 10:04:00Z"] * 2
    assert "Undated messages (timed as the one before them): 1" in result.err


def test_recipient_and_own_addresses(
    cli: Callable[..., object], write_mbox: Callable[..., Path]
) -> None:
    ours = dated(1, "Our own acknowledgement came back to us.", sender="Desk <desk@example.org>")
    path = write_mbox([ours])
    (row,) = [
        json.loads(line)
        for line in cli("replay", "--json", "--own", "desk@example.org", str(path)).out.splitlines()
    ]
    assert row["rule"] == "own-address"
    (row,) = [
        json.loads(line)
        for line in cli(
            "replay", "--json", "--recipient", "x@example.org", str(path)
        ).out.splitlines()
    ]
    assert row["recipient"] == "x@example.org"
    assert row["action"] == "allow"


def test_config_file(
    cli: Callable[..., object], write_mbox: Callable[..., Path], tmp_path: Path
) -> None:
    config = tmp_path / "guard.toml"
    config.write_text('limits = ["1/1h"]\n[policy]\ndeny_domains = ["spam.example"]\n')
    messages = [
        dated(1, "First question about the warranty of my kettle."),
        dated(2, "Second question, about the colour of the lid."),
        dated(3, "Buy cheap watches today, best prices.", sender="x@spam.example"),
    ]
    rows = [
        json.loads(line)
        for line in cli(
            "replay", "--json", "--config", str(config), str(write_mbox(messages))
        ).out.splitlines()
    ]
    assert [row["rule"] for row in rows] == [None, "rate-limit", "deny-list"]


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "--limit", "5/10x", "box.mbox"],
        ["replay", "--limit", "five", "box.mbox"],
        ["replay", "--store", "nosuch://", "box.mbox"],
        ["replay", "--config", "/nonexistent/guard.toml", "box.mbox"],
        ["replay"],
    ],
)
def test_usage_errors(cli: Callable[..., object], argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code == 2


def test_store_error_exits_3(cli: Callable[..., object]) -> None:
    result = cli("replay", "--store", "redis://127.0.0.1:1/0", str(LOOP))
    assert result.code == 3
    assert result.err.startswith("loopguard: store error: ")
    assert len(result.err.splitlines()) == 1


def test_unreadable_input_is_reported_and_the_rest_replayed(
    cli: Callable[..., object], tmp_path: Path
) -> None:
    result = cli("replay", str(tmp_path / "missing.mbox"), str(LOOP))
    assert result.code == 1
    assert result.err == f"loopguard: {tmp_path / 'missing.mbox'}: No such file or directory\n"
    assert result.out.startswith("Replayed 41 messages")


def test_message_time() -> None:
    from loopguard.mail.view import MessageView

    def at(value: str) -> float | None:
        return message_time(MessageView.from_bytes(f"Date: {value}\n\nx".encode()))

    assert at("Mon, 23 Nov 2026 10:00:00 +0100") == at("Mon, 23 Nov 2026 09:00:00 +0000")
    assert at("Mon, 23 Nov 2026 09:00:00 -0000") == at("Mon, 23 Nov 2026 09:00:00 +0000")
    assert at("yesterday, around noon") is None
    assert message_time(MessageView.from_bytes(b"Subject: x\n\nx")) is None


def test_progress_runs_on_a_terminal(
    cli: Callable[..., object], terminal: Callable[[], io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    from loopguard.cli.console import Progress

    monkeypatch.setattr(Progress, "_DELAY", 0.0)
    result = cli("replay", str(LOOP), err=terminal())
    assert "\r1 message  " in result.err
    assert result.err.endswith("\r\x1b[K")
