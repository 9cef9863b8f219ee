"""Shared helpers of the security tests: a fake clock, messages, a real Redis server.

Redis: ``LOOPGUARD_TEST_REDIS_URL`` when set; otherwise a redis-server of our own on a
free loopback port, stopped after the session. Without either the Redis tests skip,
except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator

import pytest

from loopguard.testing import FakeClock, build_message

HELP = "help@example.org"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _mail(
    sender: str, body: str = "my printer on the third floor is broken again\n", **headers: str
) -> bytes:
    pairs = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return build_message(pairs, body=body, sender=sender, to=HELP)


@pytest.fixture
def mail() -> Callable[..., bytes]:
    """``mail(sender, body=..., **headers)``: a message to the help desk (``_`` in a
    keyword header name stands for ``-``)."""
    return _mail


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI requires the Redis security tests: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """A reachable redis-server: the one CI names, or one started here."""
    given = os.environ.get("LOOPGUARD_TEST_REDIS_URL")
    if given:
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        _unavailable("no redis-server installed and LOOPGUARD_TEST_REDIS_URL unset")
        return
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    # Block on the server's own log line instead of polling with sleeps.
    for line in server.stdout:
        if "Ready to accept connections" in line:
            break
    else:
        server.wait()
        _unavailable(f"redis-server on port {port} did not start")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait()
        server.stdout.close()
