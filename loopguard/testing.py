"""Helpers for testing an integration: messages without .eml files, time without sleeping,
and the sans-IO operations of the guard and the trackers driven by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from loopguard.errors import StoreError
from loopguard.stores.sansio import Operation, Stamps, StoreCall

__all__ = ["FakeClock", "build_message", "exchange"]

R = TypeVar("R")


def build_message(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    body: str = "Hello,\n\nsee you tomorrow.\n\nAnn\n",
    *,
    sender: str = "Ann Example <ann@example.com>",
    to: str = "help@example.org",
    subject: str = "Question about my order",
    crlf: bool = False,
) -> bytes:
    """Raw bytes of a simple text message with the given extra headers.

    ``From``, ``To`` and ``Subject`` come from the keyword arguments unless ``headers``
    sets them; ``headers`` may repeat a name when given as pairs.
    """
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    given = {name.lower() for name, _ in pairs}
    defaults = [("From", sender), ("To", to), ("Subject", subject)]
    lines = [f"{name}: {value}" for name, value in defaults if name.lower() not in given]
    lines += [f"{name}: {value}" for name, value in pairs]
    lines += ["Message-ID: <test.1@example.com>", "MIME-Version: 1.0"]
    if "content-type" not in given:
        lines.append("Content-Type: text/plain; charset=utf-8")
    newline = "\r\n" if crlf else "\n"
    text = newline.join(lines) + newline + newline + body.replace("\n", newline)
    return text.encode("utf-8")


class FakeClock:
    """A clock that only moves when told to: pass it as ``clock=`` to a tracker or guard.

    Wall-clock seconds like :func:`time.time`; it starts at ``start``.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward."""
        self.now += seconds


def exchange(operation: Operation[R], *answers: Stamps | StoreError) -> tuple[list[StoreCall], R]:
    """Drive a sans-IO operation by hand, without a store or an event loop.

    Each store call the operation yields is answered with the next of ``answers`` (a
    ``StoreError`` is thrown in, as a driver does when the store fails). Returns the calls
    it made and its result::

        calls, decision = exchange(guard.core.check(message), [[]], [[], []], [[]])

    Raises:
        AssertionError: The operation asked for more calls than there are answers, or
            ended before using them all.
    """
    calls: list[StoreCall] = []
    pending = list(answers)
    try:
        call = next(operation)
        while True:
            calls.append(call)
            assert pending, f"no answer left for call {len(calls)}: {call}"
            answer = pending.pop(0)
            if isinstance(answer, StoreError):
                call = operation.throw(answer)
            else:
                call = operation.send(answer)
    except StopIteration as done:
        assert not pending, f"{len(pending)} answers left over after {len(calls)} calls"
        result: R = done.value
        return calls, result
