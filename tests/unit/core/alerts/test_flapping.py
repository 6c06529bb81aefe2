"""One event, one notification: flapping data, remembered periods, unusual spend, folding.

Replicas behind a load balancer disagree for a while, so consecutive polls can flip between
two views of the same account. Each pattern below is one the issue measured spamming.
"""

from __future__ import annotations

import logging

import pytest

from tests.support.rig import DAY, START, Rig
from tests.unit.core.alerts.driver import PERIOD_MS, RESET_MS, SUB, Driver, K, acct
from tray_app.config.model import AlertSettings
from tray_app.core.alerts import (
    IMPORTANCE,
    PERIOD_MEMORY,
    AlertKind,
    AlertState,
    Severity,
    compose,
)
from tray_app.core.forecast import Forecast
from tray_app.core.state import Problem

NEXT_MS = RESET_MS + PERIOD_MS


def pace(per_hour: float) -> Forecast:
    """A forecast whose usual pace is `per_hour` credits an hour, not running out."""
    return Forecast(per_hour * 24, None, False, 30_000, RESET_MS / 1000, 7)


def test_reset_at_flipping_between_two_periods_is_one_renewal_and_one_flap() -> None:
    d = Driver()
    old, new = acct(sub=20_000), acct(sub=SUB, reset_ms=NEXT_MS)
    d.poll(old)
    seen = [d.poll(b) for b in (new, old, new, old, new, old, new)]
    assert [[a.kind for a in alerts] for alerts in seen] == [[K.RESET]] + [[]] * 6
    assert d.state.flap == (RESET_MS, NEXT_MS)  # noted for the log, once per pair
    d.restart()
    assert d.poll(old) == []
    assert d.poll(new) == []
    assert d.state.flap == (RESET_MS, NEXT_MS)


def test_a_reset_into_a_period_announced_before_a_restart_is_not_announced_again() -> None:
    d = Driver()
    d.poll(acct(sub=20_000))
    [renewed] = d.poll(acct(sub=SUB, reset_ms=NEXT_MS))
    assert renewed.kind is K.RESET
    d.poll(acct(sub=20_000))  # a stale replica, then a restart
    d.restart()
    assert d.poll(acct(sub=SUB, reset_ms=NEXT_MS)) == []
    # A genuinely new period is still announced, and the memory stays bounded.
    for n in range(2, PERIOD_MEMORY + 4):
        [alert] = d.poll(acct(sub=SUB, reset_ms=RESET_MS + n * PERIOD_MS))
        assert alert.kind is K.RESET
    assert len(d.state.periods) == PERIOD_MEMORY


def test_gift_wobbling_by_ten_never_notifies() -> None:
    d = Driver()
    gifts = [50, 40, 50, 40, 50, 40, 50, 40, 50]
    assert [d.poll(acct(gift=g, gift_amount=50)) for g in gifts] == [[]] * len(gifts)
    # giftAmount wobbling too (replicas disagreeing on the grants) is no top-up either.
    assert [d.poll(acct(gift=g, gift_amount=g)) for g in gifts] == [[]] * len(gifts)


def test_a_small_rise_back_to_a_level_seen_before_is_no_top_up() -> None:
    d = Driver()
    # 40 first, then replicas disagree: 50 lasts two polls once, then wobbles again.
    gifts = [40, 50, 50, 40, 50, 50, 40, 50]
    shown = [[a.kind for a in d.poll(acct(gift=g, gift_amount=g))] for g in gifts]
    assert shown == [[], [], [K.TOP_UP], [], [], [], [], []]


def test_a_small_top_up_that_lasts_is_notified_once_at_the_next_balance() -> None:
    d = Driver()
    d.poll(acct(gift=40, gift_amount=40))
    assert d.poll(acct(gift=55, gift_amount=55)) == []  # 15: wait for the next balance
    assert d.poll(Problem.RATE_LIMITED) == []  # a failure is not a balance
    [added] = d.poll(acct(gift=55, gift_amount=55))
    assert (added.kind, added.body) == (K.TOP_UP, "15 credits added; 30,055 available now.")
    assert d.poll(acct(gift=55, gift_amount=55)) == []


