"""The runway forecast: burn rate robust to bursts, time to empty, the menu row."""

from __future__ import annotations

from pathlib import Path

import pytest

from tray_app.core.balance import Balance
from tray_app.core.forecast import DAY_S, Forecast, daily_spend, runway, samples_from_balances
from tray_app.history.store import HistoryStore

NOW = 1_795_176_000.0  # 2026-11-20 12:00 UTC
RESET = 1_796_083_200.0  # 2026-12-01 00:00 UTC
HOUR = 3600.0
AMOUNT = 1_000_000


def as_samples(readings: list[tuple[float, float]]) -> list[tuple[float, float, float]]:
    """(ts, totalBalance) readings of an account whose granted amount and reset never change,
    as the forecast receives them: each with what was spent since the one before."""
    return samples_from_balances(
        [(t, Balance(AMOUNT, b, AMOUNT, b, 0, 0, None)) for t, b in readings]
    )


def steady(
    per_day: float, days: float, start_balance: float, step_s: float = HOUR
) -> list[tuple[float, float]]:
    """Hourly samples ending at NOW, spending `per_day` evenly."""
    count = int(days * DAY_S / step_s)
    return [
        (NOW - (count - i) * step_s, start_balance - per_day * i * step_s / DAY_S)
        for i in range(count + 1)
    ]


def test_steady_use_gives_that_rate_and_the_time_to_empty() -> None:
    samples = steady(1_000, 7, 20_000)
    balance = samples[-1][1]
    f = runway(as_samples(samples), NOW, RESET)
    assert f.burn_per_day == pytest.approx(1_000)
    assert f.balance == pytest.approx(balance)
    assert f.seconds_to_empty == pytest.approx(balance / 1_000 * DAY_S)
    assert f.days_of_history == 7


def test_one_burst_is_left_out_of_the_pace() -> None:
    samples = steady(100, 7, 10_000)
    # An event unlock (2,000 credits) three days ago: every later sample is 2,000 lower.
    burst_at = NOW - 3 * DAY_S + 600
    samples = [(t, b - 2_000 if t >= burst_at else b) for t, b in samples]
    f = runway(as_samples(samples), NOW, RESET)
    assert f.burn_per_day == pytest.approx(100)
    # Without the trim the burst would add 2,000 / 7 per day.
    assert f.burn_per_day < 100 + 2_000 / 7


def test_increases_are_ignored_not_netted() -> None:
    samples = steady(500, 7, 10_000)
    refill_at = NOW - 2 * DAY_S
    refilled = []
    for t, b in samples:
        refilled.append((t, b + 35_000 if t > refill_at else b))
        if t == refill_at:  # the refill itself: a reading just after, 35,000 higher
            refilled.append((t, b + 35_000))
    assert runway(as_samples(refilled), NOW, RESET).burn_per_day == pytest.approx(
        runway(as_samples(samples), NOW, RESET).burn_per_day
    )


def test_a_drop_seen_after_a_gap_is_spread_over_the_gap() -> None:
    # The app was off for four days; 400 credits were spent meanwhile.
    samples = [(NOW - 4 * DAY_S, 5_000.0), (NOW, 4_600.0)]
    assert daily_spend(as_samples(samples), NOW, 4) == pytest.approx([100, 100, 100, 100])
    assert runway(as_samples(samples), NOW, RESET).burn_per_day == pytest.approx(100)


def test_a_drop_within_one_poll_stays_in_its_day() -> None:
    samples = [
        (NOW - 2 * DAY_S, 5_000.0),
        (NOW - 1.5 * DAY_S, 5_000.0),
        (NOW - 1.5 * DAY_S + 300, 4_700.0),
    ]
    assert daily_spend(as_samples(samples), NOW, 2) == pytest.approx([0, 300])


def test_less_than_a_day_of_history_gives_no_forecast() -> None:
    samples = steady(5_000, 0.5, 10_000)
    f = runway(as_samples(samples), NOW, RESET)
    assert not f.enough_history
    assert f.seconds_to_empty is None
    assert not f.runs_out_before_reset
    assert f.describe() == "At this pace: needs a day of history"


