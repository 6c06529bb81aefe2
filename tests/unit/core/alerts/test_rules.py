"""Table tests for each alert rule (see the docstring of tray_app/core/alerts/__init__.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from tray_app.config.model import AlertSettings
from tray_app.core.alerts import (
    MAX_SUPPRESSED,
    RESET_MIN_ADVANCE_MS,
    Alert,
    AlertKind,
    AlertState,
    PollOutcome,
    Severity,
    evaluate,
    pause,
    rearm_margin,
    resume,
)
from tray_app.core.balance import Balance
from tray_app.core.forecast import DAY_S, Forecast
from tray_app.core.levels import Threshold
from tray_app.core.state import Problem

UTC = dt.timezone.utc
HOUR = 3600.0
RESET_MS = 1_796_083_200_000  # 2026-12-01 00:00 UTC
PERIOD_MS = 30 * 86_400_000
NOW = 1_795_176_000.0  # 2026-11-20 12:00 UTC, more than 48 h before RESET_MS
SUB = 35_000

K = AlertKind


def acct(
    sub: float = 30_000,
    gift: float = 0,
    *,
    sub_amount: float = SUB,
    gift_amount: float | None = None,
    reset_ms: int | None = RESET_MS,
) -> Balance:
    """An account: subscription and gift credits left; totals follow as the API computes them."""
    granted_gift = gift if gift_amount is None else gift_amount
    return Balance(
        sub_amount + granted_gift, sub + gift, sub_amount, sub, granted_gift, gift, reset_ms
    )


@dataclass
class Driver:
    """Feeds poll results to `evaluate` in order, five minutes apart unless told otherwise."""

    settings: AlertSettings = field(default_factory=AlertSettings)
    state: AlertState = field(default_factory=AlertState)
    now: float = NOW

    def poll(
        self,
        outcome: PollOutcome,
        *,
        after: float = 300,
        forecast: Forecast | None = None,
        last_hour_spend: float | None = None,
    ) -> list[Alert]:
        """The events of this poll (the headline, then what is folded into it)."""
        self.now += after
        self.state, shown = evaluate(
            self.state,
            outcome,
            self.settings,
            self.now,
            forecast,
            last_hour_spend=last_hour_spend,
            tz=UTC,
        )
        assert len(shown) <= 1, "one notification per poll at most"
        self.shown = shown
        return [part for alert in shown for part in alert.parts()]

    def kinds(self, outcomes: Sequence[PollOutcome]) -> list[list[AlertKind]]:
        return [[a.kind for a in self.poll(o)] for o in outcomes]

    def restart(self) -> None:
        self.state = AlertState.from_json(json.loads(json.dumps(self.state.to_json())))


# --- thresholds ----------------------------------------------------------------------------

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


# --- reset -----------------------------------------------------------------------------------


def test_reset_is_reported_once_and_rearms_thresholds() -> None:
    d = Driver(settings=AlertSettings(large_spend=2_000))
    d.poll(acct(sub=30_000))
    assert [a.kind for a in d.poll(acct(sub=6_000))] == [K.LOW, K.LARGE_SPEND]
    new_period = RESET_MS + PERIOD_MS
    [renewal] = d.poll(acct(sub=SUB, reset_ms=new_period))
    assert renewal.kind is K.RESET
    assert renewal.title == "Lensmor credits renewed"
    assert renewal.body == "Subscription credits renewed: 35,000 available; next reset on 31 Dec."
    assert renewal.key == f"reset:period={new_period}"
    assert d.poll(acct(sub=SUB, reset_ms=new_period)) == []
    assert [a.kind for a in d.poll(acct(sub=6_500, reset_ms=new_period))] == [K.LOW, K.LARGE_SPEND]


def test_no_top_up_or_large_spend_is_reported_at_a_reset() -> None:
    d = Driver()
    d.poll(acct(sub=20_000))
    # A bigger plan: totalAmount rises at the renewal; that is the renewal, not a top-up.
    alerts = d.poll(acct(sub=50_000, sub_amount=50_000, reset_ms=RESET_MS + PERIOD_MS))
    assert [a.kind for a in alerts] == [K.RESET]


def test_first_poll_reports_no_reset() -> None:
    assert Driver().poll(acct(sub=SUB)) == []


def test_reset_while_not_running_is_found_after_restart_once() -> None:
    d = Driver()
    d.poll(acct(sub=9_000))
    d.restart()
    # Two periods went by while the app was not running.
    later = RESET_MS + 2 * PERIOD_MS
    assert [a.kind for a in d.poll(acct(sub=SUB, reset_ms=later), after=40 * DAY_S)] == [K.RESET]
    d.restart()
    assert d.poll(acct(sub=SUB, reset_ms=later)) == []


@pytest.mark.parametrize(
    "reset_values",
    [
        pytest.param([RESET_MS + i * 1000 for i in range(1, 6)], id="jitter-of-seconds"),
        pytest.param([RESET_MS + RESET_MIN_ADVANCE_MS - 1] * 3, id="just-under-an-hour"),
        pytest.param([RESET_MS - 5 * 86_400_000] * 3, id="moved-back-plan-change"),
    ],
)
def test_reset_at_moves_that_are_not_renewals(reset_values: list[int]) -> None:
    d = Driver()
    d.poll(acct(sub=30_000))
    for value in reset_values:
        assert d.poll(acct(sub=30_000, reset_ms=value)) == []


def test_after_moving_back_the_next_forward_move_is_one_reset() -> None:
    d = Driver()
    d.poll(acct(sub=30_000))
    earlier = RESET_MS - 5 * 86_400_000
    assert d.poll(acct(sub=30_000, reset_ms=earlier)) == []
    assert [a.kind for a in d.poll(acct(sub=SUB, reset_ms=earlier + PERIOD_MS))] == [K.RESET]


def test_refill_without_a_date_is_a_reset_and_the_date_arriving_later_is_not() -> None:
    d = Driver()
    d.poll(acct(sub=1_000))
    renewal = d.poll(acct(sub=SUB, reset_ms=None))
    assert [a.kind for a in renewal] == [K.RESET]
    assert renewal[0].body == "Subscription credits renewed: 35,000 available."
    assert d.poll(acct(sub=SUB, reset_ms=RESET_MS + PERIOD_MS)) == []


def test_gift_only_account_subscribing_is_a_renewal() -> None:
    d = Driver()
    d.poll(acct(sub=0, gift=300, sub_amount=0, reset_ms=None))
    alerts = d.poll(acct(sub=SUB, gift=300, reset_ms=RESET_MS))
    assert [a.kind for a in alerts] == [K.RESET]


def test_a_refund_to_full_in_the_same_period_is_not_a_reset() -> None:
    d = Driver()
    d.poll(acct(sub=SUB))
    d.poll(acct(sub=SUB - 50))
    assert d.poll(acct(sub=SUB)) == []


# --- top-up ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "amount"),
    [
        pytest.param(acct(gift=50), acct(gift=5_050), "5,000", id="gift"),
        pytest.param(
            acct(sub=0, gift=0, gift_amount=100),
            acct(sub=0, gift=4_000, gift_amount=5_000),
            "4,900",
            id="gift-spent-meanwhile-amount-counts",
        ),
        pytest.param(acct(sub=30_000), acct(sub=45_000, sub_amount=50_000), "15,000", id="upgrade"),
    ],
)
def test_top_up_names_the_amount(before: Balance, after: Balance, amount: str) -> None:
    d = Driver()
    d.poll(before)
    top_ups = [a for a in d.poll(after) if a.kind is K.TOP_UP]
    assert len(top_ups) == 1
    assert top_ups[0].body.startswith(f"{amount} credits added; ")
    assert d.poll(after) == []


def test_subscription_refund_is_not_a_top_up() -> None:
    d = Driver()
    d.poll(acct(sub=30_000))
    d.poll(acct(sub=29_000))
    assert d.poll(acct(sub=29_500)) == []


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


# --- key rejected and offline ----------------------------------------------------------------


def test_key_rejected_once_then_quiet_recovery_and_new_episode() -> None:
    d = Driver()
    d.poll(acct())
    auth = Problem.KEY_REJECTED
    assert d.kinds([auth, auth, auth, acct(), acct(), auth]) == [
        [K.KEY_REJECTED],
        [],
        [],
        [],
        [],
        [K.KEY_REJECTED],
    ]


def test_key_rejected_text_has_no_key_and_says_what_to_do() -> None:
    [alert] = Driver().poll(Problem.KEY_REJECTED)
    assert alert.severity is Severity.CRITICAL
    assert "Settings -> API Keys" in alert.body
    assert "uak_" not in alert.body


@pytest.mark.parametrize("failure", [Problem.OFFLINE, Problem.RATE_LIMITED, Problem.BAD_RESPONSE])
def test_only_a_long_outage_notifies_once(failure: Problem) -> None:
    d = Driver()
    d.poll(acct())
    first = d.poll(failure)
    assert first == []
    started = d.now
    fired: list[tuple[float, Alert]] = []
    for _ in range(30):  # 2.5 h of failing polls
        fired += [(d.now, a) for a in d.poll(failure)]
    assert len(fired) == 1
    at, alert = fired[0]
    assert alert.kind is K.OFFLINE
    assert at - started >= 3600 > at - 300 - started
    assert alert.body.startswith("No balance for 1 h: ")
    # Back: said once (it replaces the offline notification on screen), then quiet.
    [back] = d.poll(acct())
    assert (back.kind, back.body) == (K.ONLINE, "The Lensmor API answers again after 2 h.")
    assert d.poll(acct()) == []


def test_short_outages_never_notify() -> None:
    d = Driver()
    for _ in range(5):
        d.poll(acct())
        for _ in range(11):  # 55 min
            assert d.poll(Problem.OFFLINE) == []


def test_a_gap_restarts_the_outage_clock() -> None:
    d = Driver()
    d.poll(Problem.OFFLINE)
    # The machine slept for five hours and wakes up still offline.
    assert d.poll(Problem.OFFLINE, after=5 * HOUR) == []
    assert d.poll(Problem.OFFLINE, after=30 * 60) == []
    assert [a.kind for a in d.poll(Problem.OFFLINE, after=30 * 60)] == [K.OFFLINE]


def test_a_key_rejection_ends_an_outage() -> None:
    d = Driver()
    for _ in range(6):
        d.poll(Problem.OFFLINE)
    d.poll(Problem.KEY_REJECTED)
    assert all(d.poll(Problem.OFFLINE) == [] for _ in range(11))


def test_offline_zero_minutes_notifies_at_the_first_failure() -> None:
    d = Driver(settings=AlertSettings(offline_minutes=0))
    assert [a.kind for a in d.poll(Problem.OFFLINE)] == [K.OFFLINE]
    assert d.poll(Problem.OFFLINE) == []


# --- notifications off and pause -------------------------------------------------------------


def test_notifications_off_advances_state_without_replay() -> None:
    d = Driver(settings=AlertSettings(notifications=False))
    d.poll(acct(sub=30_000))
    assert d.poll(acct(sub=6_000)) == []
    assert d.poll(Problem.KEY_REJECTED) == []
    d.settings = AlertSettings(large_spend=2_000)
    assert d.poll(acct(sub=6_000)) == []  # the crossing was marked, not kept for later
    assert [a.kind for a in d.poll(acct(sub=1_000))] == [K.CRITICAL, K.LARGE_SPEND]


def test_pause_holds_everything_and_resume_summarises_once() -> None:
    d = Driver(settings=AlertSettings(large_spend=0))
    d.poll(acct(sub=30_000))
    d.state = pause(d.state, d.now + 10 * HOUR)
    assert d.poll(acct(sub=6_000)) == []
    assert d.poll(Problem.KEY_REJECTED) == []
    assert d.poll(acct(sub=SUB, reset_ms=RESET_MS + PERIOD_MS)) == []
    held = [a.key for a in d.state.suppressed]
    d.restart()
    d.state, summary = resume(d.state, d.now)
    [alert] = summary
    assert alert.kind is K.PAUSE_SUMMARY
    assert alert.covers == tuple(held)
    assert len(held) == 3
    assert alert.title == "Lensmor: 3 notifications while paused"
    assert alert.body == (
        "Lensmor credits low; Lensmor API key rejected; Lensmor credits renewed."
        " Now 35,000 credits available."
    )
    assert alert.severity is Severity.CRITICAL
    assert resume(d.state, d.now) == (d.state, [])
    assert d.poll(acct(sub=SUB, reset_ms=RESET_MS + PERIOD_MS)) == []


def test_expired_pause_summary_comes_before_the_new_alerts() -> None:
    d = Driver(settings=AlertSettings(large_spend=0))
    d.poll(acct(sub=30_000))
    d.state = pause(d.state, d.now + HOUR)
    d.poll(acct(sub=6_000))
    alerts = d.poll(acct(sub=1_000), after=HOUR)
    # One notification: the new critical alert heads it, the summary is folded in.
    assert [a.kind for a in alerts] == [K.CRITICAL, K.PAUSE_SUMMARY]
    # The summary tells the balance of the poll that ended the pause.
    assert alerts[1].body == "Lensmor credits low. Now 1,000 credits available."
    [shown] = d.shown
    # ... without telling the balance a second time (the headline told it).
    assert shown.body.endswith("renew on 1 Dec. While paused: Lensmor credits low.")
    assert d.state.pause_until is None
    assert d.state.suppressed == ()


def test_a_quiet_pause_ends_without_a_summary() -> None:
    d = Driver()
    d.poll(acct())
    d.state = pause(d.state, d.now + HOUR)
    d.poll(acct())
    assert resume(d.state, d.now)[1] == []
    d.state = pause(d.state, d.now + HOUR)
    assert d.poll(acct(), after=2 * HOUR) == []


def test_same_kind_repeated_in_a_pause_is_counted() -> None:
    d = Driver(settings=AlertSettings(thresholds=(), large_spend=2_000))
    d.poll(acct(sub=30_000))
    d.state = pause(d.state, d.now + DAY_S)
    for sub in (27_000, 24_000, 21_000):
        d.poll(acct(sub=sub))
    _, [alert] = resume(d.state, d.now)
    assert alert.body == "Large Lensmor spend (x3). Now 21,000 credits available."


def test_a_very_long_pause_keeps_a_bounded_list() -> None:
    d = Driver(settings=AlertSettings(thresholds=(), large_spend=1))
    d.state = pause(d.state, d.now + 100 * DAY_S)
    sub = 35_000.0
    for _ in range(MAX_SUPPRESSED + 25):
        sub -= 10
        d.poll(acct(sub=sub))
    assert len(d.state.suppressed) == MAX_SUPPRESSED
    assert d.state.suppressed_more == 24  # the first poll has nothing to compare with
    _, [alert] = resume(d.state, d.now)
    assert alert.title == f"Lensmor: {MAX_SUPPRESSED + 24} notifications while paused"
    assert alert.body.startswith(f"Large Lensmor spend (x{MAX_SUPPRESSED}); and 24 more.")


# --- state on disk ---------------------------------------------------------------------------


def rich_state() -> AlertState:
    d = Driver()
    d.poll(acct(sub=30_000, gift=50))
    d.poll(acct(sub=6_000, gift=50))
    d.poll(Problem.KEY_REJECTED)
    d.state = pause(d.state, d.now + DAY_S)
    d.poll(acct(sub=1_000, gift=50))
    for _ in range(3):
        d.poll(Problem.OFFLINE)
    return d.state


def test_state_round_trips_through_json() -> None:
    state = rich_state()
    data = json.loads(json.dumps(state.to_json()))
    assert data["version"] == 1
    assert AlertState.from_json(data) == state
    # The state under test has something in every kind of field.
    assert state.suppressed
    assert state.fired
    assert state.outage_since is not None


CORRUPTIONS = [
    ("last", {"totalAmount": "lots"}),
    ("last", [1, 2]),
    ("last_ok_at", "yesterday"),
    ("last_poll_at", float("nan")),
    ("period_ms", "soon"),
    ("period_ms", True),
    ("fired", "20%"),
    ("expiring_warned_ms", 1.5),
    ("runway_warned_ms", {}),
    ("key_rejected_since", []),
    ("outage_since", None),
    ("outage_notified", "yes"),
    ("pause_until", "tomorrow"),
    ("suppressed", {"kind": "low"}),
    ("suppressed_more", -4),
]


@pytest.mark.parametrize(("name", "bad"), CORRUPTIONS)
def test_a_corrupt_field_takes_its_default_and_keeps_the_rest(name: str, bad: object) -> None:
    state = rich_state()
    data = state.to_json()
    data[name] = bad
    loaded = AlertState.from_json(data)
    default = getattr(AlertState(), name)
    assert getattr(loaded, name) == default
    others = [f.name for f in dataclasses.fields(AlertState) if f.name != name]
    assert all(getattr(loaded, n) == getattr(state, n) for n in others)


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(AlertState)])
def test_a_missing_field_takes_its_default(name: str) -> None:
    state = rich_state()
    data = state.to_json()
    del data[name]
    loaded = AlertState.from_json(data)
    assert getattr(loaded, name) == getattr(AlertState(), name)
    assert dataclasses.replace(loaded, **{name: getattr(state, name)}) == state


@pytest.mark.parametrize("data", [None, "state", 42, [], {}, {"version": 99}])
def test_unreadable_state_is_a_first_run(data: object) -> None:
    assert AlertState.from_json(data) == AlertState()


def test_bad_suppressed_items_are_skipped() -> None:
    state = rich_state()
    data = state.to_json()
    data["suppressed"] = [*data["suppressed"], {"kind": "nope"}, "x", {"kind": "low"}]
    assert AlertState.from_json(data).suppressed == state.suppressed


def test_evaluate_works_from_a_state_with_a_lost_balance() -> None:
    state = rich_state()
    data = state.to_json()
    data["last"] = None
    d = Driver(state=AlertState.from_json(data), now=NOW + DAY_S)
    # The fired lines were kept: no repeat of the 20 % and 5 % notices.
    d.state = resume(d.state, d.now)[0]
    assert d.poll(acct(sub=1_000, gift=50)) == []


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        (Problem.OFFLINE, "cannot be reached"),
        (Problem.SERVER, "server errors"),
        (Problem.RATE_LIMITED, "rate limit"),
        (Problem.BAD_RESPONSE, "not a balance"),
    ],
)
def test_every_outage_kind_notifies_once_after_the_window_with_its_reason(
    problem: Problem, reason: str
) -> None:
    d = Driver()
    d.poll(acct(sub=30_000))
    outputs = [d.poll(problem, after=600) for _ in range(12)]  # two hours of failures
    alerts = [a for out in outputs for a in out]
    assert [a.kind for a in alerts] == [K.OFFLINE]
    assert reason in alerts[0].body


def test_no_key_is_not_an_outage() -> None:
    d = Driver()
    d.poll(acct(sub=30_000))
    assert [d.poll(Problem.NO_KEY, after=3600) for _ in range(3)] == [[], [], []]