def test_a_top_up_of_one_search_or_more_is_notified_at_once() -> None:
    d = Driver()
    d.poll(acct(gift=0, gift_amount=0))
    [added] = d.poll(acct(gift=50, gift_amount=50))
    assert added.kind is K.TOP_UP
    assert d.poll(acct(gift=50, gift_amount=50)) == []


def test_balance_wobbling_twenty_around_a_threshold_notifies_once() -> None:
    d = Driver()  # low below 7,000 (20 % of 35,000)
    kinds = [[a.kind for a in d.poll(acct(sub=s))] for s in [7_010, 6_990] * 5]
    assert kinds == [[], [K.LOW]] + [[]] * 8


def test_a_rate_limit_between_two_balances_changes_nothing() -> None:
    d = Driver(settings=AlertSettings(large_spend=2_000))
    d.poll(acct(sub=30_000))
    assert d.poll(Problem.RATE_LIMITED) == []
    assert d.poll(acct(sub=30_000)) == []
    assert [a.kind for a in d.poll(acct(sub=6_990))] == [K.LOW, K.LARGE_SPEND]
    assert len(d.shown) == 1
    assert d.poll(Problem.RATE_LIMITED) == []
    assert d.poll(acct(sub=6_990)) == []


def test_unusual_spend_has_a_floor_for_a_new_account() -> None:
    d = Driver()
    d.poll(acct(sub=30_000))
    assert d.poll(acct(sub=26_000), last_hour_spend=4_000) == []  # no history: floor 5,000
    [alert] = d.poll(acct(sub=22_000), last_hour_spend=8_000)
    assert alert.kind is K.UNUSUAL_SPEND
    assert alert.title == "Unusual Lensmor spend"
    assert alert.body == "8,000 credits in the last hour. 22,000 left."


def test_unusual_spend_is_relative_to_the_usual_pace_and_quiet_for_an_hour() -> None:
    d = Driver()
    d.poll(acct(sub=30_000))
    heavy = pace(2_500)  # 8,000 is only 3.2x this user's pace
    assert d.poll(acct(sub=22_000), last_hour_spend=8_000, forecast=heavy) == []
    usual = pace(1_333)
    [alert] = d.poll(acct(sub=4_050 + 8_000), last_hour_spend=8_000, forecast=usual)
    assert (
        alert.body == "8,000 credits in the last hour, about 6\u00d7 your usual pace. 12,050 left."
    )
    assert alert.severity is Severity.WARNING
    # Still spending: not again within the hour, again after it.
    assert d.poll(acct(sub=11_000), last_hour_spend=9_000, forecast=usual) == []
    d.restart()
    [again] = d.poll(acct(sub=10_000), after=3_600, last_hour_spend=9_000, forecast=usual)
    assert again.kind is K.UNUSUAL_SPEND


def test_a_drop_that_crosses_a_line_gives_one_notification_with_everything() -> None:
    # The measurement: 30,050 -> 4,900 sent "low" and "large spend" separately.
    d = Driver(settings=AlertSettings(large_spend=2_000))
    d.poll(acct(sub=30_000, gift=50))
    parts = d.poll(acct(sub=4_850, gift=50), last_hour_spend=25_150)
    [shown] = d.shown
    assert [a.kind for a in parts] == [K.UNUSUAL_SPEND, K.LOW, K.LARGE_SPEND]
    assert shown.title == "Unusual Lensmor spend"
    # Each fact once: the spend and the balance in the headline's words, then what the low
    # warning adds (the share and the line); the large spend has nothing new to say.
    assert shown.body == (
        "25,150 credits in the last hour. 4,900 left. 14% of 35,050 left, below your 20% warning."
    )
    assert {a.key for a in parts} == {shown.key, *(a.key for a in shown.folded)}


