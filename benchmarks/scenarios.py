"""The scenario lab: one simulated day of mail per scenario, and what the guard let through.

Each scenario builds a :class:`loopguard.Guard` the way a help desk following
docs/recipes.md does (our address ``help@desk.example``, a secret, the default limits and
policy unless the scenario is about a setting, every acknowledgement stamped), writes the
other side's mail message by message as real bytes, moves a
:class:`loopguard.testing.FakeClock` through the day and counts what the guard allowed:

- a **loop** is a closed system: every acknowledgement the guard allows produces the next
  incoming message, one round a minute. The number is acknowledgements sent in 24 h; issue
  12 promises at most 10, the first rung of the default ladder;
- a **human** flow counts the people who wrote and how many of their messages were
  answered; the promise is all of them.

Every loop also runs against a guard whose classifier reads headers only
(``Classifier(text_heuristics=False, body_rules=())``), in the row ``NAME/headers-only``: the
partner's case system then reads as a person, as a responder with other words would, and
only the guard's own defences (who is counted, reservation, the ladder) cut the loop. The
promises hold on both.

Usage: ``python benchmarks/scenarios.py [--fast] [--only NAME ...] [--json]``. ``--fast``
runs the subset CI runs and stops a loop as soon as it has broken its promise (the count
only grows during the day, so the verdict cannot change). The lab uses only the public API
(``import loopguard``, ``loopguard.testing``), so it keeps measuring whatever the package's
internal layout. A scenario calling an API the guard does not have yet is reported as
"n/a (feature missing)" and fails; nothing stops the run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import functools
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

import loopguard
from loopguard.testing import FakeClock

# Run as a script, Python puts this folder first on the path; loaded by path (the tests), not.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from scenariolab.casesystem import CaseSystem, opening_message
from scenariolab.core import (
    BLIND,  # noqa: F401 (the tests read it here)
    EPOCH,
    HELP,
    HOUR,
    KNOWN_BROKEN,
    SCENARIOS,
    TRIGGER,
    Outcome,
    Row,
    Scenario,  # noqa: F401 (the tests read it here)
    fast_names,
    human_scenario,
    loop_scenario,
    new_api,  # noqa: F401 (the tests read it here)
    run_scenario,
)
from scenariolab.desk import desk_guard
from scenariolab.loops import broken
from scenariolab.mail import Mail, compose, date_at
from scenariolab.people import Chatter, Person
from scenariolab.replay import human_flow, replayed
from scenariolab.threads import Event, Thread, writes

# The table lists the rows in the order these modules register them.
# isort: off
from scenariolab import loops, loop_probes, humans, human_probes  # noqa: F401
# isort: on


# -- forged mail against a customer --------------------------------------------------------


def forged_dsn(victim: Person, forger: Person, at: float, returned: str = "") -> Mail:
    """A delivery report anybody can write, naming ``victim`` as failed permanently;
    ``returned`` is the header block it claims to return."""
    boundary = "report-boundary"
    parts = [
        ("text/plain", "Your message could not be delivered to one or more recipients.\n"),
        (
            "message/delivery-status",
            f"Reporting-MTA: dns; mx.{forger.domain}\n\n"
            f"Final-Recipient: rfc822; {victim.address}\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n",
        ),
    ]
    if returned:
        parts.append(("text/rfc822-headers", returned))
    body = "".join(f"--{boundary}\nContent-Type: {kind}\n\n{text}\n" for kind, text in parts)
    headers = [
        ("From", forger.header()),
        ("To", HELP),
        ("Subject", "Undelivered Mail Returned to Sender"),
        ("Date", date_at(EPOCH + at)),
        ("Message-ID", f"<dsn.{int(at)}@{forger.domain}>"),
    ]
    report = f'multipart/report; report-type=delivery-status; boundary="{boundary}"'
    return Mail(compose(headers, body + f"--{boundary}--\n", content_type=report), forger.address)


def returned_headers(thread: Thread) -> str:
    """The header block of our acknowledgement in ``thread``, as a bounce returns it."""
    assert thread.last_ack is not None, "the attacker's ticket was not acknowledged"
    return thread.last_ack.raw.split(b"\r\n\r\n", 1)[0].decode().replace("\r\n", "\n")


def victim_writes(writer: Chatter, victim: Person, hours: Sequence[float]) -> list[Event]:
    """The victim's own ticket: the question, then follow-ups, ``hours`` into the day."""
    thread = Thread(writer.subject(), writer.rng)
    texts = [writer.problem(victim)] + [writer.follow_up(victim) for _ in hours[1:]]
    return [writes(thread, victim, text, at * HOUR) for text, at in zip(texts, hours, strict=True)]


def forged_dsn_attack(writer: Chatter) -> list[Event]:
    """One forged DSN from a throwaway address (not even a mail system) names a customer."""
    victim, forger = writer.customer(), writer.stranger()
    dsn = Event(2 * HOUR, functools.partial(forged_dsn, victim, forger, 2 * HOUR))
    return [*victim_writes(writer, victim, (1, 3, 6, 9)), dsn]


