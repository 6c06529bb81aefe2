"""Retention: a simulated year compacted, daily usage kept, late rows merged, old alerts
dropped."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unit.history.store_helpers import PLUS2, T0, UTC, bal
from tray_app.core.balance import Balance
from tray_app.history.queries import BalanceChange
from tray_app.history.retention import DAY, HOUR
from tray_app.history.store import DEFAULT_HEARTBEAT_S, HistoryStore


@dataclass(frozen=True)
class Year:
    samples: list[tuple[float, Balance]]
    spent: list[tuple[float, int]]  # what the simulated user spent, by poll time
    end: float


def simulate_year(seed: int = 7, days: int = 365, interval: int = 300) -> Year:
    """Five-minute polls of an account with a 35,000 monthly plan, bursty spending,
    occasional gifts and a resetAt that moves every 30 days (expiry + refill)."""
    rng = random.Random(seed)
    plan, sub, gift_amount, gift = 35_000, 35_000, 0, 0
    reset = T0 + 30 * DAY
    samples: list[tuple[float, Balance]] = []
    spent: list[tuple[float, int]] = []
    for i in range(days * DAY // interval):
        ts = T0 + i * interval
        if ts >= reset:
            sub, reset = plan, reset + 30 * DAY  # unused credits expire, the plan refills
        else:
            if rng.random() < 0.002:
                gift_amount, gift = gift_amount + 500, gift + 500
            if rng.random() < 0.1:
                cost = rng.choice((15, 15, 50, 50, 2_000) if rng.random() < 0.01 else (15, 50))
                if cost <= sub + gift:
                    from_sub = min(cost, sub)
                    sub, gift = sub - from_sub, gift - (cost - from_sub)
                    spent.append((ts, cost))
        balance = Balance(
            plan + gift_amount, sub + gift, plan, sub, gift_amount, gift, int(reset * 1000)
        )
        samples.append((ts, balance))
    return Year(samples, spent, T0 + (days * DAY // interval - 1) * interval)


@pytest.fixture(scope="module")
def year() -> Year:
    return simulate_year()


def expected_daily(year: Year, tz: dt.tzinfo) -> dict[dt.date, int]:
    result: dict[dt.date, int] = {}
    for ts, cost in year.spent:
        day = dt.datetime.fromtimestamp(ts, tz).date()
        result[day] = result.get(day, 0) + cost
    return result


def usage_map(store: HistoryStore, year: Year, tz: dt.tzinfo) -> dict[dt.date, float]:
    return {d.day: d.spent for d in store.daily_usage(367, tz, year.end) if d.spent}


def test_a_year_compacts_to_a_small_file_and_keeps_daily_usage(db: Path, year: Year) -> None:
    def size() -> int:
        return sum(p.stat().st_size for p in db.parent.iterdir())

    with HistoryStore.open(db) as store:
        store.record_balances(year.samples)
        before = store.row_counts()["balance_raw"]
        assert usage_map(store, year, UTC) == expected_daily(year, UTC)
    size_before = size()
    with HistoryStore.open(db) as store:
        store.compact(year.end)
        counts = store.row_counts()
        assert usage_map(store, year, UTC) == expected_daily(year, UTC)
        assert store.usage_between(0, year.end + 1) == sum(c for _, c in year.spent)
    assert before > 10_000
    assert sum(counts.values()) < 20_000
    assert counts["balance_raw"] < 28 * 288  # only the last four weeks stay raw
    assert counts["balance_agg"] < 190 * 24
    assert size() < 2 * 1024 * 1024
    assert size() < size_before / 2  # freed pages went back to the file system


def test_local_days_are_exact_where_hourly_data_is_kept_and_totals_everywhere(
    db: Path, year: Year
) -> None:
    with HistoryStore.open(db) as store:
        store.record_balances(year.samples)
        store.compact(year.end)
        got = usage_map(store, year, PLUS2)
    want = expected_daily(year, PLUS2)
    recent = dt.datetime.fromtimestamp(year.end - 170 * DAY, PLUS2).date()
    assert {d: v for d, v in got.items() if d >= recent} == {
        d: v for d, v in want.items() if d >= recent
    }
    # Older days are kept per UTC day, so a day's spending may shift to its UTC neighbour.
    assert sum(got.values()) == sum(want.values())


def test_daily_compaction_through_the_year_equals_one_compaction_at_the_end(
    tmp_path: Path, year: Year
) -> None:
    with HistoryStore.open(tmp_path / "daily.sqlite3") as daily:
        per_day = 288
        for start in range(0, len(year.samples), per_day):
            chunk = year.samples[start : start + per_day]
            daily.record_balances(chunk)
            daily.compact(chunk[-1][0])
        with HistoryStore.open(tmp_path / "once.sqlite3") as once:
            once.record_balances(year.samples)
            once.compact(year.end)
            assert daily.row_counts() == once.row_counts()
            assert daily.samples(0) == once.samples(0)
            assert daily.daily_usage(366, UTC, year.end) == once.daily_usage(366, UTC, year.end)


def test_samples_span_raw_and_aggregated_ranges_in_time_order(db: Path, year: Year) -> None:
    with HistoryStore.open(db) as store:
        store.record_balances(year.samples)
        store.compact(year.end)
        points = store.samples(0)
        recent = store.samples(year.end - 7 * DAY)
    times = [ts for ts, _ in points]
    assert times == sorted(times)
    assert times[0] < T0 + DAY  # daily buckets reach back to the start
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps[: len(gaps) // 3]) > 12 * HOUR  # daily resolution at the old end
    assert max(gaps[-100:]) <= DEFAULT_HEARTBEAT_S  # raw resolution at the recent end
    assert all(ts >= year.end - 7 * DAY for ts, _ in recent)
    # Every returned value is a balance the account really had at that time.
    actual = {ts: b.total_balance for ts, b in year.samples}
    assert all(actual[ts] == value for ts, value in points)


def test_the_latest_row_survives_a_long_absence_so_the_gap_is_still_counted(db: Path) -> None:
    with HistoryStore.open(db) as store:
        store.record_balance(T0, bal(30_000, reset_s=None))
        later = T0 + 90 * DAY
        store.compact(later)
        assert store.row_counts()["balance_raw"] == 1
        store.record_balance(later, bal(25_000, reset_s=None))
        assert store.changes()[0] == BalanceChange(later, 25_000, -5_000, 5_000)


def test_a_late_row_after_a_clock_jump_merges_into_its_bucket(db: Path) -> None:
    with HistoryStore.open(db) as store:
        store.record_balance(T0, bal(30_000))
        store.record_balance(T0 + 600, bal(29_000))
        store.record_balance(T0 + 1_200, bal(28_000))
        store.compact(T0 + 60 * DAY)
        store.record_balance(T0 + 900, bal(27_000))  # the clock went back an hour... or two months
        store.record_balance(T0 + 61 * DAY, bal(27_000, reset_s=None))
        store.compact(T0 + 60 * DAY + DAY)
        # The first row stays raw (every later row that adds credits is compared with it).
        assert store.samples(0) == [
            (T0, 30_000.0),
            (T0 + 1_200, 28_000.0),
            (T0 + 61 * DAY, 27_000.0),
        ]
        assert store.usage_between(0, T0 + 62 * DAY) == 3_000
        assert store.row_counts()["balance_agg"] == 1


def test_old_alerts_are_dropped_after_a_year(store: HistoryStore) -> None:
    store.record_alert(T0, "reset", "r1", "Renewed", "35,000")
    store.record_alert(T0 + 300 * DAY, "reset", "r2", "Renewed", "35,000")
    store.compact(T0 + 400 * DAY)
    assert [a.key for a in store.alerts()] == ["r2"]
