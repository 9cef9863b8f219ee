"""Helpers of the store stress tests: private redis-servers to stop and kill, slow runs.

Fault tests need a server of their own that they can SIGSTOP, kill and restart, so they
never touch the shared one CI names in ``LOOPGUARD_TEST_REDIS_URL``. Each server listens
on a free loopback port and is killed on teardown, even when the test fails. Without a
``redis-server`` binary the Redis tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., object])

#: How long a server may take to answer PING after it starts.
_START_TIMEOUT = 10.0


def slow(test: F) -> F:
    """Mark a full-size run: skipped unless ``LOOPGUARD_SLOW=1``."""
    skip = pytest.mark.skipif(
        os.environ.get("LOOPGUARD_SLOW") != "1", reason="full-size run: set LOOPGUARD_SLOW=1"
    )
    marked: F = pytest.mark.slow(skip(test))
    return marked


def figure(scenario: str, **measured: object) -> None:
    """Print a measured figure (seen with ``pytest -s``; docs/reliability.md quotes them)."""
    values = " ".join(
        f"{name}={value:.3f}" if isinstance(value, float) else f"{name}={value}"
        for name, value in measured.items()
    )
    print(f"FIGURE {scenario}: {values}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """One private redis-server on a loopback port, with the faults the tests inject."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server (empty: no persistence) and wait until it answers PING."""
        self.process = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--enable-debug-command", "local"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._answers_ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server on port {self.port} did not start")

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections, nothing answers."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, and wait for the process to go; the data is gone (no persistence)."""
        if self.process is None:
            return
        self._signal(signal.SIGCONT)  # a stopped process dies only once continued
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        """Kill, then start again empty on the same port."""
        self.kill()
        self.start()

    def command(self, *args: str) -> object:
        """Run one command on a connection of its own (bounded by a 5 s timeout)."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        try:
            return client.execute_command(*args)
        finally:
            client.close()

    def _signal(self, signum: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            time.sleep(0.02)  # not listening yet: a short pause between probes
            return False


def redis_binary() -> str:
    """The redis-server binary, or skip (fail under CI)."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "no redis-server binary on PATH (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(f"CI requires the Redis fault tests: {message}")
        pytest.skip(message)
    return binary


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A private, running redis-server; killed on teardown whatever the test did."""
    pytest.importorskip("redis")
    server = RedisServer(redis_binary())
    try:
        server.start()
        yield server
    finally:
        server.kill()
