from __future__ import annotations

from pathlib import Path

import pytest

from loopguard.errors import ConfigurationError
from loopguard.stores import Store, store_from_url
from loopguard.stores.memory import MemoryStore
from loopguard.stores.redis import RedisStore
from loopguard.stores.sqlite import SQLiteStore


def test_each_scheme_builds_its_store(tmp_path: Path) -> None:
    built = [
        store_from_url("memory://"),
        store_from_url(f"sqlite:///{tmp_path}/r.db"),
        store_from_url("redis://127.0.0.1:1/0?prefix=p"),
        store_from_url("rediss://127.0.0.1:1/0"),
        store_from_url("unix:///run/redis.sock"),
    ]
    kinds = [type(store) for store in built]
    assert kinds == [MemoryStore, SQLiteStore, RedisStore, RedisStore, RedisStore]
    assert all(isinstance(store, Store) for store in built)
    for store in built:
        store.close()


@pytest.mark.parametrize("url", ["postgres://db/x", "memcached://h", "", "/tmp/x.db"])
def test_unknown_schemes_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError, match="unknown store URL scheme"):
        store_from_url(url)
