"""The Prometheus exporter (issue 15): a guard's decisions, scraped from a registry.

Each test builds a guard with ``PrometheusMetrics`` on a fresh registry, feeds it messages
and reads the registry back as Prometheus scrapes it (``generate_latest``), so the series
names and label values asserted here are the ones a dashboard sees.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import prometheus_client
import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from loopguard.errors import ConfigurationError, StoreError
from loopguard.guard import Guard
from loopguard.guard.aio import AsyncGuard
from loopguard.guard.policy import Policy
from loopguard.metrics import PrometheusMetrics, rule_label
from loopguard.rate.tracker import Limit
from loopguard.stores import Touch
from loopguard.stores.memory import MemoryStore
from loopguard.testing import FakeClock, build_message

ROOT = Path(__file__).resolve().parents[1]
HELP = "help@example.org"
ANN = "Ann Example <ann@example.com>"
TEXT = "Hello,\n\nthe printer on the third floor stopped working after the update.\n\nAnn\n"

Sample = tuple[str, frozenset[tuple[str, str]]]


class FailingStore:
    """Every call fails, as a Redis server that went away does."""

    def hit(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        raise StoreError("store unreachable")

    def peek(self, touches: Sequence[Touch], *, now: float) -> list[list[float]]:
        raise StoreError("store unreachable")

    def reset(self, keys: Sequence[str]) -> None:
        raise StoreError("store unreachable")

    def close(self) -> None:
        pass


def scrape(registry: CollectorRegistry) -> tuple[str, dict[Sample, float]]:
    """The exposition text of ``registry`` and its samples by (name, labels)."""
    text = generate_latest(registry).decode()
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return text, samples


def decisions(samples: dict[Sample, float]) -> dict[tuple[str, str, str], float]:
    """``loopguard_decisions_total`` by (action, rule, category)."""
    found = {}
    for (name, labels), value in samples.items():
        if name == "loopguard_decisions_total":
            label = dict(labels)
            found[label["action"], label["rule"], label["category"]] = value
    return found


def value(samples: dict[Sample, float], name: str, **labels: str) -> float:
    return samples[name, frozenset(labels.items())]


def person(sender: str = ANN, **headers: str) -> bytes:
    pairs = [(name.replace("_", "-"), text) for name, text in headers.items()]
    return build_message(pairs, body=TEXT, sender=sender, to=HELP)


def feed(guard: Guard) -> None:
    """An allowed message, an auto-reply, and the same person over the limit of 1."""
    assert guard.check(person(), recipient=HELP).allowed
    assert not guard.check(person(Auto_Submitted="auto-replied"), recipient=HELP).allowed
    assert not guard.check(person(), recipient=HELP).allowed
    guard.peek(person(), recipient=HELP)  # a peek is not counted


EXPECTED_DECISIONS = {
    ("allow", "none", "human"): 1.0,
    ("suppress", "automated", "auto_reply"): 1.0,
    ("suppress", "rate-limit", "human"): 1.0,
}


def test_decisions_by_action_rule_and_category() -> None:
    registry = CollectorRegistry()
    guard = Guard([Limit(1, "10m")], own_addresses=[HELP], clock=FakeClock())
    guard.metrics = PrometheusMetrics(registry)
    feed(guard)
    text, samples = scrape(registry)
    assert decisions(samples) == EXPECTED_DECISIONS
    assert value(samples, "loopguard_check_duration_seconds_count") == 3
    assert 0 < value(samples, "loopguard_check_duration_seconds_sum") < 60
    assert value(samples, "loopguard_check_duration_seconds_bucket", le="+Inf") == 3
    assert value(samples, "loopguard_degraded_decisions_total", action="allow") == 0
    assert value(samples, "loopguard_store_failures_total", operation="check") == 0
    assert "@" not in text  # no address (nor a key hash) in any label


def test_final_notice_is_its_own_action() -> None:
    registry = CollectorRegistry()
    guard = Guard(
        [Limit(1, "10m")],
        policy=Policy(final_notice=True),
        metrics=PrometheusMetrics(registry),
        clock=FakeClock(),
    )
    for _ in range(3):
        guard.check(person(), recipient=HELP)
    _, samples = scrape(registry)
    assert decisions(samples) == {
        ("allow", "none", "human"): 1.0,
        ("final_notice", "final-notice", "human"): 1.0,
        ("suppress", "rate-limit", "human"): 1.0,
    }


def test_store_failures_and_degraded_decisions() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusMetrics(registry)
    guard = Guard(store=FailingStore(), metrics=metrics, clock=FakeClock())
    assert guard.check(person(), recipient=HELP).degraded
    guard.record(sender="ann@example.com", recipient=HELP)
    with pytest.raises(StoreError):
        guard.forget_bounce("gone@example.net")
    suppressing = Guard(
        store=FailingStore(), metrics=metrics, clock=FakeClock(), on_store_error="suppress"
    )
    assert not suppressing.check(person(), recipient=HELP).allowed
    text, samples = scrape(registry)
    assert decisions(samples) == {
        ("allow", "store-error", "human"): 1.0,
        ("suppress", "store-error", "human"): 1.0,
    }
    assert value(samples, "loopguard_degraded_decisions_total", action="allow") == 1
    assert value(samples, "loopguard_degraded_decisions_total", action="suppress") == 1
    failures = {
        dict(labels)["operation"]: count
        for (name, labels), count in samples.items()
        if name == "loopguard_store_failures_total"
    }
    assert failures == {
        "check": 2,
        "peek": 0,
        "record": 1,
        "refund": 0,
        "reset": 0,
        "forget_bounce": 1,
    }
    assert "unreachable" not in text  # the error goes to the log, not into a label


class RefundFailingStore(MemoryStore):
    """Counts like the memory store, but cannot take a reserved count back."""

    def refund(self, touches: Sequence[Touch], *, now: float) -> None:
        raise StoreError("store unreachable")


def test_a_failed_refund_is_counted_as_one() -> None:
    registry = CollectorRegistry()
    guard = Guard(
        store=RefundFailingStore(), metrics=PrometheusMetrics(registry), clock=FakeClock()
    )

    def send_fails() -> None:
        with guard.dispatching(person(), recipient=HELP) as decision:
            assert decision.allowed
            raise RuntimeError("the SMTP relay refused the acknowledgement")

    with pytest.raises(RuntimeError):
        send_fails()
    _, samples = scrape(registry)
    assert value(samples, "loopguard_store_failures_total", operation="refund") == 1


def test_async_guard_exposes_the_same_series() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusMetrics(registry)

    async def main() -> None:
        guard = AsyncGuard([Limit(1, "10m")], metrics=metrics, clock=FakeClock())
        assert (await guard.check(person(), recipient=HELP)).allowed
        assert not (
            await guard.check(person(Auto_Submitted="auto-replied"), recipient=HELP)
        ).allowed
        assert not (await guard.check(person(), recipient=HELP)).allowed
        await guard.peek(person(), recipient=HELP)
        failing = AsyncGuard(store=FailingStore(), metrics=metrics, clock=FakeClock())
        assert (await failing.check(person("bob@example.net"), recipient=HELP)).degraded
        await guard.aclose()
        await failing.aclose()

    asyncio.run(main())
    _, samples = scrape(registry)
    assert decisions(samples) == {**EXPECTED_DECISIONS, ("allow", "store-error", "human"): 1.0}
    assert value(samples, "loopguard_store_failures_total", operation="check") == 1
    assert value(samples, "loopguard_degraded_decisions_total", action="allow") == 1
    assert value(samples, "loopguard_check_duration_seconds_count") == 4


def test_a_dispatching_block_is_counted_once() -> None:
    registry = CollectorRegistry()
    guard = Guard(metrics=PrometheusMetrics(registry), clock=FakeClock())
    with guard.dispatching(person(), recipient=HELP):
        pass
    _, samples = scrape(registry)
    assert decisions(samples) == {("allow", "none", "human"): 1.0}
    assert value(samples, "loopguard_check_duration_seconds_count") == 1


def test_one_exporter_serves_several_guards_and_a_second_one_is_refused() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusMetrics(registry)
    for desk in ("help@example.org", "sales@example.org"):
        Guard(metrics=metrics, clock=FakeClock()).check(person(), recipient=desk)
    with pytest.raises(ConfigurationError, match="already holds loopguard's series"):
        PrometheusMetrics(registry)
    _, samples = scrape(registry)  # the refused one left nothing half-registered behind
    assert decisions(samples) == {("allow", "none", "human"): 2.0}


def test_no_registry_means_the_default_one() -> None:
    metrics = PrometheusMetrics()
    try:
        assert metrics.registry is prometheus_client.REGISTRY
        Guard(metrics=metrics, clock=FakeClock()).check(person(), recipient=HELP)
        text = generate_latest(prometheus_client.REGISTRY).decode()
        assert 'loopguard_decisions_total{action="allow",category="human",rule="none"}' in text
    finally:  # leave the process-wide registry as it was
        registered = prometheus_client.REGISTRY._collector_to_names.items()
        for collector, names in list(registered):
            if any(name.startswith("loopguard_") for name in names):
                prometheus_client.REGISTRY.unregister(collector)


@pytest.mark.parametrize(
    ("rule", "label"),
    [
        (None, "none"),
        ("rate-limit", "rate-limit"),
        ("x-auto-response-suppress", "x-auto-response-suppress"),
        ("ann@example.com", "other"),
        ("sender ann@example.com on the deny-list", "other"),
        ("Rate-Limit", "other"),
        ("a" * 65, "other"),
        ("", "other"),
    ],
)
def test_rule_label(rule: str | None, label: str) -> None:
    assert rule_label(rule) == label


@given(st.text())
def test_a_rule_label_never_carries_free_text(rule: str) -> None:
    label = rule_label(rule)
    assert label == "other" or label == rule
    assert re.fullmatch(r"[a-z][a-z0-9-]{0,63}", label)


def test_every_rule_the_guard_and_classifier_name_is_its_own_label() -> None:
    from loopguard.classifier.bounce.step import BOUNCE_FINDINGS
    from loopguard.classifier.rules import DEFAULT_RULES
    from loopguard.classifier.rules.body import BODY_RULES
    from loopguard.classifier.rules.content import TEXT_FINDINGS
    from loopguard.guard import decision

    guard_rules = [getattr(decision, name) for name in decision.__all__ if name.isupper()]
    named = [r.name for r in (*DEFAULT_RULES, *BODY_RULES, *BOUNCE_FINDINGS, *TEXT_FINDINGS)]
    for rule in (*guard_rules, *named):
        assert rule_label(rule) == rule


def test_without_prometheus_client_building_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # import fails
    with pytest.raises(ConfigurationError, match=re.escape("pip install 'loopguard[prometheus]'")):
        PrometheusMetrics(CollectorRegistry())


def test_the_guard_never_imports_prometheus_client() -> None:
    # No cost without the extra: only building the exporter imports it.
    code = (
        "import sys, loopguard, loopguard.guard, loopguard.guard.aio, loopguard.metrics\n"
        "print('prometheus_client' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "False"


def test_the_documented_series_are_exposed() -> None:
    # docs/deployment.md's dashboard queries name only series a guard exposes.
    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"\bloopguard_[a-z_]+", page))
    registry = CollectorRegistry()
    guard = Guard([Limit(1, "10m")], metrics=PrometheusMetrics(registry), clock=FakeClock())
    feed(guard)
    text, samples = scrape(registry)
    families = {family.name for family in text_string_to_metric_families(text)}
    exposed = {name for name, _ in samples} | families
    assert documented
    assert documented <= exposed, documented - exposed
