"""Several processes deciding on one key through a shared store allow exactly the limit."""

from __future__ import annotations

import subprocess
import sys
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest

from .conftest import delete_prefix

LIMIT = 25
PROCESSES = 4

# Each worker builds its own store from the URL, reports "ready", waits for "go" so
# that all of them decide at the same time, then prints how many of its hits passed.
WORKER = """
import sys
from loopguard.stores import store_from_url
from loopguard.rate.tracker import Limit, RateTracker

url, limit, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rates = RateTracker([Limit(limit, "1h")], store=store_from_url(url), clock=lambda: 1.8e9)
print("ready", flush=True)
sys.stdin.readline()
allowed = sum(rates.hit(sender="a@x.org", recipient="b@y.org").allowed for _ in range(rounds))
rates.close()
print(allowed, flush=True)
"""


def allowed_across_processes(url: str, rounds: int) -> int:
    with ExitStack() as workers_alive:
        workers = [
            workers_alive.enter_context(
                subprocess.Popen(
                    [sys.executable, "-c", WORKER, url, str(LIMIT), str(rounds)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for _ in range(PROCESSES)
        ]
        # A failed assertion must not leave workers running and their pipes open for
        # the garbage collector to report during some later test.
        workers_alive.callback(_kill_all, workers)
        return _run_together(workers)


def _run_together(workers: list[subprocess.Popen[str]]) -> int:
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    totals = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        totals.append(int(out))
    assert all(total <= LIMIT for total in totals)
    return sum(totals)


def _kill_all(workers: list[subprocess.Popen[str]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.kill()


def test_sqlite_processes_allow_exactly_the_limit(tmp_path: Path) -> None:
    assert allowed_across_processes(f"sqlite:///{tmp_path / 'shared.db'}", 3000) == LIMIT


@pytest.mark.redis
def test_redis_processes_allow_exactly_the_limit(redis_url: str) -> None:
    prefix = f"lgtest-{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in redis_url else "?"
    try:
        assert allowed_across_processes(f"{redis_url}{separator}prefix={prefix}", 3000) == LIMIT
    finally:
        delete_prefix(redis_url, prefix)
