"""Every branch of the pacing decision, with an injected clock and jitter."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tray_app.core.balance import Balance
from tray_app.core.pacing import DEMO, PRODUCTION, next_poll
from tray_app.core.state import MonitorState, PollResult, Problem, advance

NOW = 1_800_000_000.0
B = Balance(35050, 30050, 35000, 30000, 50, 50, int((NOW + 10 * 86400) * 1000))


def ok_state(**changes: object) -> MonitorState:
    state = advance(MonitorState(), PollResult(NOW - 1000, balance=B))
    return replace(state, **changes)  # type: ignore[arg-type]


def test_steady_balance_uses_the_configured_interval() -> None:
    plan = next_poll(ok_state(), 300, NOW, 0.5)
    assert plan.delay == 300
    assert plan.reason == "regular interval"


def test_the_interval_never_goes_below_the_minimum() -> None:
    assert next_poll(ok_state(), 5, NOW, 0.5).delay == 30


def test_a_recent_change_polls_every_minute_for_ten_minutes() -> None:
    state = ok_state(last_change_at=NOW - 120)
    assert next_poll(state, 300, NOW, 0.5).delay == 60
    assert next_poll(ok_state(last_change_at=NOW - 601), 300, NOW, 0.5).delay == 300
    # A configured interval shorter than the active one stays as configured.
    assert next_poll(state, 45, NOW, 0.5).delay == 45


def test_a_change_between_polls_sets_last_change_at() -> None:
    state = advance(ok_state(), PollResult(NOW, balance=replace(B, total_balance=28050)))
    assert state.last_change_at == NOW
    same = advance(state, PollResult(NOW + 60, balance=replace(B, total_balance=28050)))
    assert same.last_change_at == NOW


def test_polls_just_after_the_reset() -> None:
    reset_in = 100.0
    balance = replace(B, reset_at_ms=int((NOW + reset_in) * 1000))
    state = ok_state(balance=balance)
    plan = next_poll(state, 300, NOW, 0.5)
    assert plan.delay == pytest.approx(reset_in + 5)
    assert plan.reason == "just after the reset"


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [(1, 15, 30), (2, 30, 60), (3, 60, 120), (6, 480, 960), (7, 900, 1800), (40, 900, 1800)],
)
def test_errors_back_off_exponentially_with_jitter_and_a_cap(
    failures: int, low: float, high: float
) -> None:
    state = ok_state(problem=Problem.OFFLINE, consecutive_failures=failures)
    assert next_poll(state, 300, NOW, 0.0).delay == pytest.approx(low)
    assert next_poll(state, 300, NOW, 0.999999).delay == pytest.approx(high, rel=1e-5)


@pytest.mark.parametrize("problem", [Problem.SERVER, Problem.BAD_RESPONSE, Problem.OFFLINE])
def test_every_transient_problem_backs_off(problem: Problem) -> None:
    state = ok_state(problem=problem, consecutive_failures=3)
    delay = next_poll(state, 300, NOW, 0.5).delay
    assert delay is not None
    assert 60 <= delay <= 120


def test_repeated_429s_never_wait_less_than_asked_but_back_off() -> None:
    state = ok_state()
    waits = []
    for _ in range(6):
        state = advance(state, PollResult(NOW, problem=Problem.RATE_LIMITED, retry_after=2.0))
        delay = next_poll(state, 300, NOW, 0.5).delay
        assert delay is not None
        waits.append(delay)
    assert waits == [2, 30, 60, 120, 240, 480]
    long_ask = advance(state, PollResult(NOW, problem=Problem.RATE_LIMITED, retry_after=5000))
    assert next_poll(long_ask, 300, NOW, 0.5).delay == 5000  # the server's word is a floor


def test_429_waits_exactly_retry_after() -> None:
    state = advance(ok_state(), PollResult(NOW, problem=Problem.RATE_LIMITED, retry_after=137.0))
    assert state.retry_at == NOW + 137
    assert next_poll(state, 300, NOW, 0.9).delay == 137
    assert next_poll(state, 300, NOW + 100, 0.1).delay == 37


@pytest.mark.parametrize("problem", [Problem.KEY_REJECTED, Problem.NO_KEY])
def test_no_polling_while_the_key_is_missing_or_rejected(problem: Problem) -> None:
    plan = next_poll(ok_state(problem=problem), 300, NOW, 0.5)
    assert plan.delay is None


@pytest.mark.parametrize(
    ("remaining", "factor"), [(119, 1), (30, 1), (29, 2), (12, 2), (11, 4), (3, 4)]
)
def test_a_low_rate_limit_bucket_slows_down(remaining: int, factor: int) -> None:
    state = ok_state(rate_limit_limit=120, rate_limit_remaining=remaining)
    assert next_poll(state, 300, NOW, 0.5).delay == 300 * factor


def test_a_nearly_empty_bucket_waits_for_its_reset() -> None:
    state = ok_state(rate_limit_limit=120, rate_limit_remaining=1, rate_limit_reset=NOW + 2000)
    assert next_poll(state, 300, NOW, 0.5).delay == 2001


def test_the_demo_profile_is_faster_but_keeps_the_same_rules() -> None:
    state = ok_state(last_change_at=NOW - 1)
    demo = next_poll(state, 5, NOW, 0.5, DEMO).delay
    production = next_poll(state, 5, NOW, 0.5, PRODUCTION).delay
    assert demo is not None
    assert production is not None
    assert demo < production
    assert next_poll(ok_state(problem=Problem.KEY_REJECTED), 5, NOW, 0.5, DEMO).delay is None


def test_failures_reset_after_a_success() -> None:
    failing = advance(ok_state(), PollResult(NOW, problem=Problem.OFFLINE))
    failing = advance(failing, PollResult(NOW + 30, problem=Problem.OFFLINE))
    assert failing.consecutive_failures == 2
    assert failing.problem_since == NOW
    assert failing.balance == B  # the last good balance stays
    assert failing.is_stale
    recovered = advance(failing, PollResult(NOW + 90, balance=B))
    assert recovered.consecutive_failures == 0
    assert recovered.problem is None
    assert not recovered.is_stale


def test_refresh_waits_only_for_a_pending_retry_after() -> None:
    from tray_app.core.pacing import refresh_delay

    limited = advance(ok_state(), PollResult(NOW, problem=Problem.RATE_LIMITED, retry_after=90))
    assert refresh_delay(limited, NOW + 30) == 60
    assert refresh_delay(limited, NOW + 100) == 0
    offline = advance(ok_state(), PollResult(NOW, problem=Problem.OFFLINE))
    assert refresh_delay(offline, NOW) == 0  # a user may always retry a network failure
    assert refresh_delay(ok_state(), NOW) == 0
