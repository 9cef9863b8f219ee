"""What each third-party package does for loopguard, measured against the alternative.

Usage: ``python benchmarks/bench_dependencies.py [FOLDER] [--quick] [--passes N]``; FOLDER
is a labelled corpus (``labels.jsonl``), ../shared/corpus (or $LOOPGUARD_CORPUS) by
default, else the repository's fixtures. Everything runs in one process and prints ratios
side by side (docs/deployment.md, "Dependencies", shows a run):

(a) mail-parser's parse against loopguard's own MessageView + classify on the corpus;
(b) cachetools' LRUCache/TTLCache (timer injected) against the hand-written maps doing the
    same job: the MemoryStore's OrderedDict with idle expiry, and the key derivation's
    address cache (a dict cleared when full), speed per operation and bytes per entry;
(c) flufl.bounce: what it finds in the corpus bounces that loopguard's own DSN and report
    text reading does not, and what it costs gated (as loopguard calls it) and ungated;
(d) each package's size, requirements and import time, whether loopguard imports it, and
    what the Prometheus exporter adds to a decision.
"""

from __future__ import annotations

import argparse
import ast
import email
import functools
import gc
import importlib.metadata
import importlib.util
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import tracemalloc
from array import array
from bisect import bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import cachetools
import mailparser
from flufl.bounce import all_failures