def test_no_samples_gives_no_forecast() -> None:
    f = runway(as_samples([]), NOW, RESET)
    assert not f.enough_history
    assert f.describe() == "At this pace: needs a day of history"


def test_spending_older_than_the_window_does_not_count() -> None:
    old = steady(3_000, 3, 40_000)
    old = [(t - 10 * DAY_S, b) for t, b in old]
    flat = [(NOW - 7 * DAY_S + i * HOUR, old[-1][1]) for i in range(7 * 24 + 1)]
    f = runway(as_samples(old + flat), NOW, RESET)
    assert f.burn_per_day == 0
    assert f.seconds_to_empty is None
    assert f.describe() == "At this pace: no credits used lately"


def test_samples_after_now_and_order_do_not_matter() -> None:
    samples = steady(800, 5, 9_000)
    future = [(NOW + HOUR, 0.0)]
    shuffled = list(reversed(as_samples(samples))) + as_samples(future)
    assert runway(shuffled, NOW, RESET) == runway(as_samples(samples), NOW, RESET)


@pytest.mark.parametrize(
    ("per_day", "before_reset"),
    [(2_000, True), (500, False)],
)
def test_runs_out_before_reset_compares_with_the_reset(per_day: float, before_reset: bool) -> None:
    samples = steady(per_day, 7, 20_000 + 7 * per_day)  # ends at 20,000
    f = runway(as_samples(samples), NOW, RESET)
    assert f.seconds_to_empty is not None
    assert f.runs_out_before_reset is (NOW + f.seconds_to_empty < RESET)
    assert f.runs_out_before_reset is before_reset


def test_without_a_reset_date_nothing_runs_out_before_it() -> None:
    f = runway(as_samples(steady(2_000, 7, 30_000)), NOW, None)
    assert f.seconds_to_empty is not None
    assert not f.runs_out_before_reset
    assert f.describe().startswith("At this pace: empty in ~")


def test_describe_rows() -> None:
    three_days = 3 * DAY_S
    assert (
        Forecast(1_000, three_days, True, 3_000, RESET, 7).describe()
        == "At this pace: empty in ~3 days"
    )
    assert (
        Forecast(10, 9e6, False, 3_000, RESET, 7).describe()
        == "At this pace: lasts until the reset"
    )
    assert Forecast(10, 0.0, True, 0, RESET, 7).describe() == "At this pace: credits used up"


def test_an_empty_balance_is_empty_now() -> None:
    samples = steady(1_000, 3, 3_000)
    f = runway(as_samples(samples), NOW, RESET)
    assert f.balance == pytest.approx(0)
    assert f.seconds_to_empty == pytest.approx(0)
    assert f.runs_out_before_reset


def test_the_runway_and_the_usage_rows_count_the_same_spending_when_a_gift_lands(
    tmp_path: Path,
) -> None:
    # Every day 300 credits are spent and a 500-credit gift lands in the same interval: the
    # balance rises by 200 a day. Counting balance drops (the old forecast) saw no spending
    # at all while "Usage today" (used credits) said 300: one definition now.
    store = HistoryStore.open(tmp_path / "history.sqlite3")
    try:
        sub, gift_amount, gift = 30_000, 0, 0
        sub_balance = 30_000
        start = NOW - 7 * DAY_S
        for day in range(8):
            if day:
                sub_balance -= 300
                gift_amount += 500
                gift += 500
            balance = Balance(
                sub + gift_amount,
                sub_balance + gift,
                sub,
                sub_balance,
                gift_amount,
                gift,
                int(RESET * 1000),
            )
            store.record_balance(start + day * DAY_S, balance)
        samples = store.spending_samples(0)
        f = runway(samples, NOW, RESET)
        assert f.burn_per_day == pytest.approx(300)
        one_day = store.usage_between(NOW - DAY_S + 1, NOW + 1)
        assert one_day == pytest.approx(300)
        assert daily_spend(samples, NOW, 7) == pytest.approx([300] * 7)
    finally:
        store.close()