def test_critical_heads_and_the_urgency_is_the_highest() -> None:
    d = Driver(settings=AlertSettings(large_spend=2_000))
    d.poll(acct(sub=3_550))  # low at the first poll
    parts = d.poll(acct(sub=1_550))
    [shown] = d.shown
    assert [a.kind for a in parts] == [K.CRITICAL, K.LARGE_SPEND]
    assert shown.title == "Lensmor credits critically low"
    assert shown.body.startswith("1,550 credits left (4% of 35,000)")
    assert shown.body.endswith("Subscription credits renew on 1 Dec. 2,000 used since 12:05.")
    assert shown.severity is Severity.CRITICAL


def test_compose_follows_the_documented_order() -> None:
    assert len(IMPORTANCE) == len(set(IMPORTANCE)) == len(AlertKind)
    d = Driver()
    d.poll(acct())
    [offline] = [a for _ in range(20) for a in d.poll(Problem.OFFLINE)]
    back = d.poll(acct(sub=SUB, reset_ms=NEXT_MS))
    assert [a.kind for a in back] == [K.RESET, K.ONLINE]
    assert compose([]) == []
    assert compose([offline]) == [offline]


def test_saved_flap_and_top_up_fields_are_read_tolerantly() -> None:
    saved = AlertState(periods=(1, 2), flap=(1, 2), top_up_base=(40.0, 35_040.0)).to_json()
    assert AlertState.from_json(saved).flap == (1, 2)
    for bad in ("x", [1], [1, "a"], None):
        saved.update(flap=bad, top_up_base=bad, top_up_high=bad)
        state = AlertState.from_json(saved)
        assert (state.flap, state.top_up_base, state.top_up_high) == (None, None, None)
    saved.update(periods=[1, "a", 2.0, True, None])
    assert AlertState.from_json(saved).periods == (1, 2)


# --- through the real Monitor, the simulated API and the history store ---------------------


def test_the_monitor_logs_a_flapping_reset_at_once_and_announces_one_renewal(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tray_app.runtime.monitor")
    period_a = int((START + 10 * DAY) * 1000)
    period_b = period_a + PERIOD_MS
    rig.start()
    for n in range(8):
        rig.account.set_balance(
            subscriptionAmount=35_000,
            subscriptionBalance=30_000 if n % 2 == 0 else 35_000,
            resetAt=period_a if n % 2 == 0 else period_b,
        )
        rig.clock.now += 300
        rig.poll()
    assert rig.kinds() == ["reset"]
    flaps = [r for r in caplog.records if "moves back and forth" in r.getMessage()]
    assert len(flaps) == 1


def test_the_monitor_measures_unusual_spend_against_the_history(rig: Rig) -> None:
    rig.account.set_balance(subscriptionAmount=200_000, subscriptionBalance=200_000)
    rig.start()
    for _ in range(3 * 24):  # three days at 500 an hour
        rig.account.spend(500)
        rig.clock.now += 3_600
        rig.poll()
    assert rig.kinds() == []
    rig.account.spend(1_800)  # 3.6x the pace: not unusual
    rig.clock.now += 3_600
    rig.poll()
    assert rig.kinds() == []
    rig.account.spend(8_000)  # 16x the pace: unusual
    rig.clock.now += 3_600
    rig.poll()
    assert rig.kinds() == ["unusual-spend"]
    [shown] = rig.notifier.sent
    assert shown.body.startswith("8,000 credits in the last hour, about 1")
    assert "\u00d7 your usual pace." in shown.body
    assert [label for _, label in shown.buttons] == ["Open API keys", "Snooze until tomorrow"]


def test_the_hour_after_a_period_change_is_not_measured_for_spend() -> None:
    d = Driver()
    d.poll(acct(sub=20_000))
    [renewed] = d.poll(acct(sub=SUB, reset_ms=NEXT_MS), last_hour_spend=15_000)
    assert renewed.kind is K.RESET
    assert d.poll(acct(sub=SUB - 6_000, reset_ms=NEXT_MS), last_hour_spend=21_000) == []
    [alert] = d.poll(acct(sub=SUB - 12_000, reset_ms=NEXT_MS), after=3_600, last_hour_spend=6_000)
    assert alert.kind is K.UNUSUAL_SPEND
