"""The contract every store passes: memory, SQLite and a real Redis (also in cluster mode)."""

from __future__ import annotations

from loopguard.rate.tracker import Limit, RateTracker
from loopguard.stores import Store, Touch

from .conftest import FakeClock, StoreFactory

NOW = 1_800_000_000.123456


def test_an_unknown_key_is_empty(store: Store) -> None:
    assert store.peek([Touch("v1:pair:{00}", 60, 3)], now=NOW) == [[]]


def test_hit_answers_the_state_before_the_event(store: Store) -> None:
    touch = Touch("v1:pair:{01}", 60, 3)
    assert store.hit([touch], now=NOW) == [[]]
    assert store.hit([touch], now=NOW + 1) == [[NOW]]
    assert store.peek([touch], now=NOW + 2) == [[NOW, NOW + 1]]


def test_timestamps_survive_exactly(store: Store) -> None:
    touch = Touch("v1:pair:{02}", 60, 3)
    odd = 1_799_999_999.000_000_1
    store.hit([touch], now=odd)
    assert store.peek([touch], now=odd) == [[odd]]


def test_only_the_newest_keep_are_kept(store: Store) -> None:
    touch = Touch("v1:pair:{03}", 600, 3)
    for step in range(6):
        store.hit([touch], now=NOW + step)
    assert store.peek([touch], now=NOW + 6) == [[NOW + 3, NOW + 4, NOW + 5]]


def test_entries_leave_the_window_exactly(store: Store) -> None:
    touch = Touch("v1:pair:{04}", 60, 5)
    store.hit([touch], now=NOW)
    store.hit([touch], now=NOW + 30)
    assert store.peek([touch], now=NOW + 59.5) == [[NOW, NOW + 30]]
    assert store.peek([touch], now=NOW + 60) == [[NOW + 30]]
    assert store.hit([touch], now=NOW + 90) == [[]]


def test_a_batch_touches_several_keys_in_order(store: Store) -> None:
    first, second = Touch("v1:pair:{05}", 60, 5), Touch("v1:sender:{05}", 3600, 2)
    answers = store.hit([first, second, first, second, second], now=NOW)
    assert answers == [[], [], [NOW], [NOW], [NOW, NOW]]
    assert store.peek([second, first], now=NOW) == [[NOW, NOW], [NOW, NOW]]
    assert store.hit([], now=NOW) == []


def test_peek_records_nothing(store: Store) -> None:
    touch = Touch("v1:pair:{06}", 60, 5)
    for _ in range(3):
        assert store.peek([touch], now=NOW) == [[]]
    assert store.hit([touch], now=NOW) == [[]]


def test_reset_forgets_only_the_given_keys(store: Store) -> None:
    kept, gone = Touch("v1:pair:{07}", 60, 5), Touch("v1:pair:{08}", 60, 5)
    store.hit([kept, gone], now=NOW)
    store.reset([gone.key, "v1:pair:{never}"])
    assert store.peek([kept, gone], now=NOW) == [[NOW], []]
    store.reset([])


def test_refund_takes_back_one_recorded_event_per_key(store: Store) -> None:
    pair, thread = Touch("v1:pair:{0a}", 600, 5), Touch("v1:thread:{0a}", 600, 5)
    store.hit([pair, thread], now=NOW)
    store.hit([pair, thread], now=NOW + 1)
    store.hit([pair], now=NOW + 1)
    store.refund([pair, thread], now=NOW + 1)
    assert store.peek([pair, thread], now=NOW + 2) == [[NOW, NOW + 1], [NOW]]
    store.refund([pair, pair], now=NOW + 1)
    assert store.peek([pair], now=NOW + 2) == [[NOW]]


def test_refund_of_what_is_not_kept_changes_nothing(store: Store) -> None:
    touch = Touch("v1:pair:{0b}", 600, 2)
    for step in range(3):
        store.hit([touch], now=NOW + step)
    store.refund([touch, Touch("v1:pair:{never}", 600, 2)], now=NOW)
    store.refund([touch], now=NOW + 0.5)
    assert store.peek([touch], now=NOW + 3) == [[NOW + 1, NOW + 2]]
    store.refund([], now=NOW)


def test_refund_keys_in_several_hash_slots(store: Store) -> None:
    # In a cluster each key may live on another node: the refund reaches every one.
    touches = [Touch(f"v1:pair:{{{index:02x}slot}}", 600, 5) for index in range(12)]
    store.hit(touches, now=NOW)
    store.hit(touches, now=NOW + 1)
    store.refund(touches, now=NOW + 1)
    assert store.peek(touches, now=NOW + 2) == [[NOW]] * len(touches)


def test_a_tracker_on_any_store_allows_exactly_the_limit(store: Store, clock: FakeClock) -> None:
    rates = RateTracker([Limit(3, "1h"), Limit(2, "1h", "thread")], store=store, clock=clock)
    results = [rates.hit(sender="a@x.org", recipient="b@y.org") for _ in range(5)]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    batch = rates.hit_many([])
    assert batch == []


def test_separate_stores_of_one_kind_do_not_share_state(store_factory: StoreFactory) -> None:
    touch = Touch("v1:pair:{09}", 60, 5)
    store_factory().hit([touch], now=NOW)
    assert store_factory().peek([touch], now=NOW) == [[]]
