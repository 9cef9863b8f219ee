"""Store calls without I/O: what an operation asks of a store, and the blocking driver.

The trackers and the guard decide without I/O, as h11 speaks HTTP: each operation is a
generator (:data:`Operation`) that yields the :class:`StoreCall` values it needs, one per
round trip with every key of its step, receives each answer, and returns its result. A
driver makes the calls: :func:`run` here with blocking calls, :func:`loopguard.stores.aio.run`
awaiting them. :func:`blocking` (and :func:`loopguard.stores.aio.awaiting`) turn a core's
operation into a method of its blocking (or awaitable) face, with the same signature and
documentation, so that each operation is written once.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from loopguard.errors import StoreError
from loopguard.stores import Store, Touch

__all__ = ["Operation", "Stamps", "StoreCall", "blocking", "run", "signed_like"]

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

#: What ``hit`` and ``peek`` answer: per touch, its live timestamps before this event.
Stamps = list[list[float]]


@dataclass(slots=True)
class StoreCall:
    """One call of a :class:`~loopguard.stores.Store` verb, with all of a step's keys.

    ``hit``, ``peek`` and ``refund`` pass ``touches`` and ``now``; ``reset`` passes
    ``keys``. The driver sends back the store's answer (``[]`` for ``refund`` and
    ``reset``), or throws its ``StoreError`` in.
    """

    verb: Literal["hit", "peek", "refund", "reset"]
    touches: Sequence[Touch] = ()
    now: float = 0.0
    keys: Sequence[str] = ()


#: An operation without I/O: yields store calls, receives their answers, returns ``R``.
Operation = Generator[StoreCall, Stamps, R]


def run(operation: Operation[R], store: Store) -> R:
    """Drive ``operation`` to its result with blocking calls of ``store``.

    Raises:
        StoreError: The store failed and the operation did not handle it.
    """
    try:
        call = next(operation)
        while True:
            try:
                answer = _answer(store, call)
            except StoreError as error:
                call = operation.throw(error)
            else:
                call = operation.send(answer)
    except StopIteration as done:
        result: R = done.value
        return result


def _answer(store: Store, call: StoreCall) -> Stamps:
    if call.verb == "reset":
        store.reset(call.keys)
        return []
    if call.verb == "refund":
        store.refund(call.touches, now=call.now)
        return []
    return (store.hit if call.verb == "hit" else store.peek)(call.touches, now=call.now)


def blocking(
    operation: Callable[Concatenate[Any, P], Operation[R]],
) -> Callable[Concatenate[Any, P], R]:
    """The method of a blocking face (with ``core`` and ``store``) that runs ``operation``
    of its core to the result."""

    def method(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return run(operation(self.core, *args, **kwargs), self.store)

    return signed_like(method, operation)


_OPERATION_RESULT = re.compile(r"Operation\[(.*)\]")


def signed_like(method: F, operation: Callable[..., Any]) -> F:
    """``method`` with the name, documentation and signature of ``operation``, its result
    being what the operation returns (for ``help()``, the docs and the twin test)."""
    functools.update_wrapper(method, operation)
    returns = operation.__annotations__.get("return", "")
    match = _OPERATION_RESULT.fullmatch(returns) if isinstance(returns, str) else None
    if match is None:
        raise TypeError(f"{operation.__qualname__} is not annotated as an Operation[...]")
    method.__annotations__ = {**operation.__annotations__, "return": match[1]}
    method.__signature__ = inspect.signature(operation).replace(  # type: ignore[attr-defined]
        return_annotation=match[1]
    )
    return method