def stamped_dsn_attack(writer: Chatter) -> list[Event]:
    """The attacker writes one ticket, then pastes our acknowledgement's headers (with its
    loop token) into a forged DSN naming the victim."""
    victim, attacker = writer.customer(), writer.stranger()
    ticket = Thread(writer.subject(), writer.rng)
    opening = writes(ticket, attacker, writer.problem(attacker), 1.5 * HOUR, counted=False)

    def forge() -> Mail:
        return forged_dsn(victim, attacker, 2 * HOUR, returned_headers(ticket))

    return [*victim_writes(writer, victim, (1, 3, 6, 9)), opening, Event(2 * HOUR, forge)]


def forged_references_attack(writer: Chatter) -> list[Event]:
    """10 messages from throwaway addresses cite a customer's thread root in References,
    while the customer is in a live exchange: their reply six minutes later, and more."""
    victim = writer.customer()
    events = victim_writes(writer, victim, (1, 1.6, 4, 8))
    thread = events[0].thread
    assert thread is not None

    def forge(stranger: Person, text: str, at: float) -> Mail:
        root = thread.references[0]  # public: the first id of every reply's References
        return Thread(thread.subject, writer.rng, references=[root]).write(stranger, text, at)

    for n in range(10):
        stranger, at = writer.stranger(), 1.5 * HOUR + n * 12
        events.append(Event(at, functools.partial(forge, stranger, writer.problem(stranger), at)))
    return events


@human_scenario("forged-dsn")
def forged_dsn_any() -> Outcome:
    """A forged DSN names a customer, default policy: the customer is still answered."""
    return human_flow(forged_dsn_attack)


@human_scenario("forged-dsn-stamped")
def forged_dsn_stamped() -> Outcome:
    """The same with learn_bounces="stamped" and our own token pasted into the DSN."""
    return human_flow(stamped_dsn_attack, policy=loopguard.Policy(learn_bounces="stamped"))


@human_scenario("forged-references")
def forged_references() -> Outcome:
    """Throwaway senders cite a customer's thread root; the customer is still answered."""
    return human_flow(forged_references_attack)


# -- abuse through the desk: a mail bomb, concurrent workers --------------------------------

VICTIM = Person("Vera Victim", "vera@victim.example")


def bomb(writer: Chatter, *, through_us: bool, messages: int = 600) -> list[Event]:
    """600 messages in an hour with random text: from random senders with Reply-To the
    victim, or (``through_us=False``) from the victim herself, for comparison."""
    events = []
    for n in range(messages):
        sender = writer.stranger() if through_us else VICTIM
        reply_to = [("Reply-To", VICTIM.header())] if through_us else []
        thread, at = Thread(writer.subject(), writer.rng), n * HOUR / messages
        text = writer.problem(sender)
        events.append(writes(thread, sender, text, at, extra=reply_to, on_behalf_of=VICTIM))
    return events


@loop_scenario("mail-bomb")
def mail_bomb(stop_early: bool) -> Outcome:
    """600 messages in an hour, random From and text, all Reply-To the victim: answered no
    more often than if the victim had written them."""
    as_if_victim, _ = replayed(functools.partial(bomb, through_us=False))
    cap = as_if_victim.answered[VICTIM.address]
    until = (lambda desk: broken([desk], cap)) if stop_early else None
    bombed, desk = replayed(functools.partial(bomb, through_us=True), until=until)
    acks = bombed.answered[VICTIM.address]
    note = "cut by " + ", ".join(desk.suppressed) if desk.suppressed else "never cut"
    measured = f"> {cap} (stopped early)" if until and acks > cap else f"{acks:,}/600 answered"
    return Outcome(measured, acks, f"<= {cap} (as if the victim wrote)", acks <= cap, note)


WORKERS = 16
#: A guard that serialises dispatching keeps the other workers out of the block; the
#: barrier then gives up instead of waiting forever.
BARRIER_TIMEOUT = 2.0


def looping_burst(count: int) -> list[Mail]:
    """``count`` messages of one looping pair: the case system with constant addresses."""
    clock, rng = FakeClock(), random.Random(17)
    partner = CaseSystem(clock, rng)
    seed = opening_message(clock, rng, sender=HELP, to="cases@partner.example")
    return [partner.answer(seed) for _ in range(count)]


def dispatch_concurrently(guards: Sequence[loopguard.Guard], burst: Sequence[Mail]) -> int:
    """Acknowledgements sent by one worker per message, all inside ``dispatching`` at once
    (the Celery recipe): each decides on entry, waits for the others, then sends."""
    barrier = threading.Barrier(len(burst))

    def worker(guard: loopguard.Guard, mail: Mail) -> bool:
        with guard.dispatching(mail.raw, recipient=HELP, trigger=TRIGGER) as decision:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(BARRIER_TIMEOUT)
            return decision.allowed

    with concurrent.futures.ThreadPoolExecutor(len(burst)) as pool:
        return sum(pool.map(worker, guards, burst))


