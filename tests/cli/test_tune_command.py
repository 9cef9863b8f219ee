"""`loopguard tune`: the figures of every candidate on a mailbox built so that each one can
be worked out by hand, the recommendation, the config file it writes, and the HTML page.

The mailbox: a day of help-desk mail to help@desk.example. Six people write twice (morning
and afternoon), Ann writes six times in an hour (every ten minutes), a newsletter and a
bounce arrive once. At 09:00 a vendor's responder, which marks nothing and reads like a
person, answers our acknowledgements once a minute for an hour: 60 messages, a loop. The
config turns repeated-content detection off, so that the rate limits alone cut the loop.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from email.utils import format_datetime
from pathlib import Path

import pytest

import loopguard
from loopguard.cli.ladders import candidate_ladders, limit_spec, scaled
from loopguard.cli.tune_text import duration

DAY = datetime.datetime(2026, 11, 23, tzinfo=datetime.UTC)
HELP = "help@desk.example"
VENDOR = "tickets@vendor.example"
PEOPLE = [f"person{n}@example.com" for n in range(6)]
ANN = "ann@example.net"

# (candidate, answers into the loop, minutes until the cut, humans touched, touched at 2x);
# answers None: the loop is never cut. At one message a minute, a sliding window of 10
# minutes holds the 9 before it (the one 10 minutes old has left), 30 minutes 29, an hour
# 59: a rung "N per 10m" cuts the loop after N answers when N <= 9, and so on.
EXPECTED = [
    ("default", 5, 5, 0, 0),  # 5/10m
    ("default x0.5", 3, 3, 0, 1),  # 3/10m; halved: 4/1h suppresses Ann's fifth
    ("default x2", 30, 30, 0, 0),  # 10/10m never full; 30/1h
    ("zammad", 15, 15, 0, 0),  # 10/10m never full; 15/30m
    ("zammad x0.5", 5, 5, 0, 0),  # 5/10m
    ("zammad x2", 50, 50, 0, 0),  # 20/10m, 30/30m never full; 50/1h
    ("znuny", 40, 40, 0, 0),  # 40/1d
    ("znuny x0.5", 20, 20, 0, 0),  # 20/1d
    ("znuny x2", None, None, 0, 0),  # 80/1d: 60 messages never reach it
    ("mailman", 10, 10, 0, 1),  # 10/1d; halved: 5/1d suppresses Ann's sixth
    ("mailman x0.5", 5, 5, 1, 1),  # 5/1d suppresses Ann's sixth
]


def message(sender: str, minute: int, number: int, body: str) -> bytes:
    when = DAY + datetime.timedelta(minutes=minute)
    return (
        f"From: {sender}\nTo: {HELP}\nSubject: Order {number}\n"
        f"Date: {format_datetime(when)}\nMessage-ID: <{number}.{minute}@mail.example>\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


def day_of_mail() -> list[bytes]:
    """The mailbox, in no particular order (tune sorts by Date)."""
    mail = []
    for n, person in enumerate(PEOPLE):
        mail.append(message(person, 8 * 60 + n, 100 + n, "Where is my parcel? It is late."))
        mail.append(message(person, 15 * 60 + n, 200 + n, "It came today, thank you."))
    for n in range(6):
        mail.append(message(ANN, 10 * 60 + 10 * n, 300 + n, f"One more question, number {n}."))
    for n in range(60):  # 09:00 to 09:59
        reply = f"Regarding your message: we will look at order {5000 + n} and write back."
        mail.append(message(VENDOR, 9 * 60 + n, 5000 + n, reply))
    mail.append(
        message("news@list.example", 7 * 60, 1, "News.").replace(
            b"Content-Type", b"List-Id: <news.list.example>\nPrecedence: bulk\nContent-Type"
        )
    )
    mail.append(
        message("mailer-daemon@mx.example", 11 * 60, 2, "Delivery failed.").replace(
            b"Content-Type", b"Auto-Submitted: auto-replied\nContent-Type"
        )
    )
    return mail


@pytest.fixture
def inbox(tmp_path: Path, mbox_bytes: Callable[..., bytes]) -> Path:
    (tmp_path / "no-repeats.toml").write_text("[policy]\nrepeat_limits = []\n")
    path = tmp_path / "inbox.mbox"
    path.write_bytes(mbox_bytes(day_of_mail()))
    return path


def rows(out: str) -> dict[str, list[str]]:
    """The table's rows by candidate name: the cells between the name and the limits."""
    table = out.split("\n\n")[1].splitlines()[1:]
    found = {}
    for line in table:
        name, rest = line[:13].strip(), line[13:].split("pair")[0]
        found[name] = re.split(r"\s{2,}", rest.strip())
    return found


def test_the_synthetic_mailbox_is_what_the_figures_assume() -> None:
    verdicts = [loopguard.classify(raw).category.value for raw in day_of_mail()]
    assert verdicts.count("human") == 12 + 6 + 60  # the loop reads like a person
    assert len(verdicts) == 80


def test_every_candidate_figure(cli: Callable[..., object], inbox: Path) -> None:
    result = cli("tune", "--config", str(inbox.parent / "no-repeats.toml"), str(inbox))
    assert result.code == 0, result.err
    assert result.out.startswith(
        "Tuned on 80 messages, 2026-11-23 07:00:00 to 2026-11-23 15:05:00 UTC: "
        "10 pairs, 1 loop, 7 human conversations\n"
    )
    table = rows(result.out)
    assert list(table) == [name for name, *_ in EXPECTED]
    for name, answers, minutes, touched, doubled in EXPECTED:
        if answers is None:
            assert table[name] == ["0/1", "60", "-", f"{touched}/7", f"{doubled}/7"], name
        else:
            slowest = f"{answers} in {duration(minutes * 60)}"
            expected = ["1/1", str(answers), slowest, f"{touched}/7", f"{doubled}/7"]
            assert table[name] == expected, name
    assert f"60 messages, 60 in its busiest hour  {VENDOR} -> {HELP}" in result.out
    assert "\nRecommended: default (cuts 1 of 1 loop after at most 5 answers; " in result.out


