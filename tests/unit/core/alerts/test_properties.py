"""Property tests of the alert rules over random account histories.

A scenario is an account (subscription and gift credits) and a random sequence of steps:
spending, gifts, resets (resetAt moves on a period and the subscription refills), successful
polls, failed polls, pauses, resumes and restarts (the state goes through JSON and back). The
same scenario is run several ways and the runs are compared:

- as written (with restarts and pauses),
- without the restarts: must give exactly the same alerts and final state,
- without the pauses: the plain run, checked against the account's true history (every
  downward crossing of an armed line notified, never twice for one crossing, each reset once),
  and whose alerts must be exactly those shown directly or listed in pause summaries by the
  paused run,
- with notifications off: nothing shown, the same final state.

Every run also checks that no call shows more than one notification; the checks look at the
events folded into it (`Alert.parts`). A second family of properties feeds arbitrary
sequences of poll results, as disagreeing replicas would (periods going back and forth,
wobbling gifts, failures between balances, restarts anywhere): still at most one notification
per poll, and no period's renewal is ever notified twice.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from tray_app.config.model import AlertSettings
from tray_app.core.alerts import (
    DEPLETED_LABEL,
    Alert,
    AlertKind,
    AlertState,
    evaluate,
    is_below,
    pause,
    rearm_margin,
    resume,
    threshold_lines,
)
from tray_app.core.balance import Balance
from tray_app.core.forecast import runway, samples_from_balances
from tray_app.core.levels import DEFAULT_THRESHOLDS, Threshold
from tray_app.core.state import Problem

T0 = 1_795_176_000.0  # 2026-11-20 12:00 UTC
PERIOD_MS = 30 * 86_400_000
THRESHOLD_SETS = [
    DEFAULT_THRESHOLDS,
    (Threshold.parse("20%"), Threshold.parse("5%"), Threshold.parse(500)),
    (Threshold.parse("50%"), Threshold.parse(1_000)),
    (Threshold.parse("12.5%"),),
    (),
]
THRESHOLD_KINDS = {AlertKind.LOW, AlertKind.CRITICAL, AlertKind.DEPLETED}


@dataclass
class Account:
    sub_amount: int
    sub: int
    gift_amount: int
    gift: int
    reset_ms: int

    def balance(self) -> Balance:
        return Balance(
            self.sub_amount + self.gift_amount,
            self.sub + self.gift,
            self.sub_amount,
            self.sub,
            self.gift_amount,
            self.gift,
            self.reset_ms,
        )

    def spend(self, amount: int) -> None:
        # Subscription credits are spent before gift credits (API contract).
        from_sub = min(self.sub, amount)
        self.sub -= from_sub
        self.gift -= min(self.gift, amount - from_sub)


@dataclass(frozen=True)
class Scenario:
    settings: AlertSettings
    account: Account
    steps: tuple[tuple[object, ...], ...]


# A round is an optional change to the account, then one poll (or failed poll), then an
# optional action of the user or the system. Every round polls, so histories are long enough to
# cross lines, renew, pause and restart in many orders.
account_change = st.one_of(
    st.none(),
    st.tuples(st.just("spend"), st.integers(1, 400)),
    st.tuples(st.just("spend"), st.integers(400, 4_000)),
    st.tuples(st.just("spend"), st.integers(4_000, 40_000)),
    st.tuples(st.just("gift"), st.integers(1, 20_000)),
    st.tuples(st.just("reset")),
)
ok_poll = st.tuples(st.just("poll"), st.sampled_from([60, 300, 3_600, 6 * 3_600, 2 * 86_400]))
poll = st.one_of(
    ok_poll,
    ok_poll,  # listed again: three successful polls for one failure
    ok_poll,
    st.tuples(
        st.just("fail"),
        st.sampled_from(list(Problem)),
        st.sampled_from([60, 300, 1_800, 4 * 3_600]),
    ),
)
control = st.one_of(
    st.none(),
    st.tuples(st.just("pause"), st.sampled_from([600, 3_600, 86_400])),
    st.tuples(st.just("resume")),
    st.tuples(st.just("restart")),
)
rounds = st.lists(st.tuples(account_change, poll, control), min_size=5, max_size=25)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    sub_amount = draw(st.sampled_from([1_000, 35_000]))
    gift_amount = draw(st.integers(0, 5_000))
    account = Account(
        sub_amount=sub_amount,
        sub=draw(st.integers(0, sub_amount)),
        gift_amount=gift_amount,
        gift=draw(st.integers(0, gift_amount)),
        reset_ms=int(T0 * 1000) + draw(st.integers(1, 30)) * 86_400_000,
    )
    alert_settings = AlertSettings(
        thresholds=draw(st.sampled_from(THRESHOLD_SETS)),
        large_spend=draw(st.sampled_from([0, 2_000])),
        offline_minutes=draw(st.sampled_from([0, 60])),
        expiring_hours=draw(st.sampled_from([0, 48])),
    )
    steps = [part for parts in draw(rounds) for part in parts if part is not None]
    return Scenario(alert_settings, account, tuple(steps))


@dataclass
class Evaluation:
    """One call that may show alerts, and what it saw."""

    index: int  # position in the scenario's steps (len(steps) for the final resume)
    now: float
    balance: Balance | None  # the balance polled, None for a failure or a resume
    paused: bool  # a pause was in force at this moment
    alerts: list[Alert]


@dataclass
class Trace:
    evaluations: list[Evaluation] = field(default_factory=list)
    final: AlertState = field(default_factory=AlertState)
    resets_before: list[int] = field(default_factory=list)  # step indexes of resets

    def shown(self) -> list[Alert]:
        return [a for e in self.evaluations for a in e.alerts]

    def ok_polls(self) -> list[Evaluation]:
        return [e for e in self.evaluations if e.balance is not None]


def simulate(
    scenario: Scenario,
    *,
    restarts: bool = True,
    pauses: bool = True,
    notifications: bool = True,
) -> Trace:
    account = dataclasses.replace(scenario.account)
    rules = dataclasses.replace(scenario.settings, notifications=notifications)
    state = AlertState()
    now = T0
    history: list[tuple[float, Balance]] = []
    trace = Trace()
    for index, (kind, *args) in enumerate(scenario.steps):
        if kind == "spend":
            account.spend(_number(args[0]))
        elif kind == "gift":
            account.gift_amount += _number(args[0])
            account.gift += _number(args[0])
        elif kind == "reset":
            account.reset_ms += PERIOD_MS
            account.sub = account.sub_amount
            trace.resets_before.append(index)
        elif kind in ("poll", "fail"):
            now += _number(args[-1])
            paused = state.paused(now)
            if kind == "poll":
                balance = account.balance()
                history.append((now, balance))
                forecast = runway(samples_from_balances(history), now, balance.reset_at_s)
                state, alerts = evaluate(state, balance, rules, now, forecast)
            else:
                balance = None
                assert isinstance(args[0], Problem)
                state, alerts = evaluate(state, args[0], rules, now)
            trace.evaluations.append(Evaluation(index, now, balance, paused, _parts(alerts)))
        elif kind == "pause" and pauses:
            state = pause(state, now + _number(args[0]))
        elif kind == "resume" and pauses:
            state, alerts = resume(state, now)
            trace.evaluations.append(Evaluation(index, now, None, False, _parts(alerts)))
        elif kind == "restart" and restarts:
            state = AlertState.from_json(json.loads(json.dumps(state.to_json())))
    # The user ends any pause at the end, so everything held back is accounted for.
    state, alerts = resume(state, now)
    trace.evaluations.append(Evaluation(len(scenario.steps), now, None, False, _parts(alerts)))
    trace.final = state
    return trace


def _parts(shown: list[Alert]) -> list[Alert]:
    """The events of one call's notification; there is never more than one notification."""
    assert len(shown) <= 1
    return [part for alert in shown for part in alert.parts()]


