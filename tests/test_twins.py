"""Each blocking class and its async twin expose the same public names and signatures.

Coroutine or function aside: the async twin's ``aclose``, ``__aenter__`` and ``__aexit__``
stand for ``close``, ``__enter__`` and ``__exit__``, and in annotations an ``Async`` class
stands for its blocking twin and ``Awaitable[X]`` for ``X``. A new keyword on one twin
and not the other fails here.
"""

from __future__ import annotations

import inspect
import re

import pytest

from loopguard.guard import Guard
from loopguard.guard.aio import AsyncGuard
from loopguard.rate.aio import AsyncRateTracker
from loopguard.rate.tracker import RateTracker
from loopguard.stores.redis import AsyncRedisStore, RedisStore

TWINS = [
    pytest.param(Guard, AsyncGuard, id="guard"),
    pytest.param(RateTracker, AsyncRateTracker, id="tracker"),
    pytest.param(RedisStore, AsyncRedisStore, id="redis-store"),
]
ASYNC_NAMES = {"aclose": "close", "__aenter__": "__enter__", "__aexit__": "__exit__"}
CONTEXT_METHODS = {"__enter__", "__exit__", "__aenter__", "__aexit__"}


def public_names(cls: type) -> dict[str, str]:
    """The blocking name of each public attribute, mapped to its name on ``cls``."""
    names = [name for name in dir(cls) if not name.startswith("_") or name in CONTEXT_METHODS]
    return {ASYNC_NAMES.get(name, name): name for name in names}


def blocking_text(annotation: object) -> str:
    """An annotation of the async twin as the blocking twin would write it."""
    text = str(annotation)
    text = re.sub(r"\bredis\.asyncio\.", "redis.", text)
    text = re.sub(r"\bAsync(?=[A-Z])", "", text)
    while (unwrapped := re.sub(r"\bAwaitable\[([^\[\]]*)\]", r"\1", text)) != text:
        text = unwrapped
    return text


def shape(cls: type, name: str) -> object:
    """What a caller sees of ``cls.name``: its signature, or the kind of attribute."""
    attribute = inspect.getattr_static(cls, name)
    if isinstance(attribute, property):
        return ("property", blocking_text(inspect.signature(attribute.fget).return_annotation))
    if isinstance(attribute, classmethod | staticmethod):
        attribute = attribute.__func__
    if not callable(attribute):
        return ("value", type(attribute).__name__)
    signature = inspect.signature(attribute)
    parameters = [
        (p.name, p.kind, repr(p.default), blocking_text(p.annotation))
        for p in signature.parameters.values()
    ]
    return parameters, blocking_text(signature.return_annotation)


@pytest.mark.parametrize(("blocking", "awaitable"), TWINS)
def test_twins_have_the_same_public_names(blocking: type, awaitable: type) -> None:
    assert sorted(public_names(blocking)) == sorted(public_names(awaitable))


@pytest.mark.parametrize(("blocking", "awaitable"), TWINS)
def test_twins_have_the_same_signatures(blocking: type, awaitable: type) -> None:
    async_names = public_names(awaitable)
    for name in public_names(blocking):
        assert shape(blocking, name) == shape(awaitable, async_names[name]), name
    assert shape(blocking, "__init__") == shape(awaitable, "__init__")


def test_a_difference_is_seen() -> None:
    class Blocking:
        def check(self, message: object, *, recipient: str | None = None) -> int: ...

    class Awaitable:
        async def check(self, message: object, *, recipent: str | None = None) -> int: ...

    assert shape(Blocking, "check") != shape(Awaitable, "check")
