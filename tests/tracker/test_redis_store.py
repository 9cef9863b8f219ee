from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import redis

from loopguard.errors import ConfigurationError, StoreError
from loopguard.rate.keys import KeyDeriver, MailEvent
from loopguard.stores import Touch
from loopguard.stores.redis import RedisStore

from .conftest import delete_prefix

NOW = 1_800_000_000.0


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    name = f"lgtest-{uuid.uuid4().hex[:12]}"
    yield name
    delete_prefix(redis_url, name)


@pytest.mark.redis
def test_keys_are_prefixed_hash_tagged_and_expire(redis_url: str, prefix: str) -> None:
    key = KeyDeriver(secret="s").key("pair", MailEvent("a@x.org", "b@y.org"))
    assert key is not None
    with RedisStore(redis_url, prefix=prefix) as store:
        store.hit([Touch(key, 90, 3)], now=NOW)
    client = redis.Redis.from_url(redis_url)
    [stored] = list(client.scan_iter(match=f"{prefix}:*"))
    assert stored.decode() == f"{prefix}:{key}"
    assert b"a@x.org" not in stored
    assert 89_000 < client.pttl(stored) <= 90_000
    assert client.lrange(stored, 0, -1) == [repr(NOW).encode()]
    client.close()


@pytest.mark.redis
def test_a_client_passed_in_is_used_and_left_open(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    store = RedisStore(client, prefix=prefix)
    store.hit([Touch("k", 60, 3)], now=NOW)
    store.close()
    assert client.ping()
    assert client.exists(f"{prefix}:k") == 1
    client.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_server_is_a_store_error() -> None:
    store = RedisStore(f"redis://127.0.0.1:{_closed_port()}/0", timeout=0.5)
    for call in (
        lambda: store.hit([Touch("k", 60, 3)], now=NOW),
        lambda: store.peek([Touch("k", 60, 3)], now=NOW),
        lambda: store.reset(["k"]),
    ):
        with pytest.raises(StoreError, match="Redis rate store failed") as caught:
            call()
        assert isinstance(caught.value.__cause__, redis.ConnectionError)
    store.close()


@pytest.mark.parametrize("bad", ["", "a{b", "x}"])
def test_prefixes_that_would_break_hash_tags_are_refused(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="prefix"):
        RedisStore("redis://127.0.0.1:1/0", prefix=bad)


def test_from_url_takes_prefix_and_cluster_options() -> None:
    store = RedisStore.from_url("redis://127.0.0.1:1/0?prefix=app&cluster=yes&socket_timeout=1")
    assert store.prefix == "app"
    assert store._layout.cluster
    assert store.client.connection_pool.connection_kwargs["socket_timeout"] == 1.0
    assert not RedisStore.from_url("redis://127.0.0.1:1/0")._layout.cluster
    with pytest.raises(ConfigurationError, match="cluster"):
        RedisStore.from_url("redis://127.0.0.1:1/0?cluster=maybe")
    with pytest.raises(ConfigurationError, match="bad Redis URL"):
        RedisStore("http://127.0.0.1:1/0")


def test_cluster_mode_sends_one_script_call_per_hash_slot() -> None:
    store = RedisStore("redis://127.0.0.1:1/0", cluster=True)
    keys = ["v1:pair:{aa}", "v1:sender:{bb}", "v1:pair:{aa}", "v1:thread:{aa}"]
    assert store._layout.groups(keys) == [[0, 2, 3], [1]]
    assert RedisStore("redis://127.0.0.1:1/0")._layout.groups(keys) == [[0, 1, 2, 3]]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_importing_loopguard_does_not_import_redis() -> None:
    result = run_python(
        "import sys, loopguard, loopguard.rate.tracker, loopguard.stores, loopguard.stores.memory\n"
        "import loopguard.stores.sqlite, loopguard.stores.redis, loopguard.rate.aio\n"
        "print('redis' in sys.modules)"
    )
    assert result.stdout.strip() == "False", result.stderr


def test_a_missing_redis_package_names_the_extra() -> None:
    result = run_python(
        "import sys\n"
        "sys.modules['redis'] = None  # what an uninstalled package looks like to import\n"
        "from loopguard.stores import store_from_url\n"
        "from loopguard.errors import ConfigurationError\n"
        "try:\n"
        "    store_from_url('redis://127.0.0.1:6379/0')\n"
        "except ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    assert "pip install 'loopguard[redis]'" in result.stdout, result.stderr