def _number(value: object) -> int:
    assert isinstance(value, int)
    return value


def threshold_label(alert: Alert) -> str:
    return alert.key.split(":")[1]


def severity_order(label: str, lines: dict[str, float]) -> float:
    return -1.0 if label == DEPLETED_LABEL else lines[label]


# Generating a scenario costs more than running it, so each test below draws a scenario once
# and checks several properties on it. deadline=None: the shared CI machine is noisy.
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(scenarios())
def test_restarts_and_switched_off_notifications_change_nothing_else(scenario: Scenario) -> None:
    reference = simulate(scenario, restarts=False)
    check_a_restart_in_the_middle_changes_nothing(simulate(scenario), reference)
    check_notifications_off_shows_nothing_and_keeps_the_state(
        simulate(scenario, notifications=False), reference
    )


@PROPERTY_SETTINGS
@given(scenarios())
def test_pauses_hold_back_and_summarise_exactly(scenario: Scenario) -> None:
    check_nothing_fires_while_paused_and_summaries_account_for_all(
        simulate(scenario), simulate(scenario, pauses=False)
    )


@PROPERTY_SETTINGS
@given(scenarios())
def test_alerts_follow_the_true_history(scenario: Scenario) -> None:
    plain = simulate(scenario, pauses=False)
    thresholds = scenario.settings.thresholds
    check_every_alert_is_unique(plain)
    check_each_reset_is_reported_exactly_once(plain)
    check_every_downward_crossing_of_an_armed_line_is_notified(plain, thresholds)
    check_never_two_notifications_for_one_crossing(plain, thresholds)


