"""Table tests for the threshold rules: low, critical, depleted, re-arming
(see the docstring of tray_app/core/alerts/__init__.py).
"""

from __future__ import annotations

import pytest

from tests.unit.core.alerts.driver import RESET_MS, Driver, K, acct
from tray_app.config.model import AlertSettings
from tray_app.core.alerts import AlertKind, Severity, rearm_margin
from tray_app.core.levels import Threshold

# Defaults on 35,000 credits: low below 7,000 (20 %), critical below 1,750 (5 %), re-arm margin 350.
THRESHOLD_TABLE = [
    pytest.param([30_000, 7_500, 6_999, 6_000, 6_999], [[], [], [K.LOW], [], []], id="low-once"),
    pytest.param([30_000, 1_000], [[], [K.CRITICAL]], id="two-levels-one-notice"),
    pytest.param([30_000, 0], [[], [K.DEPLETED]], id="all-levels-one-notice"),
    pytest.param([5_000, 5_000, 4_000], [[K.LOW], [], []], id="first-poll-below-notifies-once"),
    pytest.param([1_000, 1_000], [[K.CRITICAL], []], id="first-poll-critical"),
    pytest.param([0, 0, 10], [[K.DEPLETED], [], []], id="depleted-once"),
    pytest.param(
        [6_999, 7_200, 6_900, 7_349, 6_900],
        [[K.LOW], [], [], [], []],
        id="inside-hysteresis-no-repeat",
    ),
    pytest.param(
        [6_999, 7_350, 6_900, 8_000, 6_000],
        [[K.LOW], [], [K.LOW], [], [K.LOW]],
        id="rearmed-above-margin",
    ),
    pytest.param(
        [6_000, 1_700, 1_800, 2_100, 1_700],
        [[K.LOW], [K.CRITICAL], [], [], [K.CRITICAL]],
        id="critical-after-low-and-rearm",
    ),
    pytest.param(
        [1_000, 20, 60, 0, 400, 0],
        [[K.CRITICAL], [], [], [K.DEPLETED], [], [K.DEPLETED]],
        id="depleted-rearms-above-margin",
    ),
]


@pytest.mark.parametrize(("balances", "expected"), THRESHOLD_TABLE)
def test_threshold_crossings(balances: list[float], expected: list[list[AlertKind]]) -> None:
    d = Driver(settings=AlertSettings(large_spend=0))  # thresholds only
    assert d.kinds([acct(sub=b) for b in balances]) == expected


def test_margin_is_one_percent_with_a_floor() -> None:
    assert rearm_margin(35_000) == 350
    assert rearm_margin(1_000) == 50


def test_low_notification_text() -> None:
    d = Driver(settings=AlertSettings(large_spend=0))
    d.poll(acct(sub=30_000))
    [alert] = d.poll(acct(sub=6_000))
    assert alert.kind is K.LOW
    assert alert.severity is Severity.WARNING
    assert alert.title == "Lensmor credits low"
    assert alert.body == "6,000 credits left (17% of 35,000), below your 20% warning."
    assert alert.key.startswith(f"threshold:20%:period={RESET_MS}:")


def test_critical_and_depleted_texts_mention_the_renewal() -> None:
    d = Driver(settings=AlertSettings(large_spend=0))
    [critical] = d.poll(acct(sub=1_000))
    assert critical.severity is Severity.CRITICAL
    assert critical.body == (
        "1,000 credits left (3% of 35,000), below your 5% warning."
        " Subscription credits renew on 1 Dec."
    )
    [depleted] = d.poll(acct(sub=0))
    assert depleted.title == "Lensmor credits used up"
    assert depleted.body == "0 credits left (0% of 35,000). Subscription credits renew on 1 Dec."


def test_absolute_thresholds_and_which_is_critical() -> None:
    thresholds = (Threshold.parse("20%"), Threshold.parse("5%"), Threshold.parse(500))
    d = Driver(settings=AlertSettings(thresholds=thresholds, large_spend=0))
    assert d.kinds([acct(sub=b) for b in (30_000, 6_000, 1_700, 499)]) == [
        [],
        [K.LOW],
        [K.LOW],  # 5 % is no longer the lowest line: 500 credits is
        [K.CRITICAL],
    ]
    assert d.poll(acct(sub=450)) == []
    d.poll(acct(sub=30_000))
    [alert] = d.poll(acct(sub=400))
    assert alert.body.endswith(
        "below your 500-credit warning. Subscription credits renew on 1 Dec."
    )


def test_a_line_added_while_below_it_notifies_once_and_a_removed_one_is_forgotten() -> None:
    d = Driver(settings=AlertSettings(large_spend=0))
    d.poll(acct(sub=30_000))
    assert d.poll(acct(sub=6_000))[0].kind is K.LOW
    assert d.state.fired == {"20%"}
    d.settings = AlertSettings(thresholds=(Threshold.parse("20%"), Threshold.parse("50%")))
    [alert] = d.poll(acct(sub=6_000))
    assert alert.key.startswith("threshold:50%:")
    assert alert.kind is K.LOW  # 50 % is not the lowest line
    d.settings = AlertSettings(thresholds=(Threshold.parse("50%"),))
    assert d.poll(acct(sub=6_000)) == []
    assert d.state.fired == {"50%"}
