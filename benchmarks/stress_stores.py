"""Store load and key-flood runs, full size by hand, short budgets from tests/stress.

Usage::

    python benchmarks/stress_stores.py load --store sqlite --processes 4 --decisions 50000
    python benchmarks/stress_stores.py load --store redis --processes 4 --decisions 50000
    python benchmarks/stress_stores.py load --store redis --threads 8 --url "$CLUSTER_URL"
    python benchmarks/stress_stores.py load --store memory --threads 8 --decisions 50000
    python benchmarks/stress_stores.py flood --senders 5000000 --max-keys 1000000

``load`` has every worker (a thread of one of ``--processes`` processes, each with one
store; the memory store runs its threads in one process) decide ``--decisions`` events
over a shared set of pairs, all starting at one signal, then
reads every pair back: the stored count must equal the events sent to it exactly (no
lost, no double count). Without ``--url``, Redis runs on a private ``redis-server`` on a
free loopback port, stopped afterwards. ``flood`` sends distinct senders through a
capped ``MemoryStore`` while one looping pair keeps writing, and reports resident memory,
evictions and whether the loop stayed suppressed. Each prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loopguard.rate.tracker import DEFAULT_LIMITS, Limit, RateTracker
from loopguard.stores import Store, Touch, store_from_url
from loopguard.stores.memory import MemoryStore

# Never reached: the load run checks counting, not limiting.
LOAD_LIMIT = Limit(1_000_000, "1d")
PAIRS = 1000
CLOCK_START = 1_800_000_000.0


def pair(index: int) -> tuple[str, str]:
    customer = index % PAIRS
    return f"customer{customer}@mail{customer % 97}.example.com", "help@example.org"


def expected_counts(workers: int, decisions: int) -> list[int]:
    counts = [0] * PAIRS
    for worker in range(workers):
        for number in range(decisions):
            counts[(worker * decisions + number) % PAIRS] += 1
    return counts


def decide(tracker: RateTracker, worker: int, decisions: int) -> None:
    for number in range(decisions):
        sender, recipient = pair(worker * decisions + number)
        tracker.hit(sender=sender, recipient=recipient)


def stored_counts(store: Store) -> list[int]:
    tracker = RateTracker([LOAD_LIMIT], store=store)
    touches = []
    for index in range(PAIRS):
        sender, recipient = pair(index)
        key = tracker.keys.key_of("pair", sender, recipient, None)
        assert key is not None
        touches.append(Touch(key, LOAD_LIMIT.per, LOAD_LIMIT.count))
    return [len(stamps) for stamps in store.peek(touches, now=time.time())]


def decide_in_threads(tracker: RateTracker, workers: range, decisions: int) -> None:
    """Each worker of ``workers`` decides in a thread of its own, all starting together."""
    go = threading.Barrier(len(workers))

    def work(worker: int) -> None:
        go.wait()
        decide(tracker, worker, decisions)

    pool = [threading.Thread(target=work, args=(worker,)) for worker in workers]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def worker_main(url: str, process: int, threads: int, decisions: int) -> None:
    """One load process: build the store, say ready, wait for go, decide, report seconds."""
    tracker = RateTracker([LOAD_LIMIT], store=store_from_url(url))
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    decide_in_threads(tracker, range(process * threads, (process + 1) * threads), decisions)
    print(time.perf_counter() - started, flush=True)
    tracker.close()


def run_processes(url: str, processes: int, threads: int, decisions: int, timeout: float) -> float:
    """Wall-clock seconds for ``processes`` x ``threads`` workers to decide ``decisions`` each."""
    command = [sys.executable, __file__, "worker", url]
    workers = [
        subprocess.Popen(
            [*command, str(index), str(threads), str(decisions)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for index in range(processes)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            if worker.stdout.readline().strip() != "ready":
                raise RuntimeError("a load worker failed to start")
        started = time.perf_counter()
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            worker.communicate(timeout=timeout)
            if worker.returncode != 0:
                raise RuntimeError(f"a load worker exited with {worker.returncode}")
        return time.perf_counter() - started
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(timeout=10)


def run_threads(store: Store, threads: int, decisions: int) -> float:
    tracker = RateTracker([LOAD_LIMIT], store=store)
    started = time.perf_counter()
    decide_in_threads(tracker, range(threads), decisions)
    return time.perf_counter() - started


@contextmanager
def private_redis() -> Iterator[str]:
    """A redis-server on a free loopback port for the run's length."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed; pass --url")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # waiting for the server process to listen
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.kill()
        server.wait(timeout=10)


