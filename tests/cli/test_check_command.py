"""`loopguard check`: one message, exit 0 allow, 1 suppress, 2 usage error, 3 store error."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from loopguard.testing import build_message

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "messages"
DESK = "help@example.org"


QUESTIONS = (
    "Where is my parcel? The tracking page has not changed since Monday.",
    "Can I change the delivery address of my order to my office?",
    "The kettle I received is dented on one side, what should I do?",
    "Do you offer a discount for schools buying more than ten units?",
)


def question(number: int) -> bytes:
    return build_message(body=QUESTIONS[number] + "\n")


def test_allow_then_suppress_across_runs_with_a_shared_store(
    cli: Callable[..., object], tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'rates.db'}"
    codes = []
    for number in range(4):
        result = cli(
            "check",
            "--store",
            store,
            "--limit",
            "2/1h",
            "--recipient",
            DESK,
            "-",
            stdin=question(number),
        )
        codes.append(result.code)
    assert codes == [0, 0, 1, 1]
    assert result.out.startswith("suppress rate-limit: 2 per 3600s by pair exceeded")


def test_automated_mail_is_suppressed(cli: Callable[..., object]) -> None:
    result = cli(
        "check", "--store", "memory://", "--recipient", DESK, str(EXAMPLES / "vacation_reply.eml")
    )
    assert result.code == 1
    assert result.out.startswith("suppress automated: auto_reply mail does not fire this trigger")


def test_json_and_quiet(cli: Callable[..., object]) -> None:
    result = cli(
        "check", "--store", "memory://", "--recipient", DESK, "--json", str(EXAMPLES / "person.eml")
    )
    assert result.code == 0
    assert json.loads(result.out) == {
        "action": "allow",
        "allowed": True,
        "rule": None,
        "category": "human",
        "retry_after": 0.0,
        "reasons": [],
    }
    quiet = cli(
        "check", "--store", "memory://", "--recipient", DESK, "-q", str(EXAMPLES / "bounce.eml")
    )
    assert (quiet.code, quiet.out, quiet.err) == (1, "", "")


def test_envelope_sender_decides_who_is_answered(cli: Callable[..., object]) -> None:
    result = cli(
        "check",
        "--store",
        "memory://",
        "--recipient",
        DESK,
        "--sender",
        "mailer-daemon@example.org",
        str(EXAMPLES / "person.eml"),
    )
    assert result.code == 1
    assert "mailer-daemon@example.org" in result.out


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--recipient", DESK, "x.eml"],  # no --store
        ["check", "--store", "memory://", "x.eml"],  # no --recipient
        ["check", "--store", "memory://", "--recipient", DESK, "/nonexistent.eml"],
        [
            "check",
            "--store",
            "memory://",
            "--recipient",
            DESK,
            str(ROOT / "examples" / "loop.mbox"),
        ],
        ["check", "--store", "nosuch://", "--recipient", DESK, str(EXAMPLES / "person.eml")],
        [
            "check",
            "--store",
            "memory://",
            "--recipient",
            DESK,
            "--json",
            "-q",
            str(EXAMPLES / "person.eml"),
        ],
    ],
)
def test_usage_errors_exit_2(cli: Callable[..., object], argv: list[str]) -> None:
    assert cli(*argv).code == 2


def test_empty_stdin_is_a_usage_error(cli: Callable[..., object]) -> None:
    result = cli("check", "--store", "memory://", "--recipient", DESK, stdin=b"")
    assert result.code == 2
    assert result.err == "loopguard: -: empty, no message\n"


def test_store_error_exits_3(cli: Callable[..., object]) -> None:
    result = cli(
        "check",
        "--store",
        "redis://127.0.0.1:1/0",
        "--recipient",
        DESK,
        str(EXAMPLES / "person.eml"),
    )
    assert result.code == 3
    assert result.err.startswith("loopguard: store error: ")


def test_in_a_shell_pipeline(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'rates.db'}"
    script = (
        f"if {sys.executable} -m loopguard check -q --store {store} --recipient {DESK} "
        f"< {EXAMPLES / 'person.eml'}; then echo answer; else echo quiet; fi"
    )
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout == "answer\n"
