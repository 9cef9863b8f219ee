"""A private Redis Cluster on loopback: three masters, each with a replica, from redis-server.

CI starts one for the whole run (``.ci/run`` calls ``python3 tests/redis_cluster.py start``)
and the failover test starts one of its own, on other ports, that it may damage. Each node
runs daemonized with its config, pid and log files in a folder of its own; nothing is
persisted (``--save ''``, no AOF). Every wait is bounded.

Usage::

    python3 tests/redis_cluster.py start 7001 /tmp/loopguard-cluster   # prints the URL
    python3 tests/redis_cluster.py stop 7001 /tmp/loopguard-cluster
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

NODES = 6
#: How long the nodes may take to answer, and the cluster to report cluster_state:ok.
START_SECONDS = 30.0


class ClusterError(RuntimeError):
    """The cluster did not start, or did not reach the state waited for in time."""


class Cluster:
    """Six redis-server nodes on ``base_port`` .. ``base_port + 5`` (and their bus ports).

    Args:
        base_port: The first node's port; the cluster bus uses port + 10000.
        folder: Where each node keeps its nodes.conf, pid and log file.
        node_timeout_ms: ``cluster-node-timeout``: how long a master may be silent
            before its replica takes over (small in tests, for a fast failover).
    """

    def __init__(self, base_port: int, folder: Path, *, node_timeout_ms: int = 2000) -> None:
        self.ports = [base_port + index for index in range(NODES)]
        self.folder = folder
        self.node_timeout_ms = node_timeout_ms

    @property
    def url(self) -> str:
        """A store URL of the cluster (any node is an entry point for a cluster client)."""
        return f"redis://127.0.0.1:{self.ports[0]}/0?cluster=yes"

    def start(self) -> None:
        """Start the nodes, join them (replicas 1) and wait for ``cluster_state:ok``."""
        for port in self.ports:
            self._start_node(port)
        self._wait("every node to answer PING", lambda: all(map(self._answers, self.ports)))
        addresses = [f"127.0.0.1:{port}" for port in self.ports]
        _run("redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "1",
             "--cluster-yes")  # fmt: skip
        self.wait_until_ok()

    def wait_until_ok(self, ports: list[int] | None = None) -> None:
        """Wait until the nodes agree on one healthy cluster and every replica is in sync."""
        live = ports or self.ports
        self._wait("cluster_state:ok on every node", lambda: all(map(self._healthy, live)))

    def masters(self) -> list[int]:
        """The ports of the nodes that are masters now."""
        return [port for port in self.ports if self._answers(port) and self._role(port) == "master"]

    def replica_of(self, master: int) -> int:
        """The port of the replica that follows the master on ``master``."""
        for port in self.ports:
            if port != master and self._answers(port) and self._follows(port, master):
                return port
        raise ClusterError(f"no replica follows the master on port {master}")

    def kill(self, port: int) -> None:
        """SIGKILL one node, as a crashed machine: no goodbye to the others."""
        pid = int((self.folder / f"{port}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        self._wait(f"node {port} to die", lambda: not self._answers(port))

    def wait_for_master(self, port: int) -> None:
        """Wait until the node on ``port`` is a master and the cluster is healthy again."""
        survivors = [other for other in self.ports if self._answers(other)]
        self._wait(f"node {port} to be promoted", lambda: self._role(port) == "master")
        self.wait_until_ok(survivors)

    def stop(self) -> None:
        """Kill every node still running and remove the folder."""
        for pidfile in self.folder.glob("*.pid"):
            with contextlib.suppress(ProcessLookupError, ValueError):  # gone, or pid unwritten
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)

    def command(self, port: int, *args: str) -> object:
        """One command on one node, on a connection of its own (bounded by a 2 s timeout)."""
        import redis

        client = redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=2)
        try:
            return client.execute_command(*args)
        except redis.RedisError as exc:
            raise ClusterError(f"{args[0]} on port {port} failed: {exc}") from exc
        finally:
            client.close()

    def replication(self, port: int) -> dict[str, object]:
        """The node's ``INFO replication`` (role, master_port, master_link_status...)."""
        info = self.command(port, "INFO", "replication")
        assert isinstance(info, dict)
        return info

    def _start_node(self, port: int) -> None:
        home = self.folder / str(port)
        home.mkdir(parents=True, exist_ok=True)
        _run(
            "redis-server",
            *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(home)),
            *("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"),
            *("--cluster-node-timeout", str(self.node_timeout_ms)),
            *("--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"),
            *("--daemonize", "yes"),
            *("--pidfile", str(self.folder / f"{port}.pid")),
            *("--logfile", str(self.folder / f"{port}.log")),
        )

    def _answers(self, port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def _role(self, port: int) -> str:
        try:
            return str(self.replication(port)["role"])
        except ClusterError:
            return "down"

    def _follows(self, port: int, master: int) -> bool:
        return self.replication(port).get("master_port") == master

    def _healthy(self, port: int) -> bool:
        try:
            state = self.command(port, "CLUSTER", "INFO")
            replication = self.replication(port)
        except ClusterError:
            return False
        in_sync = replication["role"] == "master" or replication["master_link_status"] == "up"
        return b"cluster_state:ok" in state and in_sync  # type: ignore[operator]

    def _wait(self, what: str, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not done():
            if time.monotonic() > deadline:
                raise ClusterError(f"gave up waiting for {what} after {START_SECONDS:g} s")
            time.sleep(0.1)  # polling a cluster that converges in its own time


def free_base_port() -> int:
    """A base port whose six ports and six bus ports (port + 10000) are all free."""
    for base in range(20_000, 22_000, NODES):
        ports = [base + index for index in range(NODES)]
        if all(_free(port) and _free(port + 10_000) for port in ports):
            return base
    raise ClusterError("no free block of six loopback ports between 20000 and 22000")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _run(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"{command[0]} failed: {exc}") from exc
    if done.returncode != 0 or done.stdout.startswith(("ERR", "Could not connect")):
        raise ClusterError(f"{' '.join(command[:4])} failed: {done.stdout}{done.stderr}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("base_port", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--node-timeout-ms", type=int, default=2000)
    args = parser.parse_args()
    cluster = Cluster(args.base_port, args.folder, node_timeout_ms=args.node_timeout_ms)
    if args.action == "stop":
        cluster.stop()
        return
    try:
        cluster.start()
    except ClusterError:
        cluster.stop()
        raise
    print(cluster.url)


if __name__ == "__main__":
    main()