def load(args: argparse.Namespace) -> dict[str, object]:
    processes = 1 if args.store == "memory" else args.processes
    threads = args.threads or (8 if args.store == "memory" else 1)
    workers = processes * threads
    with _store_url(args) as url:
        if args.store == "memory":
            store: Store = MemoryStore()
            seconds = run_threads(store, workers, args.decisions)
        else:
            seconds = run_processes(url, processes, threads, args.decisions, args.timeout)
            store = store_from_url(url)
        counts = stored_counts(store)
        store.close()
    expected = expected_counts(workers, args.decisions)
    return {
        "scenario": f"load {args.store}",
        "workers": workers,
        "processes": processes,
        "threads_each": threads,
        "decisions_each": args.decisions,
        "stored": sum(counts),
        "expected": sum(expected),
        "exact": counts == expected,
        "seconds": round(seconds, 3),
        "decisions_per_second": round(workers * args.decisions / seconds),
    }


@contextmanager
def _store_url(args: argparse.Namespace) -> Iterator[str]:
    if args.url:
        yield args.url
    elif args.store == "redis":
        with private_redis() as url:
            yield url
    elif args.store == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'load.db'}"
    else:
        yield "memory://"


def rss_bytes() -> int:
    """Current resident memory of this process (Linux /proc), in bytes."""
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * resource.getpagesize()


def flood(args: argparse.Namespace) -> dict[str, object]:
    """Distinct senders through a capped store while one pair keeps looping."""
    now = [CLOCK_START]
    store = MemoryStore(max_keys=args.max_keys)
    tracker = RateTracker(DEFAULT_LIMITS, store=store, clock=lambda: now[0])
    loop_allowed = loop_events = 0
    samples: list[int] = []
    started = time.perf_counter()
    for number in range(args.senders):
        now[0] += args.tick
        tracker.hit(sender=f"flood{number}@spam{number % 1009}.example", recipient="help@ex.org")
        if number % args.loop_every == 0:
            loop_events += 1
            loop_allowed += tracker.hit(sender="bot@loop.example", recipient="help@ex.org").allowed
        if (number + 1) % args.max_keys == 0:
            samples.append(rss_bytes())
    seconds = time.perf_counter() - started
    first_limit = DEFAULT_LIMITS[0].count
    return {
        "scenario": "key flood",
        "senders": args.senders,
        "max_keys": args.max_keys,
        "keys_held": len(store),
        "evictions": store.evictions,
        "expirations": store.expirations,
        "loop_events": loop_events,
        "loop_allowed": loop_allowed,
        "loop_suppressed_throughout": loop_allowed == first_limit,
        "rss_mib_at_each_max_keys": [round(sample / 2**20, 1) for sample in samples],
        "seconds": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    loading = commands.add_parser("load", help="exact counts under concurrent writers")
    loading.add_argument("--store", choices=("memory", "sqlite", "redis"), required=True)
    loading.add_argument("--url", help="a store URL (default: a private one)")
    loading.add_argument("--processes", type=int, default=4)
    loading.add_argument("--threads", type=int, help="per process (default: 8 memory, else 1)")
    loading.add_argument("--decisions", type=int, default=50_000)
    loading.add_argument("--timeout", type=float, default=1800.0, help="seconds per worker")
    flooding = commands.add_parser("flood", help="distinct senders through a capped store")
    flooding.add_argument("--senders", type=int, default=5_000_000)
    flooding.add_argument("--max-keys", type=int, default=1_000_000)
    flooding.add_argument("--loop-every", type=int, default=1000, help="flood senders per loop")
    flooding.add_argument("--tick", type=float, default=0.001, help="clock seconds per sender")
    working = commands.add_parser("worker", help="internal: one load process")
    working.add_argument("url")
    working.add_argument("index", type=int)
    working.add_argument("threads", type=int)
    working.add_argument("decisions", type=int)
    args = parser.parse_args(argv)
    if args.command == "worker":
        worker_main(args.url, args.index, args.threads, args.decisions)
        return
    report = load(args) if args.command == "load" else flood(args)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