def check_a_restart_in_the_middle_changes_nothing(with_restarts: Trace, without: Trace) -> None:
    assert [e.alerts for e in with_restarts.evaluations] == [e.alerts for e in without.evaluations]
    assert with_restarts.final == without.final


def check_notifications_off_shows_nothing_and_keeps_the_state(quiet: Trace, loud: Trace) -> None:
    assert quiet.shown() == []
    assert quiet.final == loud.final


def check_nothing_fires_while_paused_and_summaries_account_for_all(
    paused_run: Trace, plain: Trace
) -> None:
    for e in paused_run.evaluations:
        if e.paused:
            assert e.alerts == []
    direct = [a.key for a in paused_run.shown() if a.kind is not AlertKind.PAUSE_SUMMARY]
    summaries = [a for a in paused_run.shown() if a.kind is AlertKind.PAUSE_SUMMARY]
    assert all(s.covers for s in summaries)
    summarised = [key for s in summaries for key in s.covers]
    # Not lost, not replayed: each alert of the plain run is shown once, directly or summarised.
    assert Counter(direct + summarised) == Counter(a.key for a in plain.shown())
    assert paused_run.final == plain.final


def check_every_alert_is_unique(trace: Trace) -> None:
    keys = [a.key for a in trace.shown()]
    assert len(keys) == len(set(keys))


def check_each_reset_is_reported_exactly_once(trace: Trace) -> None:
    polls = trace.ok_polls()
    for previous, current in pairwise(polls):
        happened = any(previous.index < r < current.index for r in trace.resets_before)
        resets = [a for a in current.alerts if a.kind is AlertKind.RESET]
        assert len(resets) == (1 if happened else 0)
    if polls:
        # The first poll only learns the period.
        assert not any(a.kind is AlertKind.RESET for a in polls[0].alerts)


def check_every_downward_crossing_of_an_armed_line_is_notified(
    trace: Trace, thresholds: tuple[Threshold, ...]
) -> None:
    previous: Evaluation | None = None
    for current in trace.ok_polls():
        assert current.balance is not None
        lines = threshold_lines(thresholds, current.balance.total_amount)
        crossed = [
            label
            for label, line in lines.items()
            if is_below(label, line, current.balance.total_balance)
            and _armed_before(label, previous, current, trace, thresholds)
        ]
        notices = [a for a in current.alerts if a.kind in THRESHOLD_KINDS]
        assert len(notices) <= 1  # several lines at once: one notification
        if crossed:
            assert len(notices) == 1
            named = threshold_label(notices[0])
            worst = min(severity_order(label, lines) for label in crossed)
            assert severity_order(named, lines) <= worst
            if DEPLETED_LABEL in crossed:
                assert notices[0].kind is AlertKind.DEPLETED
        previous = current


