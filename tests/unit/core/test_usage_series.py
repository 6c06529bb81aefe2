"""The Usage window's data series from a known history (spend days, a gift, a renewal, a
top-up), checked value by value; and the store keeping renewals, top-ups and gifts raw when it
compacts, so the chart can mark them for the whole year."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from tests.support.usage_history import K0, KNOWN_NOW, RESET_2, known_history
from tray_app.core.forecast import DAY_S, Forecast, runway
from tray_app.core.usage_series import (
    Drop,
    Event,
    EventKind,
    Recorded,
    UsageSeries,
    build,
    events_of,
    project,
)
from tray_app.history.retention import DAY, HOUR
from tray_app.history.store import HistoryStore
from tray_app.history.usage_data import load_series

UTC = dt.timezone.utc
GIFT_TS = K0 + 3 * DAY + 9 * HOUR
RENEWAL_TS = K0 + 10 * DAY + 300
TOP_UP_TS = K0 + 11 * DAY + 9 * HOUR
LAST_SPEND_TS = K0 + 12 * DAY + 13 * HOUR


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    opened = HistoryStore.open(tmp_path / "history.sqlite3")
    opened.record_balances(known_history())
    return opened


def series_for(store: HistoryStore, days: int, now: float = KNOWN_NOW) -> UsageSeries:
    return load_series(store, now, days, UTC)


def test_a_week_value_by_value(store: HistoryStore) -> None:
    with store:
        series = series_for(store, 7)
        pace = runway(store.spending_samples(0), KNOWN_NOW, RESET_2).burn_per_day
    start = K0 + 6 * DAY  # midnight (UTC here) starting 7 Nov, the first of the seven days
    assert series.start == start
    assert series.end == KNOWN_NOW
    # The period opens at the balance of its start (the last poll before it: 750).
    assert series.steps == (
        (start, 750.0),
        (RENEWAL_TS, 1_200.0),
        (TOP_UP_TS, 1_700.0),
        (LAST_SPEND_TS, 1_680.0),
        (KNOWN_NOW, 1_680.0),
    )
    assert series.events == (
        Event(RENEWAL_TS, EventKind.RENEWAL, 1_000, 1_200),
        Event(TOP_UP_TS, EventKind.TOP_UP, 500, 1_700),
    )
    first = dt.date(2026, 11, 7)
    assert [day for day, _ in series.daily] == [first + dt.timedelta(days=i) for i in range(7)]
    assert [spent for _, spent in series.daily] == [0, 0, 0, 0, 0, 0, 20]
    assert series.largest_drops == (Drop(LAST_SPEND_TS, 20, 0),)
    totals = series.totals
    assert (totals.spent, totals.added, totals.renewals) == (20, 500, 1)
    assert (totals.start_balance, totals.end_balance) == (750, 1_680)
    assert (totals.busiest_day, totals.busiest_day_spent) == (dt.date(2026, 11, 13), 20)
    # The pace is core.forecast's; the projection draws it from now to the reset.
    proj = series.projection
    assert proj is not None
    assert pace > 0
    assert (proj.start_ts, proj.end_ts, proj.ends_at_reset) == (KNOWN_NOW, RESET_2, True)
    assert (proj.start_balance, proj.burn_per_day) == (1_680, pace)
    assert proj.end_balance == pytest.approx(1_680 - pace * (RESET_2 - KNOWN_NOW) / DAY)
    assert proj.runs_out_at is None  # 1,680 credits last far beyond 27 days at this pace


def test_a_month_shows_every_spend_day_and_the_gift(store: HistoryStore) -> None:
    with store:
        series = series_for(store, 30)
    assert series.steps[0] == (K0 + 8 * HOUR, 1_000.0)  # nothing before: the first poll
    assert [s[1] for s in series.steps] == [1_000, 900, 850, 1_050, 750, 1_200, 1_700, 1_680, 1_680]
    assert [(e.kind, e.amount) for e in series.events] == [
        (EventKind.GIFT, 200),
        (EventKind.RENEWAL, 1_000),
        (EventKind.TOP_UP, 500),
    ]
    spent_by_day = {day: spent for day, spent in series.daily if spent}
    assert spent_by_day == {
        dt.date(2026, 11, 2): 150,
        dt.date(2026, 11, 5): 300,
        dt.date(2026, 11, 13): 20,
    }
    assert [(d.spent, d.ts) for d in series.largest_drops] == [
        (300, K0 + 4 * DAY + 12 * HOUR),
        (100, K0 + 1 * DAY + 10 * HOUR),
        (50, K0 + 1 * DAY + 15 * HOUR),
        (20, LAST_SPEND_TS),
    ]
    totals = series.totals
    assert (totals.spent, totals.added, totals.renewals) == (470, 700, 1)
    assert (totals.start_balance, totals.end_balance) == (1_000, 1_680)
    assert totals.busiest_day == dt.date(2026, 11, 5)


def test_the_projection_runs_out_before_the_reset_at_the_current_pace() -> None:
    now = K0
    forecast = Forecast(100.0, 5 * DAY_S, True, 500.0, now + 10 * DAY_S, 7)
    proj = project(forecast, now, now + 10 * DAY_S, horizon_s=30 * DAY_S)
    assert proj is not None
    assert proj.runs_out_at == now + 5 * DAY_S
    assert (proj.end_ts, proj.end_balance, proj.ends_at_reset) == (now + 10 * DAY_S, 0, True)

    slow = Forecast(10.0, 50 * DAY_S, False, 500.0, now + 10 * DAY_S, 7)
    proj = project(slow, now, now + 10 * DAY_S, horizon_s=30 * DAY_S)
    assert proj is not None
    assert proj.runs_out_at is None
    assert proj.end_balance == 400

    # No reset (gift credits only): the line runs over a horizon as long as the period.
    gifts_only = Forecast(10.0, 50 * DAY_S, False, 500.0, None, 7)
    proj = project(gifts_only, now, None, horizon_s=7 * DAY_S)
    assert proj is not None
    assert (proj.end_ts, proj.end_balance, proj.ends_at_reset) == (now + 7 * DAY_S, 430, False)

    assert project(Forecast(0.0, None, False, 500.0, None, 0), now, None, horizon_s=DAY_S) is None


def test_a_summary_that_rose_beyond_its_spending_is_credits_added() -> None:
    records = [Recorded(K0, 1_000, 0, None, 3600), Recorded(K0 + HOUR, 1_400, 100, None, 3600)]
    assert events_of(records) == [None, Event(K0 + HOUR, EventKind.ADDED, 500, 1_400)]


def test_no_history_gives_an_empty_series() -> None:
    series = build([], [], None, now=K0, days=7, reset_at_s=None)
    assert series.empty
    assert series.projection is None
    assert series.totals.start_balance is None


def test_compaction_keeps_renewals_top_ups_and_gifts_with_all_their_fields(
    store: HistoryStore,
) -> None:
    with store:
        before = [r for r in store.records(0) if r.balance is not None]
        store.compact(KNOWN_NOW + 40 * DAY)  # everything but the latest row is past four weeks
        after = store.records(0)
        assert store.usage_between(0, KNOWN_NOW + 1) == 470
    raw_after = [r for r in after if r.balance is not None]
    kept = {r.ts: r for r in raw_after}
    # The first poll, every change that added credits, and the latest row.
    assert set(kept) == {K0 + 8 * HOUR, GIFT_TS, RENEWAL_TS, TOP_UP_TS, LAST_SPEND_TS}
    assert all(kept[r.ts] == r for r in before if r.ts in kept)
    # The spend-only rows were folded into hourly summaries (their spending kept).
    assert sorted(r.spent for r in after if r.is_summary) == [50, 100, 300]
    assert [e.kind for e in events_of(after) if e is not None] == [
        EventKind.GIFT,
        EventKind.RENEWAL,
        EventKind.TOP_UP,
    ]


def test_a_renewal_that_left_the_balance_unchanged_is_still_kept(tmp_path: Path) -> None:
    t, b = known_history()[0]
    renewed = dataclasses.replace(b, reset_at_ms=int(RESET_2 * 1000))
    spent = dataclasses.replace(renewed, total_balance=990, subscription_balance=990)
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        store.record_balances([(t, b), (t + HOUR, renewed), (t + 2 * HOUR, spent)])
        store.compact(t + 60 * DAY)
        raw = [r for r in store.records(0) if r.balance is not None]
    # The renewal (balance unchanged, resetAt moved) stays raw, as the first row and the
    # latest always do.
    assert [(r.ts, r.balance) for r in raw] == [(t, b), (t + HOUR, renewed), (t + 2 * HOUR, spent)]
    assert [e and e.kind for e in events_of(raw)] == [None, EventKind.RENEWAL, None]


def test_a_period_starting_among_summaries_still_names_its_first_event(
    store: HistoryStore,
) -> None:
    with store:
        store.compact(KNOWN_NOW + 40 * DAY)
        records = store.records(GIFT_TS - 1)  # just before the gift; summaries before it
    # The last summary before the period (for the balance at its start), and before that the
    # last raw row (the first poll), which the gift is compared with.
    assert records[0].balance == known_history()[0][1]
    assert records[1].is_summary
    kinds = [e.kind for e in events_of(records) if e is not None]
    assert kinds == [EventKind.GIFT, EventKind.RENEWAL, EventKind.TOP_UP]