def concurrency_outcome(sent: int, burst: Sequence[Mail]) -> Outcome:
    """Against what check() sends for the same burst, one message after the other."""
    guard = desk_guard(FakeClock())
    limit = sum(guard.check(mail.raw, recipient=HELP, trigger=TRIGGER).allowed for mail in burst)
    return Outcome(f"{sent}/{len(burst)} sent", sent, f"== {limit} (as check())", sent == limit)


@loop_scenario("dispatching-16-memory")
def dispatching_memory(stop_early: bool) -> Outcome:
    """16 worker threads share one guard on a MemoryStore; a burst of 16 from one pair."""
    burst = looping_burst(WORKERS)
    guard = desk_guard(FakeClock())
    return concurrency_outcome(dispatch_concurrently([guard] * WORKERS, burst), burst)


@loop_scenario("dispatching-16-sqlite")
def dispatching_sqlite(stop_early: bool) -> Outcome:
    """16 workers, each with its own guard on one SQLite file, as 16 processes would."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rates.db"
        return dispatching_on(lambda: loopguard.SQLiteStore(path))


def dispatching_on(
    store: Callable[[], loopguard.MemoryStore | loopguard.SQLiteStore | loopguard.RedisStore],
) -> Outcome:
    """16 workers, each with its own guard and its own connection to one shared store."""
    burst, clock = looping_burst(WORKERS), FakeClock()
    guards = [desk_guard(clock, store=store()) for _ in burst]
    try:
        sent = dispatch_concurrently(guards, burst)
    finally:
        for guard in guards:
            guard.close()
    return concurrency_outcome(sent, burst)


def dispatching_redis(url: str) -> Outcome:
    """16 workers, each with its own guard and client on one Redis (or Redis Cluster)
    server, under a key prefix of their own that is deleted afterwards."""
    separator = "&" if "?" in url else "?"
    prefixed = f"{url}{separator}prefix=lglab-{uuid.uuid4().hex[:12]}"
    outcome = dispatching_on(lambda: loopguard.RedisStore.from_url(prefixed))
    cleaner = loopguard.RedisStore.from_url(prefixed)
    with contextlib.closing(cleaner):
        client = cleaner.client
        keys = list(client.scan_iter(match=f"{cleaner.prefix}:*"))
        for key in keys:  # one by one: in a cluster each key may live on another node
            client.delete(key)
    return outcome


# The Redis rows run where a server is given, as in CI (.ci/run starts both).
if os.environ.get("LOOPGUARD_TEST_REDIS_URL"):

    @loop_scenario("dispatching-16-redis")
    def dispatching_redis_standalone(stop_early: bool) -> Outcome:
        """16 workers, each with its own guard and client on one Redis server."""
        return dispatching_redis(os.environ["LOOPGUARD_TEST_REDIS_URL"])


if os.environ.get("LOOPGUARD_TEST_REDIS_CLUSTER_URL"):

    @loop_scenario("dispatching-16-redis-cluster")
    def dispatching_redis_cluster(stop_early: bool) -> Outcome:
        """The same on a Redis Cluster: the keys of one decision live in several slots."""
        url = os.environ["LOOPGUARD_TEST_REDIS_CLUSTER_URL"]
        return dispatching_redis(url + ("&" if "?" in url else "?") + "cluster=yes")


# -- the table -----------------------------------------------------------------------------


def run(names: Iterable[str], *, stop_early: bool = False) -> list[Row]:
    return [run_scenario(SCENARIOS[name], stop_early=stop_early) for name in names]


def table(rows: Sequence[Row]) -> str:
    """One aligned table: scenario, kind, measured, promise, verdict, seconds, what decided."""
    header_row = ("scenario", "kind", "measured", "promise", "result", "s", "note")
    lines = [header_row] + [
        (
            row.name,
            row.kind,
            row.measured,
            row.promise,
            verdict(row),
            f"{row.seconds:.1f}",
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header_row))]
    seconds = header_row.index("s")
    rendered = [
        "  ".join(
            cell.rjust(width) if column == seconds else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    kept = sum(row.passed for row in rows)
    known = sum(not row.passed and row.name in KNOWN_BROKEN for row in rows)
    broken_note = f" ({known} known broken)" if known else ""
    return "\n".join([*rendered, "", f"{kept}/{len(rows)} promises kept{broken_note}"])


def verdict(row: Row) -> str:
    """pass, FAIL, or BROKEN (known) for a listed row that fails (a listed row that
    passes says so: take it off the list)."""
    if row.name not in KNOWN_BROKEN:
        return "pass" if row.passed else "FAIL"
    return "pass (listed as broken)" if row.passed else "BROKEN (known)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="the subset CI runs")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), metavar="NAME")
    parser.add_argument("--json", action="store_true", help="rows as JSON")
    args = parser.parse_args(argv)
    names = args.only or (fast_names() if args.fast else list(SCENARIOS))
    started = time.perf_counter()
    rows = run(names, stop_early=args.fast)
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
    else:
        print(table(rows))
        print(f"{len(rows)} scenarios in {time.perf_counter() - started:.1f} s")
    # A crashed scenario is a broken lab, not a measurement.
    return 1 if any(row.measured.startswith("error") for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
