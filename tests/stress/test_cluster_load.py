"""4 processes x 8 threads count exactly on a standalone Redis and on a Redis Cluster.

Each thread decides 250 events over 1,000 pairs whose keys spread over every master of
the cluster; afterwards each pair's stored count must equal the events sent to it
(``benchmarks/stress_stores.py load``, the same run as ``test_load.py``'s, with threads).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from redis_servers import kinds_params, reach
from scripts import load_script

from loopguard.rate.keys import KeyDeriver

STRESS = Path(__file__).resolve().parents[2] / "benchmarks" / "stress_stores.py"


def masters_holding_the_pairs(store_url: str, prefix: str) -> set[str]:
    """The cluster nodes that hold the load run's pair keys."""
    stress = load_script("benchmarks/stress_stores.py")
    client = reach("cluster").client()
    try:
        derive = KeyDeriver().key_of
        return {
            client.get_node_from_key(f"{prefix}:{derive('pair', *stress.pair(index), None)}").name
            for index in range(stress.PAIRS)
        }
    finally:
        client.close()


@pytest.mark.parametrize("kind", kinds_params())
def test_four_processes_of_eight_threads_count_exactly(kind: str) -> None:
    server = reach(kind)
    prefix = f"lgload-{uuid.uuid4().hex[:12]}"
    command = [sys.executable, str(STRESS), "load", "--store", "redis"]
    options = ("--processes", "4", "--threads", "8", "--decisions", "250")
    try:
        run = subprocess.run(
            [*command, "--url", server.store_url(prefix=prefix), *options],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        report = json.loads(run.stdout)
        assert report["workers"] == 32
        assert report["stored"] == report["expected"] == 32 * 250
        assert report["exact"] is True  # every pair, not only the total
        if kind == "cluster":
            assert len(masters_holding_the_pairs(server.store_url(), prefix)) == 3
    finally:
        server.delete_prefix(prefix)
