from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import redis
from redis_servers import RealRedis, reach

from loopguard.errors import ConfigurationError, StoreError
from loopguard.rate.keys import KeyDeriver, MailEvent
from loopguard.stores import Touch
from loopguard.stores.redis import AsyncRedisStore, RedisStore

NOW = 1_800_000_000.0


@pytest.fixture
def prefix(real_redis: RealRedis) -> Iterator[str]:
    name = f"lgtest-{uuid.uuid4().hex[:12]}"
    yield name
    real_redis.delete_prefix(name)


@pytest.mark.redis
def test_keys_are_prefixed_hash_tagged_and_expire(real_redis: RealRedis, prefix: str) -> None:
    key = KeyDeriver(secret="s").key("pair", MailEvent("a@x.org", "b@y.org"))
    assert key is not None
    with RedisStore.from_url(real_redis.store_url(prefix=prefix)) as store:
        store.hit([Touch(key, 90, 3)], now=NOW)
    client = real_redis.client()
    [stored] = list(client.scan_iter(match=f"{prefix}:*"))
    assert stored.decode() == f"{prefix}:{key}"
    assert b"a@x.org" not in stored
    assert 89_000 < client.pttl(stored) <= 90_000
    assert client.lrange(stored, 0, -1) == [repr(NOW).encode()]
    client.close()


@pytest.mark.redis
def test_a_client_passed_in_is_used_and_left_open(real_redis: RealRedis, prefix: str) -> None:
    client = real_redis.client()
    store = RedisStore(client, prefix=prefix)
    assert store._layout.cluster == (real_redis.kind == "cluster")
    store.hit([Touch("k", 60, 3)], now=NOW)
    store.close()
    assert client.ping()
    assert client.exists(f"{prefix}:k") == 1
    client.close()


@pytest.mark.redis
def test_a_cluster_url_spreads_one_batch_over_every_master() -> None:
    cluster = reach("cluster")
    prefix = f"lgtest-{uuid.uuid4().hex[:12]}"
    touches = [Touch(f"v1:pair:{{{number:04x}}}", 60, 3) for number in range(64)]
    client = cluster.client()
    try:
        with RedisStore.from_url(cluster.store_url(prefix=prefix)) as store:
            assert store.hit(touches, now=NOW) == [[]] * 64
            assert store.client.retry.get_retries() == 0  # type: ignore[union-attr]
            masters = {client.get_node_from_key(f"{prefix}:{t.key}").name for t in touches}
            assert len(masters) == 3
            assert store.peek(touches, now=NOW + 1) == [[NOW]] * 64
            store.reset([t.key for t in touches])  # one DEL per slot
            assert store.peek(touches, now=NOW + 1) == [[]] * 64
    finally:
        client.close()
        cluster.delete_prefix(prefix)


@pytest.mark.redis
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_server_that_lost_the_script_is_given_it_again(
    real_redis: RealRedis, prefix: str, asynchronous: bool
) -> None:
    # A new node, a restarted one or a promoted replica answers NOSCRIPT and runs nothing.
    touches = [Touch(f"v1:pair:{{{number:02x}}}", 60, 3) for number in range(8)]
    client = real_redis.client()

    async def scenario() -> list[list[list[float]]]:
        store = AsyncRedisStore.from_url(real_redis.store_url(prefix=prefix))
        await store.hit(touches, now=NOW)
        client.script_flush()
        answers = [await store.hit(touches, now=NOW + 1), await store.peek(touches, now=NOW + 2)]
        await store.close()
        return answers

    if asynchronous:
        answers = asyncio.run(scenario())
    else:
        with RedisStore.from_url(real_redis.store_url(prefix=prefix)) as store:
            store.hit(touches, now=NOW)
            client.script_flush()
            answers = [store.hit(touches, now=NOW + 1), store.peek(touches, now=NOW + 2)]
    client.close()
    assert answers == [[[NOW]] * 8, [[NOW, NOW + 1]] * 8]  # each call ran exactly once


@pytest.mark.redis
def test_an_error_reply_is_a_store_error(real_redis: RealRedis, prefix: str) -> None:
    client = real_redis.client()
    client.set(f"{prefix}:v1:pair:{{aa}}", "not a list")
    with RedisStore.from_url(real_redis.store_url(prefix=prefix)) as store:
        with pytest.raises(StoreError, match="WRONGTYPE") as caught:
            store.hit([Touch("v1:pair:{aa}", 60, 3), Touch("v1:pair:{bb}", 60, 3)], now=NOW)
        assert isinstance(caught.value.__cause__, redis.ResponseError)
    client.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("cluster", "cause"),
    [(False, redis.ConnectionError), (True, redis.exceptions.RedisClusterException)],
)
def test_an_unreachable_server_is_a_store_error(cluster: bool, cause: type[Exception]) -> None:
    # A cluster client connects as it is made: on first use, so the constructor never fails.
    store = RedisStore(f"redis://127.0.0.1:{_closed_port()}/0", cluster=cluster, timeout=0.5)
    for call in (
        lambda: store.hit([Touch("k", 60, 3)], now=NOW),
        lambda: store.peek([Touch("k", 60, 3)], now=NOW),
        lambda: store.reset(["k"]),
    ):
        with pytest.raises(StoreError, match="Redis rate store failed") as caught:
            call()
        assert isinstance(caught.value.__cause__, cause)
    store.close()


@pytest.mark.parametrize("bad", ["", "a{b", "x}"])
def test_prefixes_that_would_break_hash_tags_are_refused(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="prefix"):
        RedisStore("redis://127.0.0.1:1/0", prefix=bad)


def test_from_url_takes_prefix_and_cluster_options() -> None:
    store = RedisStore.from_url("redis://127.0.0.1:1/0?prefix=app&socket_timeout=1")
    assert store.prefix == "app"
    assert store.client.connection_pool.connection_kwargs["socket_timeout"] == 1.0
    assert not store._layout.cluster
    assert RedisStore.from_url("redis://127.0.0.1:1/0?cluster=yes")._layout.cluster
    with pytest.raises(ConfigurationError, match="cluster"):
        RedisStore.from_url("redis://127.0.0.1:1/0?cluster=maybe")
    with pytest.raises(ConfigurationError, match="bad Redis URL"):
        RedisStore("http://127.0.0.1:1/0")
    for not_a_cluster in ("redis://127.0.0.1:1/2?cluster=yes", "unix:///run/r.sock?cluster=yes"):
        with pytest.raises(ConfigurationError, match="database 0"):
            RedisStore.from_url(not_a_cluster)


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