def check_never_two_notifications_for_one_crossing(
    trace: Trace, thresholds: tuple[Threshold, ...]
) -> None:
    polls = trace.ok_polls()
    last_notice: dict[str, int] = {}  # label -> position in polls of its last notification
    for position, current in enumerate(polls):
        for alert in current.alerts:
            if alert.kind not in THRESHOLD_KINDS:
                continue
            label = threshold_label(alert)
            if label in last_notice:
                first = polls[last_notice[label]]
                between = polls[last_notice[label] + 1 : position]
                rearmed = any(_clearly_above(label, e, thresholds) for e in between)
                reset = any(first.index < r < current.index for r in trace.resets_before)
                assert rearmed or reset, f"{label} notified twice without re-arming"
            last_notice[label] = position


def _clearly_above(label: str, e: Evaluation, thresholds: tuple[Threshold, ...]) -> bool:
    assert e.balance is not None
    lines = threshold_lines(thresholds, e.balance.total_amount)
    return e.balance.total_balance >= lines[label] + rearm_margin(e.balance.total_amount)


def _armed_before(
    label: str,
    previous: Evaluation | None,
    current: Evaluation,
    trace: Trace,
    thresholds: tuple[Threshold, ...],
) -> bool:
    """Evidence that `label` was armed going into `current` (it may be armed without it)."""
    if previous is None:
        return True  # the first poll: every line starts armed
    if any(previous.index < r < current.index for r in trace.resets_before):
        return True
    return _clearly_above(label, previous, thresholds)


# --- arbitrary poll results --------------------------------------------------------------

FLAP_PERIODS = [int(T0 * 1000) + n * PERIOD_MS for n in (1, 2, 3)]


def _flapping_balance(period: int, sub: int, gift: int) -> Balance:
    return Balance(35_000 + gift, sub + gift, 35_000, sub, gift, gift, FLAP_PERIODS[period])


flapping_outcomes = st.lists(
    st.tuples(
        st.one_of(
            st.builds(
                _flapping_balance,
                st.integers(0, 2),
                st.sampled_from([35_000, 20_000, 7_020, 6_980, 1_760, 1_740, 10, 0]),
                st.sampled_from([0, 40, 50, 60, 200]),
            ),
            st.sampled_from(list(Problem)),
        ),
        st.sampled_from([5, 60, 300, 3_600, 86_400]),
        st.booleans(),  # restart before this poll
        st.sampled_from([None, 0.0, 4_000.0, 12_000.0]),  # last hour's spend
    ),
    min_size=1,
    max_size=40,
)


@PROPERTY_SETTINGS
@given(flapping_outcomes, st.sampled_from([0, 2_000]))
def test_any_poll_results_give_one_notification_at_most_and_one_renewal_per_period(
    outcomes: list[tuple[Balance | Problem, int, bool, float | None]], large_spend: int
) -> None:
    rules = AlertSettings(large_spend=large_spend, offline_minutes=0)
    state = AlertState()
    now = T0
    renewed: list[str] = []
    keys: list[str] = []
    for outcome, after, restart, last_hour in outcomes:
        now += after
        if restart:
            state = AlertState.from_json(json.loads(json.dumps(state.to_json())))
        state, shown = evaluate(state, outcome, rules, now, last_hour_spend=last_hour)
        parts = _parts(shown)
        keys += [a.key for a in parts]
        renewed += [a.key for a in parts if a.kind is AlertKind.RESET]
    assert len(renewed) == len(set(renewed)) <= len(FLAP_PERIODS) - 1
    assert len(keys) == len(set(keys))
