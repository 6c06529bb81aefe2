"""The history's usage queries: daily usage by local day (resets, top-ups, daylight saving)
and usage between two times."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.history.store_helpers import PLUS2, RESET_S, T0, UTC, bal
from tray_app.history.retention import DAY, HOUR
from tray_app.history.store import HistoryStore


def test_daily_usage_ignores_resets_and_top_ups(store: HistoryStore) -> None:
    store.record_balances(
        [
            (T0 + 1 * HOUR, bal(1_000)),
            (T0 + 2 * HOUR, bal(900)),  # spent 100
            (RESET_S + HOUR, bal(35_050, reset_s=RESET_S + 30 * DAY)),  # reset
            (RESET_S + 2 * HOUR, bal(35_000, reset_s=RESET_S + 30 * DAY)),  # spent 50
            (RESET_S + 3 * HOUR, bal(36_000, amount=36_050, reset_s=RESET_S + 30 * DAY)),  # gift
        ]
    )
    usage = store.daily_usage(31, UTC, RESET_S + 3 * HOUR)
    assert len(usage) == 31
    assert usage[0].day == dt.date(2026, 1, 1)
    assert usage[-1].day == dt.date(2026, 1, 31)
    assert [(d.day, d.spent) for d in usage if d.spent] == [
        (dt.date(2026, 1, 1), 100),
        (dt.date(2026, 1, 31), 50),
    ]
    assert usage[0].balance == 900
    assert usage[1].balance is None
    assert usage[-1].balance == 36_000


def test_daily_usage_follows_the_local_day(store: HistoryStore) -> None:
    store.record_balance(T0 - 3 * HOUR, bal(1_000))
    store.record_balance(T0 - 1 * HOUR, bal(900))  # 23:00 UTC on 31 Dec = 01:00 on 1 Jan at +2
    assert [(d.day, d.spent) for d in store.daily_usage(2, UTC, T0)] == [
        (dt.date(2025, 12, 31), 100),
        (dt.date(2026, 1, 1), 0),
    ]
    assert [(d.day, d.spent) for d in store.daily_usage(2, PLUS2, T0)] == [
        (dt.date(2025, 12, 31), 0),
        (dt.date(2026, 1, 1), 100),
    ]


def test_daily_usage_follows_daylight_saving_changes(store: HistoryStore) -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time zone database on this machine")
    # Summer time starts on 29 Mar 2026, a 23-hour day; from then midnight is 22:00 UTC.
    utc = dt.datetime(2026, 3, 29, 21, 0, tzinfo=UTC).timestamp()
    store.record_balance(utc, bal(1_000, reset_s=None))
    store.record_balance(utc + 1_800, bal(990, reset_s=None))  # 23:30 local on 29 Mar
    store.record_balance(utc + 5_400, bal(970, reset_s=None))  # 00:30 local on 30 Mar
    usage = store.daily_usage(2, berlin, utc + 6_000)
    assert [(d.day, d.spent) for d in usage] == [
        (dt.date(2026, 3, 29), 10),
        (dt.date(2026, 3, 30), 20),
    ]


def test_daily_usage_of_an_empty_history_without_now_is_empty(store: HistoryStore) -> None:
    assert store.daily_usage(7, UTC) == []
    store.record_balance(T0, bal(5))
    assert [d.day for d in store.daily_usage(2, UTC)] == [
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 1),
    ]


def test_usage_between_is_half_open(store: HistoryStore) -> None:
    store.record_balance(T0, bal(1_000))
    store.record_balance(T0 + 100, bal(990))
    store.record_balance(T0 + 200, bal(970))
    assert store.usage_between(T0 + 100, T0 + 200) == 10
    assert store.usage_between(T0, T0 + 201) == 30
    assert store.usage_between(T0 + 201, T0 + 999) == 0
