"""How the guard reports: a log record per decision, and the metrics hook.

Decisions are logged on the documented ``loopguard.guard`` logger with structured fields
(``extra``) and never an address. ``metrics=`` takes either a plain callable, called with
the action and reasons of each counted decision, or an object with the
:class:`DecisionMetrics` methods, which sees each decision whole with the seconds it took,
and every store failure (what a Prometheus exporter needs). A failing hook is logged and
never breaks mail handling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from loopguard.classifier.verdict import Reason
from loopguard.errors import StoreError
from loopguard.guard.decision import STORE_ERROR, Action, Decision

__all__ = [
    "DecisionMetrics",
    "Metrics",
    "MetricsHook",
    "count_failure",
    "log",
    "report_decision",
    "report_failure",
]

# The documented logger of decisions (docs/guard.md), whichever module logs them.
log = logging.getLogger("loopguard.guard")

#: Called once per counted decision with its action and reasons (for simple counters).
MetricsHook = Callable[[Action, tuple[Reason, ...]], None]


class DecisionMetrics(Protocol):
    """A metrics backend that sees each counted decision whole (e.g. a Prometheus exporter).

    Counted decisions are those of ``check``, ``protect`` and a ``dispatching`` block (on
    entry: the count is taken with the decision); ``peek`` is not counted.
    """

    def observe_decision(self, decision: Decision, seconds: float) -> None:
        """One counted decision, and the seconds the guard spent on it (classification
        and store calls included); the action, rule, category and ``degraded`` are in
        the decision."""

    def observe_store_failure(self, operation: str, error: StoreError) -> None:
        """A store call failed during ``operation`` (``"check"``, ``"peek"``,
        ``"record"``, ``"reset"``, ``"forget_bounce"`` or ``"refund"``)."""


#: What ``metrics=`` takes.
Metrics = MetricsHook | DecisionMetrics


def report_decision(
    decision: Decision, metrics: Metrics | None, *, seconds: float, counted: bool
) -> None:
    """Log ``decision`` with structured fields; feed a counted one to ``metrics``."""
    level = logging.DEBUG if decision.action is Action.ALLOW else logging.INFO
    if log.isEnabledFor(level):
        log.log(
            level,
            "loopguard %s trigger=%s rule=%s category=%s",
            decision.action,
            decision.trigger,
            decision.rule,
            decision.verdict.category,
            extra={
                "action": str(decision.action),
                "rule": decision.rule,
                "category": str(decision.verdict.category),
                "key_hash": decision.key,
                "trigger": decision.trigger,
                "degraded": decision.degraded,
            },
        )
    if not counted or metrics is None:
        return
    try:
        observe = getattr(metrics, "observe_decision", None)
        if observe is not None:
            observe(decision, seconds)
        else:
            metrics(decision.action, decision.reasons)  # type: ignore[operator]
    except Exception:  # a broken metrics backend must not break mail handling
        log.exception("loopguard metrics hook failed")


def report_failure(
    error: StoreError,
    metrics: Metrics | None,
    *,
    operation: str,
    policy: str,
    key: str | None = None,
) -> None:
    """Log a store failure that ``on_store_error`` handles, and count it."""
    during = " while recording" if operation == "record" else ""
    log.warning(
        "loopguard store failed%s (%s): %s",
        during,
        policy,
        error,
        extra={"rule": STORE_ERROR, "action": policy, "key_hash": key},
    )
    count_failure(error, metrics, operation=operation)


def count_failure(error: StoreError, metrics: Metrics | None, *, operation: str) -> None:
    """Tell ``metrics`` that a store call failed during ``operation``."""
    observe = getattr(metrics, "observe_store_failure", None)
    if observe is None:
        return
    try:
        observe(operation, error)
    except Exception:  # a broken metrics backend must not break mail handling
        log.exception("loopguard metrics hook failed")