def test_the_printed_policy_is_a_config_the_guard_loads(
    cli: Callable[..., object], inbox: Path, tmp_path: Path
) -> None:
    result = cli("tune", "--own", HELP, str(inbox))
    policy = result.out[result.out.index("# loopguard tune") :]
    path = tmp_path / "printed.toml"
    path.write_text(policy)
    config = loopguard.load_config(path)
    assert config.own_addresses == (HELP,)
    guard = loopguard.Guard.from_config(path)
    assert guard.limits == loopguard.DEFAULT_LIMITS == tuple(config.limits)


def test_policy_out_writes_the_file(cli: Callable[..., object], inbox: Path) -> None:
    out = inbox.parent / "limits.toml"
    config = inbox.parent / "no-repeats.toml"
    result = cli("tune", "-q", "--config", str(config), "--policy-out", str(out), str(inbox))
    assert f"Policy written to {out}\n" in result.out
    assert "limits = [" not in result.out
    assert loopguard.load_config(out).limits == loopguard.DEFAULT_LIMITS


def test_a_config_with_its_own_limits_is_a_candidate(
    cli: Callable[..., object], inbox: Path
) -> None:
    config = inbox.parent / "own.toml"
    config.write_text('limits = ["4/10m pair", "5/1d pair"]\n[policy]\nrepeat_limits = []\n')
    result = cli("tune", "--config", str(config), str(inbox))
    assert rows(result.out)["config"] == ["1/1", "4", "4 in 4m", "1/7", "1/7"]


def test_report_is_a_well_formed_self_contained_page_with_the_figures(
    cli: Callable[..., object], inbox: Path
) -> None:
    page_path = inbox.parent / "tune.html"
    config = str(inbox.parent / "no-repeats.toml")
    result = cli("tune", "--config", config, "--report", str(page_path), str(inbox))
    assert f"Report written to {page_path}\n" in result.out
    page = page_path.read_text(encoding="utf-8")
    root = ET.fromstring(page)  # well-formed: an XML parser reads it whole
    ns = {"h": "http://www.w3.org/1999/xhtml", "s": "http://www.w3.org/2000/svg"}
    for fetching in ("<script", "src=", "@import", "url("):
        assert fetching not in page
    assert re.findall(r"https?://[^\"]+", page) == [ns["h"], *[ns["s"]] * 5]
    table = root.find(".//h:table", ns)
    assert table is not None
    cells = {
        row[0].text: [cell.text for cell in row[1:]]
        for row in table.iterfind("h:tr", ns)
        if row[0].tag.endswith("td")
    }
    assert cells["default"][:5] == ["1/1", "5", "5 in 5m", "0/7", "0/7"]
    assert cells["mailman x0.5"][:5] == ["1/1", "5", "5 in 5m", "1/7", "1/7"]
    assert cells["mailman x0.5"][-1] == "1"  # Ann's one suppressed message
    recommended = table.find("h:tr[@class='recommended']", ns)
    assert recommended is not None
    assert recommended[0].text == "default"
    sections = root.findall(".//h:section", ns)
    assert len(sections) == 5  # --top 5 busiest pairs, the loop first
    loop = sections[0]
    assert loop.findtext("h:h3", namespaces=ns) == f"{VENDOR} -> {HELP}"
    svg = loop.find("s:svg", ns)
    assert svg is not None
    assert len(svg.findall("s:circle", ns)) == 60
    cut_lines = svg.findall("s:line[@stroke-dasharray]", ns)
    # The cuts' moments: 3, 5, 10, 15, 20, 30, 40 and 50 minutes after 09:00.
    assert len(cut_lines) == 8
    key = [item.text for item in loop.iterfind("h:ol/h:li", ns)]
    assert key[0] == "2026-11-23 09:03:00 UTC: default x0.5 (rate-limit)"
    assert key[-1] == "never: znuny x2"


def test_ladders_are_the_defaults_and_peers_scaled() -> None:
    ladders = {candidate.name: candidate.specs() for candidate in candidate_ladders()}
    assert ladders["default"] == [limit_spec(limit) for limit in loopguard.DEFAULT_LIMITS]
    assert ladders["mailman"] == ["10/1d pair"]
    assert ladders["znuny x2"] == ["80/1d pair"]
    assert "mailman x2" not in ladders  # 20/1d: znuny x0.5 already
    assert ladders["zammad x0.5"][:2] == ["5/10m pair", "8/30m pair"]
    assert scaled([loopguard.Limit(1, "1h")], 0.5) == (loopguard.Limit(1, "1h"),)


def test_bad_config_is_a_usage_error(cli: Callable[..., object], inbox: Path) -> None:
    config = inbox.parent / "bad.toml"
    config.write_text('limits = ["five per day"]\n')
    result = cli("tune", "--config", str(config), str(inbox))
    assert result.code == 2
    assert result.err.startswith("loopguard: limits[0]: ")


def test_unreadable_input_is_reported_and_the_rest_tuned(
    cli: Callable[..., object], inbox: Path
) -> None:
    result = cli("tune", str(inbox.parent / "missing.mbox"), str(inbox))
    assert result.code == 1
    assert "missing.mbox: No such file or directory" in result.err
    assert result.out.startswith("Tuned on 80 messages")