import loopguard
from loopguard.classifier.bounce import report
from loopguard.rate.keys import KeyDeriver
from loopguard.stores import Touch
from loopguard.stores.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("LOOPGUARD_CORPUS", ROOT.parent / "shared" / "corpus"))
FIXTURES = ROOT / "tests" / "fixtures" / "core"
PACKAGES = {  # distribution -> module
    "mail-parser": "mailparser",
    "flufl.bounce": "flufl.bounce",
    "atpublic": "public",  # flufl.bounce's one requirement
    "cachetools": "cachetools",
    "prometheus_client": "prometheus_client",
}
WINDOW = 3600.0  # one hour: the store's keys expire after it
KEEP = 20
CLASSIFIER = loopguard.Classifier()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--passes", type=int, default=5, help="best of N passes (default 5)")
    parser.add_argument("--quick", action="store_true", help="4x fewer keys and lookups")
    args = parser.parse_args(argv)
    folder = args.folder or (DEFAULT_CORPUS if DEFAULT_CORPUS.exists() else FIXTURES)
    messages = labelled(folder)
    logging.disable(logging.CRITICAL)  # flufl.bounce logs a traceback per failing detector
    scale = 4 if args.quick else 1
    for _, raw in messages[:20]:  # warm the classifier's lazily built patterns
        CLASSIFIER.classify(raw)
    print(f"{len(messages)} messages from {folder}; best of {args.passes} passes\n")
    classify_seconds = mail_parser_section(messages, args.passes)
    store_map_section(200_000 // scale, args.passes)
    address_cache_section(400_000 // scale, args.passes)
    flufl_section(messages, args.passes)
    packages_section()
    exporter_cost(classify_seconds)
    return 0


# -- shared ------------------------------------------------------------------------------


def labelled(folder: Path) -> list[tuple[str, bytes]]:
    """(label, raw) of each message of a corpus (labels.jsonl) or fixtures (expected.jsonl)."""
    index = folder / "labels.jsonl"
    if not index.exists():
        index = folder / "expected.jsonl"
    rows = [json.loads(line) for line in index.read_text().splitlines() if line.strip()]
    return [
        (row.get("label") or row["category"], (folder / row["file"]).read_bytes()) for row in rows
    ]


def best_of(passes: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Seconds of each run, best of ``passes``; interleaved, so noise hits every run alike."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(passes):
        for name, run in runs.items():
            gc.collect()
            started = time.perf_counter()
            result = run()
            best[name] = min(best[name], time.perf_counter() - started)
            del result  # freed outside the timing
    return best


def print_rates(title: str, seconds: dict[str, float], count: int, unit: str) -> None:
    """One row per run: µs per operation, operations/s, ratio to the first row."""
    print(f"{title:<54}{'µs/' + unit:>10}{unit + '/s':>12}{'ratio':>8}")
    first = next(iter(seconds.values()))
    for name, spent in seconds.items():
        print(
            f"  {name:<52}{spent / count * 1e6:>10.2f}{count / spent:>12,.0f}{spent / first:>7.2f}x"
        )


def bytes_per_entry(build: Callable[[], object], entries: int) -> float:
    """Python heap allocated by ``build`` (keys made beforehand), per entry."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del kept
    return grown / entries


# -- (a) mail-parser ---------------------------------------------------------------------


def mail_parser_section(messages: list[tuple[str, bytes]], passes: int) -> float:
    """Prints (a); returns the mean seconds of a classification."""
    raws = [raw for _, raw in messages]
    failures = sum(1 for raw in raws if _parse_or_none(raw) is None)
    runs = {
        "loopguard: MessageView + classify (bytes)": lambda: [CLASSIFIER.classify(r) for r in raws],
        "mail-parser: parse_from_bytes": lambda: [_parse_or_none(r) for r in raws],
        "mail-parser parse, then classify(MailParser)": lambda: [
            CLASSIFIER.classify(p) for p in map(_parse_or_none, raws) if p is not None
        ],
        "stdlib: compat32 full parse (what mail-parser wraps)": lambda: [
            email.message_from_bytes(r) for r in raws
        ],
    }
    seconds = best_of(passes, runs)
    print_rates("(a) mail-parser against loopguard's own reading", seconds, len(raws), "msg")
    print(f"  mail-parser raised on {failures} of {len(raws)} messages; classify on none")
    pairs = [(p, raw) for raw in raws if (p := _parse_or_none(raw)) is not None]
    same = sum(
        1
        for p, raw in pairs
        if CLASSIFIER.classify(p).category == CLASSIFIER.classify(raw).category
    )
    print(f"  classify(MailParser) gives the same category as classify(bytes): {same}/{len(pairs)}")
    outlook = importlib.util.find_spec("extract_msg") is not None
    print(
        "  Outlook .msg: mail-parser converts with extract-msg (its 'outlook' extra: "
        f"{'installed' if outlook else 'not installed'}) or the msgconvert Perl tool "
        f"({'on PATH' if shutil.which('msgconvert') else 'not on PATH'}); either yields an "
        "email.message.Message, which classify() takes as it is\n"
    )
    return seconds["loopguard: MessageView + classify (bytes)"] / len(raws)


def _parse_or_none(raw: bytes) -> Any:
    try:
        return mailparser.parse_from_bytes(raw)
    except Exception:  # mail-parser raises on some real mail
        return None


# -- (b) cachetools: the store's map -----------------------------------------------------


class CachetoolsStore:
    """MemoryStore.hit on a cachetools map instead of the OrderedDict: same logs, same lock.

    With ``ttl`` the map is a TTLCache whose timer is the store's ``now`` (the injected
    clock): a write restarts a key's TTL and expires the idle ones. Without, an LRUCache,
    which has no idle expiry at all.
    """

    def __init__(self, max_keys: int, ttl: float | None) -> None:
        self.now = 0.0
        self._logs: cachetools.Cache[str, array[float]] = (
            cachetools.TTLCache(max_keys, ttl, timer=lambda: self.now)
            if ttl is not None
            else cachetools.LRUCache(max_keys)
        )
        self._lock = threading.Lock()

    def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        with self._lock:
            self.now = now
            return [self._hit_one(touch, now) for touch in touches]

    def _hit_one(self, touch: Touch, now: float) -> list[float]:
        key, window, keep = touch
        log = self._logs.get(key)
        if log is None:
            log = array("d")
        else:
            dead = bisect_right(log, now - window)
            if dead:
                del log[:dead]
        live = log.tolist()
        insort(log, now)
        if len(log) > keep:
            del log[: len(log) - keep]
        self._logs[key] = log  # TTLCache: a write restarts the key's TTL
        return live


def store_map_section(keys: int, passes: int) -> None:
    touches = [Touch(f"v1:pair:{{{index:032x}}}", WINDOW, KEEP) for index in range(keys)]
    lookups = random.Random(3).choices(touches, k=keys)
    makers: dict[str, Callable[[], Any]] = {
        "MemoryStore (OrderedDict LRU + idle expiry)": lambda: MemoryStore(max_keys=keys),
        "cachetools.TTLCache(timer=now), same logs": lambda: CachetoolsStore(keys, WINDOW),
        "cachetools.LRUCache (no idle expiry), same logs": lambda: CachetoolsStore(keys, None),
    }
    inserts = best_of(passes, {n: _fresh_feeder(make, touches) for n, make in makers.items()})
    stores = {name: make() for name, make in makers.items()}
    clocks = {name: [0.0] for name in stores}  # each store's clock goes on across runs
    for name, store in stores.items():
        _feeder(store, touches, clocks[name])()
    hits = best_of(passes, {n: _feeder(s, lookups, clocks[n]) for n, s in stores.items()})
    expiring = list(makers.items())[:2]  # an LRUCache never expires anything
    expiry = {name: _expire_all(make(), touches) for name, make in expiring}
    print_rates(f"(b1) the store's map, {keys:,} keys: first hit (insert)", inserts, keys, "op")
    print_rates("     hit on a tracked key", hits, keys, "op")
    print_rates("     expire every idle key (one hit after the window)", expiry, keys, "key")
    print("     bytes per key (map + a log of 3 stamps; keys made beforehand):")
    for name, make in makers.items():
        per_key = bytes_per_entry(lambda make=make: _filled(make(), touches), keys)
        print(f"  {name:<52}{per_key:>10.0f}")
    print()


def _feeder(store: Any, touches: list[Touch], clock: list[float]) -> Callable[[], None]:
    def run() -> None:
        now = clock[0]
        for touch in touches:
            now += 1e-6
            store.hit([touch], now=now)
        clock[0] = now

    return run


def _fresh_feeder(make: Callable[[], Any], touches: list[Touch]) -> Callable[[], Any]:
    def run() -> Any:
        store = make()
        _feeder(store, touches, [0.0])()
        return store

    return run


def _filled(store: Any, touches: list[Touch]) -> Any:
    for step in range(3):
        for touch in touches:
            store.hit([touch], now=float(step))
    return store


def _expire_all(store: Any, touches: list[Touch]) -> float:
    _filled(store, touches)
    late = Touch("v1:pair:{late}", WINDOW, KEEP)
    started = time.perf_counter()
    store.hit([late], now=3 * WINDOW)
    return time.perf_counter() - started


# -- (b) cachetools: the key derivation's address cache ----------------------------------


def address_cache_section(lookups: int, passes: int) -> None:
    size = 65_536  # KeyDeriver's default
    normalize = KeyDeriver(cache_size=0).address  # the uncached work: ~7 µs an address
    caches: dict[str, Callable[[], Callable[[str], str | None]]] = {
        "dict cleared when full (KeyDeriver today)": lambda: KeyDeriver(cache_size=size).address,
        "cachetools.cached(LRUCache, lock=Lock())": lambda: cachetools.cached(
            cachetools.LRUCache(size), lock=threading.Lock()
        )(normalize),
        "cachetools.cached(LRUCache), no lock (not thread-safe)": lambda: cachetools.cached(
            cachetools.LRUCache(size)
        )(normalize),
        "functools.lru_cache(maxsize) (stdlib, C, thread-safe)": lambda: functools.lru_cache(
            maxsize=size
        )(normalize),
        "no cache (normalize every time)": lambda: normalize,
    }
    rng = random.Random(5)
    regulars = [f"Customer {n} <customer.{n}@mail{n % 97}.example.com>" for n in range(1_000)]
    hot = rng.choices(regulars, k=lookups)
    flood = [
        rng.choice(regulars[:200]) if rng.random() < 0.5 else f"spam{n}@flood{n % 50}.example"
        for n in range(lookups)
    ]
    for title, workload in (
        (f"(b2) address cache, {size:,} entries: 1,000 regulars (all hits)", hot),
        ("     half 200 regulars, half never-seen senders (a flood)", flood),
    ):
        seconds = best_of(passes, {n: _looker(make, workload) for n, make in caches.items()})
        print_rates(title, seconds, len(workload), "op")
    print("     bytes per entry (keys and normalized values made beforehand):")
    values = [f"sender{n}@example.net" for n in range(size)]
    for name, make in list(caches.items())[:-1]:
        per_entry = bytes_per_entry(lambda make=make: _cached_all(make(), values), size)
        print(f"  {name:<52}{per_entry:>10.0f}")
    print()


def _looker(make: Callable[[], Callable[[str], object]], workload: list[str]) -> Callable[[], None]:
    def run() -> None:
        address = make()  # a fresh cache per pass: misses count as they would
        for value in workload:
            address(value)

    return run


def _cached_all(address: Callable[[str], object], values: Iterable[str]) -> object:
    for value in values:
        address(value)
    return address


# -- (c) flufl.bounce --------------------------------------------------------------------


class FluflProbe:
    """Stands in for loopguard's flufl.bounce adapter: counts its calls, finds and time."""

    def __init__(self) -> None:
        self.real = report.flufl_failures
        self.calls = self.found = 0
        self.seconds = 0.0

    def __call__(self, message: email.message.Message) -> tuple[set[str], set[str], str | None]:
        started = time.perf_counter()
        found = self.real(message)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        self.found += bool(found[0] or found[1])
        return found


def flufl_section(messages: list[tuple[str, bytes]], passes: int) -> None:
    bounces = [raw for label, raw in messages if label == "bounce"]
    others = [raw for label, raw in messages if label != "bounce"]
    without = _classify_all(bounces, _nothing)
    runs = []  # one pass each: verdicts, seconds, the probe that counted
    for probe in (FluflProbe() for _ in range(passes)):
        runs.append((*_timed(lambda probe=probe: _classify_all(bounces, probe)), probe))
    with_flufl, total, probe = min(runs, key=lambda run: run[1])
    print(f"(c) flufl.bounce on the {len(bounces)} labelled bounces")
    print(f"  loopguard calls it on {probe.calls} (its own reading found no recipient)")
    print(f"  it finds failed recipients in {probe.found} of them")
    print(
        f"  bounces with failed recipients: {_named(with_flufl)} with it, {_named(without)} without"
    )
    changed = sum(1 for a, b in zip(with_flufl, without, strict=True) if a.category != b.category)
    print(f"  verdicts whose category changes without it: {changed}")
    print(
        f"  time in it: {probe.seconds / max(probe.calls, 1) * 1e6:.0f} µs per call, "
        f"{probe.seconds / total:.1%} of classifying the bounces ({total / len(bounces) * 1e6:.0f} "
        "µs/msg); other mail never reaches it"
    )
    ungated = [_all_failures(raw) for raw in bounces]
    alone = sum(1 for found in ungated if found)
    missed = sum(1 for found, v in zip(ungated, without, strict=True) if found and not _has(v))
    print(f"  ungated all_failures() on every bounce: finds recipients in {alone}, {missed} of")
    print("  them in bounces where loopguard's own reading finds none")
    cost = best_of(1, {"b": lambda: [_all_failures(r) for r in bounces],
                       "o": lambda: [_all_failures(r) for r in others]})  # fmt: skip
    print(
        f"  ungated cost: {cost['b'] / len(bounces) * 1e6:.0f} µs per bounce, "
        f"{cost['o'] / max(len(others), 1) * 1e6:.0f} µs per other message\n"
    )


def _classify_all(raws: list[bytes], flufl: Callable[..., Any]) -> list[loopguard.Verdict]:
    with mock.patch.object(report, "flufl_failures", flufl):
        return [CLASSIFIER.classify(raw) for raw in raws]


def _timed(run: Callable[[], Any]) -> tuple[Any, float]:
    gc.collect()
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def _nothing(message: email.message.Message) -> tuple[set[str], set[str], str | None]:
    return set(), set(), None


def _all_failures(raw: bytes) -> bool:
    try:
        temporary, permanent = all_failures(email.message_from_bytes(raw))
    except Exception:  # some detectors raise on real mail
        return False
    return bool(temporary or permanent)


def _has(verdict: loopguard.Verdict) -> bool:
    return verdict.bounce is not None and bool(verdict.bounce.recipients)


def _named(verdicts: list[loopguard.Verdict]) -> int:
    return sum(1 for verdict in verdicts if _has(verdict))


# -- (d) the packages themselves ---------------------------------------------------------


def packages_section() -> None:
    print("(d) the packages")
    print(f"  {'package':<19}{'version':>9}{'KiB':>7}{'import ms':>11}  requires; imported by")
    for distribution, module in PACKAGES.items():
        try:
            meta = importlib.metadata.distribution(distribution)
        except importlib.metadata.PackageNotFoundError:
            print(f"  {distribution:<19}{'not installed':>27}")
            continue
        size = sum(f.size or 0 for f in meta.files or ()) / 1024
        requires = ", ".join(r.split(";")[0] for r in meta.requires or () if "extra" not in r)
        importers = _importers(module.split(".")[0])
        print(
            f"  {distribution:<19}{meta.version:>9}{size:>7.0f}"
            f"{_import_ms(module):>11.1f}  {requires or 'nothing'}; "
            f"{', '.join(importers) or 'nothing in loopguard/'}"
        )


def exporter_cost(classify_seconds: float) -> None:
    """What the Prometheus exporter adds to each counted decision."""
    from prometheus_client import CollectorRegistry

    from loopguard.guard import Guard
    from loopguard.metrics import PrometheusMetrics

    metrics = PrometheusMetrics(CollectorRegistry())
    decision = Guard().check(b"Auto-Submitted: auto-replied\n\nAway.\n", recipient="h@example.org")
    count = 100_000
    spent = best_of(
        5, {"x": lambda: [metrics.observe_decision(decision, 0.001) for _ in range(count)]}
    )
    per = spent["x"] / count
    print(
        f"  PrometheusMetrics.observe_decision: {per * 1e6:.1f} µs a decision "
        f"({per / classify_seconds:.1%} of the mean classification above)"
    )


def _import_ms(module: str) -> float:
    """Best of 5 fresh interpreters: milliseconds that ``import module`` takes."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        for _ in range(5)
    ]
    return min(float(run.stdout) for run in runs) * 1e3


def _importers(top: str) -> list[str]:
    """The modules of loopguard/ that import ``top`` (at any depth of the file)."""
    found = []
    for path in sorted((ROOT / "loopguard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(name.split(".")[0] == top for name in names):
                found.append(path.relative_to(ROOT).as_posix())
                break
    return found


if __name__ == "__main__":
    sys.exit(main())
