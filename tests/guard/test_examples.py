"""The examples run: the ticket-trigger integration and the gateway's command line."""

from __future__ import annotations

import pytest
from scripts import load_script

from loopguard.guard import Action
from loopguard.testing import build_message

from .conftest import BOUNCE, SECRET, FakeClock

ticket_trigger = load_script("examples/ticket_trigger.py")
SUPPORT = "support@example.org"


@pytest.fixture
def desk() -> object:
    return ticket_trigger.make_desk(secret=SECRET, clock=FakeClock())


def test_person_gets_a_ticket_and_an_answer(desk: object) -> None:
    desk.receive(build_message(sender="ann@example.com", to=SUPPORT))  # type: ignore[attr-defined]
    assert len(desk.tickets) == 1  # type: ignore[attr-defined]
    [answer] = desk.outbox  # type: ignore[attr-defined]
    assert answer["Auto-Submitted"] == "auto-replied"
    assert answer["X-Loopguard-Token"]


def test_newsletter_gets_a_ticket_but_no_answer(desk: object) -> None:
    news = build_message({"List-Id": "<news.example.com>"}, sender="news@example.com", to=SUPPORT)
    desk.receive(news)  # type: ignore[attr-defined]
    assert len(desk.tickets) == 1  # type: ignore[attr-defined]
    assert desk.outbox == []  # type: ignore[attr-defined]
    assert [d.rule for d in desk.suppressed] == ["automated"]  # type: ignore[attr-defined]


def test_auto_replies_and_bounces_get_neither(desk: object) -> None:
    desk.receive(build_message({"Auto-Submitted": "auto-replied"}, sender="bob@example.net"))  # type: ignore[attr-defined]
    desk.receive(BOUNCE)  # type: ignore[attr-defined]
    assert desk.tickets == []  # type: ignore[attr-defined]
    assert desk.outbox == []  # type: ignore[attr-defined]


def test_unmarked_loop_ends_with_one_final_notice(desk: object) -> None:
    for number in range(8):
        body = f"Autoresponder text, different every time: {'abcdefgh'[number] * 30}"
        desk.receive(build_message(sender="robot@example.net", to=SUPPORT, body=body))  # type: ignore[attr-defined]
    assert len(desk.outbox) == 4  # type: ignore[attr-defined]  # 3 answers and a final notice
    metrics = desk.metrics  # type: ignore[attr-defined]
    assert metrics[(Action.FINAL_NOTICE.value, "final-notice")] == 1
    # Ticket creation has the same limits, counted apart: 3 tickets, 5 refused.
    assert metrics[(Action.SUPPRESS.value, "rate-limit")] == 4 + 5
    assert len(desk.tickets) == 3  # type: ignore[attr-defined]


def test_main_prints_a_line_per_sample(capsys: pytest.CaptureFixture[str]) -> None:
    ticket_trigger.main()
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["a", "person", "ticket", "answered"]
    assert out[1].split() == ["a", "newsletter", "ticket", "not", "answered"]
    assert out[2].split() == ["an", "out-of-office", "no", "ticket", "not", "answered"]


def test_gateway_command_line_help(capsys: pytest.CaptureFixture[str]) -> None:
    gateway = load_script("examples/aiosmtpd_gateway.py")
    with pytest.raises(SystemExit) as exit_info:
        gateway.main(["--help"])
    assert exit_info.value.code == 0
    assert "--relay" in capsys.readouterr().out
