"""Prometheus series of the guard's decisions (the ``loopguard[prometheus]`` extra).

:class:`PrometheusMetrics` is a :class:`~loopguard.guard.telemetry.DecisionMetrics`
backend: pass it as ``Guard(metrics=...)`` or ``AsyncGuard(metrics=...)``. It imports
``prometheus_client`` only when it is built, so a host without the extra pays nothing.

Every label value comes from a closed set: actions and categories are enums, the rule is
a rule *name* from the guard's or the classifier's registries (never a reason's detail,
which can quote an address), and a store operation is one of the guard's operations.
A value outside its set (a host's own rule with an odd name) is counted as ``other``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Final

from loopguard.errors import ConfigurationError, StoreError
from loopguard.guard.decision import Action, Decision

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram
    from prometheus_client.registry import Collector

__all__ = ["CHECK_SECONDS_BUCKETS", "PrometheusMetrics", "rule_label"]

#: Upper bounds of the check latency histogram, in seconds: a check takes from about
#: 0.1 ms (decided by the headers, memory store) to a store's timeout (seconds).
CHECK_SECONDS_BUCKETS: Final = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip
#: The label value of a plain allow (no reason) and of anything outside its closed set.
NO_RULE: Final = "none"
OTHER: Final = "other"
#: What the guard was doing when a store call failed (loopguard.guard.sansio).
STORE_OPERATIONS: Final = ("check", "peek", "record", "refund", "reset", "forget_bounce")
# Rule names are kebab-case identifiers: no '@', no space, no free text fits.
_RULE_NAME: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_RULE_NAME_MAX: Final = 64


class PrometheusMetrics:
    """Counters of decisions and store failures, and a histogram of check latency.

    Series (docs/deployment.md has the PromQL of a dashboard):

    * ``loopguard_decisions_total{action, rule, category}``: counted decisions, by
      action, deciding rule (``none`` for a plain allow) and the verdict's category;
    * ``loopguard_degraded_decisions_total{action}``: those made without the store;
    * ``loopguard_store_failures_total{operation}``: failed store calls, by operation;
    * ``loopguard_check_duration_seconds``: seconds per counted decision,
      classification and store calls included.

    One instance may serve several guards (their counts add up); a second instance on
    the same registry is refused.

    Args:
        registry: Where the series are registered; ``None`` is prometheus_client's
            default ``REGISTRY`` (what ``start_http_server`` exposes).

    Raises:
        ConfigurationError: prometheus_client is not installed, or ``registry`` already
            holds loopguard's series.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        prometheus = _import_prometheus()
        self.registry: CollectorRegistry = prometheus.REGISTRY if registry is None else registry
        self._decisions: Counter = prometheus.Counter(
            "loopguard_decisions",
            "Counted decisions of the guard, by action, deciding rule and category.",
            ("action", "rule", "category"),
            registry=None,
        )
        self._degraded: Counter = prometheus.Counter(
            "loopguard_degraded_decisions",
            "Decisions made without the store after it failed, by action.",
            ("action",),
            registry=None,
        )
        self._failures: Counter = prometheus.Counter(
            "loopguard_store_failures",
            "Failed store calls, by the guard operation that made them.",
            ("operation",),
            registry=None,
        )
        self._seconds: Histogram = prometheus.Histogram(
            "loopguard_check_duration_seconds",
            "Seconds the guard spent on a counted decision, classification and store included.",
            buckets=CHECK_SECONDS_BUCKETS,
            registry=None,
        )
        # Series that alerts watch exist from the start, at zero.
        for action in Action:
            self._degraded.labels(str(action))
        for operation in STORE_OPERATIONS:
            self._failures.labels(operation)
        _register_all(
            self.registry, (self._decisions, self._degraded, self._failures, self._seconds)
        )

    def observe_decision(self, decision: Decision, seconds: float) -> None:
        """Count one decision of the guard (the ``metrics`` hook calls this)."""
        action, category = str(decision.action), str(decision.verdict.category)
        self._decisions.labels(action, rule_label(decision.rule), category).inc()
        if decision.degraded:
            self._degraded.labels(action).inc()
        self._seconds.observe(seconds)

    def observe_store_failure(self, operation: str, error: StoreError) -> None:
        """Count one failed store call (the error itself goes to the log, not here)."""
        self._failures.labels(operation if operation in STORE_OPERATIONS else OTHER).inc()


def rule_label(rule: str | None) -> str:
    """The ``rule`` label of a decision's rule name: ``none`` without one, ``other`` for
    anything that is not a short kebab-case name."""
    if rule is None:
        return NO_RULE
    if len(rule) <= _RULE_NAME_MAX and _RULE_NAME.fullmatch(rule):
        return rule
    return OTHER


def _register_all(registry: CollectorRegistry, collectors: Iterable[Collector]) -> None:
    """Register every collector or none: a clash leaves the registry as it was."""
    done: list[Collector] = []
    try:
        for collector in collectors:
            registry.register(collector)
            done.append(collector)
    except ValueError as exc:  # prometheus_client's DuplicateTimeseries
        for collector in done:
            registry.unregister(collector)
        raise ConfigurationError(
            "this registry already holds loopguard's series: share one PrometheusMetrics "
            "between guards, or give each its own CollectorRegistry"
        ) from exc


def _import_prometheus() -> ModuleType:
    try:
        import prometheus_client
    except ImportError as exc:
        raise ConfigurationError(
            "PrometheusMetrics needs the prometheus_client package: "
            "pip install 'loopguard[prometheus]'"
        ) from exc
    return prometheus_client
