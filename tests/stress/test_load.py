"""Concurrent writers lose and double no count: processes on SQLite and Redis, threads on memory.

Short budgets here (4 x 2,000 decisions); the full 4 x 50,000 runs by hand with
``benchmarks/stress_stores.py load`` (docs/reliability.md has the figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import RedisServer, slow

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "stress_stores.py"


def load_run(*options: str, timeout: float = 120) -> dict[str, object]:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "load", *options],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    report: dict[str, object] = json.loads(run.stdout)
    return report


def assert_exact(report: dict[str, object]) -> None:
    assert report["stored"] == report["expected"]
    assert report["exact"] is True  # every pair, not only the total


def test_four_processes_on_sqlite(tmp_path: Path) -> None:
    assert_exact(
        load_run(
            "--store", "sqlite", "--url", f"sqlite:///{tmp_path / 'l.db'}", "--decisions", "2000"
        )
    )


@pytest.mark.redis
def test_four_processes_on_redis(redis_server: RedisServer) -> None:
    assert_exact(load_run("--store", "redis", "--url", redis_server.url, "--decisions", "2000"))


def test_eight_threads_on_memory() -> None:
    assert_exact(load_run("--store", "memory", "--threads", "8", "--decisions", "5000"))


@slow
@pytest.mark.parametrize("store", ["memory", "sqlite", "redis"])
def test_full_load(store: str) -> None:
    assert_exact(load_run("--store", store, "--decisions", "50000", timeout=1800))
