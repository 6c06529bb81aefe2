"""Table tests for the spending rules: large spend, credits expiring, runway
(see the docstring of tray_app/core/alerts/__init__.py).
"""

from __future__ import annotations

import pytest

from tests.unit.core.alerts.driver import HOUR, PERIOD_MS, RESET_MS, SUB, Driver, K, acct
from tray_app.config.model import AlertSettings
from tray_app.core.forecast import DAY_S, Forecast
from tray_app.core.state import Problem

# --- large spend -----------------------------------------------------------------------------


def test_large_spend_names_amount_and_since_when() -> None:
    d = Driver(settings=AlertSettings(large_spend=2_000))
    d.poll(acct(sub=30_000))  # at 12:05 UTC
    assert d.poll(acct(sub=28_001)) == []  # 1,999: under the limit
    [alert] = d.poll(acct(sub=26_001))
    assert alert.kind is K.LARGE_SPEND
    assert alert.body == "2,000 credits used since 12:10; 26,001 left."


def test_large_spend_is_measured_between_balances_across_failures() -> None:
    d = Driver(settings=AlertSettings(large_spend=2_000))
    d.poll(acct(sub=30_000))
    d.poll(Problem.OFFLINE)
    d.poll(Problem.RATE_LIMITED)
    [alert] = d.poll(acct(sub=27_000))
    assert alert.body.startswith("3,000 credits used since 12:05")


def test_large_spend_after_a_long_gap_names_the_date() -> None:
    d = Driver(settings=AlertSettings(large_spend=2_000))
    d.poll(acct(sub=30_000))
    d.restart()
    [alert] = d.poll(acct(sub=20_000), after=3 * DAY_S)
    assert alert.body == "10,000 credits used since 20 Nov; 20,000 left."


def test_large_spend_zero_turns_it_off() -> None:
    d = Driver(settings=AlertSettings(large_spend=0))
    d.poll(acct(sub=30_000))
    assert d.poll(acct(sub=10_000)) == []


# --- expiring --------------------------------------------------------------------------------


def test_expiring_once_per_period() -> None:
    reset_s = RESET_MS / 1000
    d = Driver(settings=AlertSettings(large_spend=0), now=reset_s - 3 * DAY_S)
    d.poll(acct(sub=12_000), after=0)
    [alert] = d.poll(acct(sub=12_000), after=DAY_S)  # exactly 48 h before
    assert alert.kind is K.EXPIRING
    assert alert.body == "12,000 subscription credits expire in 2 days (on 1 Dec)."
    assert alert.key == f"expiring:period={RESET_MS}"
    d.restart()
    assert d.poll(acct(sub=11_000), after=HOUR) == []
    # Next period: warned again 48 h before its end.
    nxt = RESET_MS + PERIOD_MS
    assert [a.kind for a in d.poll(acct(sub=SUB, reset_ms=nxt), after=2 * DAY_S)] == [K.RESET]
    d.now = nxt / 1000 - 50 * HOUR
    assert d.poll(acct(sub=20_000, reset_ms=nxt), after=HOUR) == []
    assert [a.kind for a in d.poll(acct(sub=20_000, reset_ms=nxt), after=HOUR)] == [K.EXPIRING]


@pytest.mark.parametrize(
    ("sub", "hours", "before_reset_s"),
    [
        pytest.param(0, 48, DAY_S, id="no-subscription-credits-left"),
        pytest.param(12_000, 0, DAY_S, id="turned-off"),
        pytest.param(12_000, 48, 49 * HOUR, id="too-early"),
        pytest.param(12_000, 48, -HOUR, id="reset-date-already-past"),
    ],
)
def test_expiring_not_notified(sub: float, hours: float, before_reset_s: float) -> None:
    d = Driver(settings=AlertSettings(expiring_hours=hours), now=RESET_MS / 1000 - before_reset_s)
    alerts = d.poll(acct(sub=sub, gift=100), after=0)
    assert K.EXPIRING not in [a.kind for a in alerts]


# --- runway ----------------------------------------------------------------------------------


def forecast(days_to_empty: float, balance: float, before_reset: bool) -> Forecast:
    return Forecast(
        burn_per_day=balance / days_to_empty,
        seconds_to_empty=days_to_empty * DAY_S,
        runs_out_before_reset=before_reset,
        balance=balance,
        reset_at_s=RESET_MS / 1000,
        days_of_history=7,
    )


def test_runway_once_per_period() -> None:
    d = Driver()
    d.poll(acct(sub=9_000))
    [alert] = d.poll(acct(sub=9_000), forecast=forecast(3, 9_000, True))
    assert alert.kind is K.RUNWAY
    assert alert.body == (
        "At the current pace credits run out in about 3 days, before the reset on 1 Dec."
    )
    assert d.poll(acct(sub=8_900), forecast=forecast(2, 8_900, True)) == []
    nxt = RESET_MS + PERIOD_MS
    d.poll(acct(sub=SUB, reset_ms=nxt))
    assert [
        a.kind for a in d.poll(acct(sub=SUB, reset_ms=nxt), forecast=forecast(3, SUB, True))
    ] == [K.RUNWAY]


def test_runway_not_when_it_lasts_past_the_reset_or_is_empty() -> None:
    d = Driver(settings=AlertSettings(large_spend=0))
    d.poll(acct(sub=30_000))
    assert d.poll(acct(sub=30_000), forecast=forecast(40, 30_000, False)) == []
    assert [a.kind for a in d.poll(acct(sub=0), forecast=forecast(0.001, 0, True))] == [K.DEPLETED]
