"""When a view changes by time alone (core/view_clock.py, issue 20): the tray is re-presented
then, not on a fixed tick. Each case checks the claim against the presenter itself: the view
at any moment before the time given is the view now, and just after it is not."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tray_app.core import fmt
from tray_app.core.balance import Balance
from tray_app.core.levels import DEFAULT_THRESHOLDS
from tray_app.core.state import MonitorState, PollResult, Problem, advance
from tray_app.core.view import AccountSnapshot, Extras, TrayView, present
from tray_app.core.view_clock import changes_at

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 25, 14, 2, 30, tzinfo=UTC).timestamp()
INTERVAL = 300.0


def balance(reset_in: float | None) -> Balance:
    reset_ms = None if reset_in is None else int((NOW + reset_in) * 1000)
    return Balance(35050, 30050, 35000, 30000, 50, 50, reset_ms)


def snapshot(
    state: MonitorState, extras: Extras | None = None, now: float = NOW
) -> AccountSnapshot:
    extras = extras or Extras(poll_interval=INTERVAL)
    return AccountSnapshot("default", state, DEFAULT_THRESHOLDS, now, extras)


def view_at(s: AccountSnapshot, at: float) -> TrayView:
    return present(s.state, s.thresholds, at, s.extras, tz=UTC)


def fetched(at: float, reset_in: float | None = 5 * 86400 + 7) -> MonitorState:
    return advance(MonitorState(), PollResult(at, balance=balance(reset_in)))


def assert_changes_exactly_at(s: AccountSnapshot) -> float:
    when = changes_at(s, UTC)
    assert when is not None
    assert when > s.now
    now_view = view_at(s, s.now)
    for fraction in (0.25, 0.5, 0.9):
        assert view_at(s, s.now + fraction * (when - s.now - 0.01)) == now_view
    assert view_at(s, when - 0.01) == now_view
    assert view_at(s, when + 0.01) != now_view
    return when


def test_a_fresh_balance_changes_when_it_becomes_outdated_or_the_reset_countdown_ticks() -> None:
    s = snapshot(fetched(NOW - 60))
    when = assert_changes_exactly_at(s)
    # "resets in 5 days" changes in about half a day; outdated after two intervals: sooner.
    assert when == pytest.approx(NOW - 60 + 2 * INTERVAL, abs=0.01)


def test_an_outdated_balance_changes_when_its_written_age_does() -> None:
    s = snapshot(fetched(NOW - 3 * 3600 - 20 * 60))  # "3 h" old
    when = assert_changes_exactly_at(s)
    assert when == pytest.approx(NOW + 40 * 60, abs=0.01)  # when it is "4 h" old


@pytest.mark.parametrize("reset_in", [45.5, 59 * 60 + 1, 3 * 3600 + 17, 47 * 3600 + 5, 9 * 86400])
def test_the_reset_countdown_is_followed_in_its_own_units(reset_in: float) -> None:
    state = fetched(NOW, reset_in=reset_in)
    s = snapshot(state, Extras(poll_interval=None))  # only the countdown depends on time
    assert_changes_exactly_at(s)


def test_the_reset_moment_itself_is_a_change() -> None:
    s = snapshot(fetched(NOW, reset_in=0.5), Extras(poll_interval=None))
    assert changes_at(s, UTC) == pytest.approx(NOW + 0.5, abs=0.01)
    assert "Reset due" in " ".join(r.text for r in view_at(s, NOW + 0.6).rows)


def test_a_pause_changes_when_it_ends() -> None:
    s = snapshot(fetched(NOW, reset_in=None), Extras(paused_until=NOW + 1800))
    assert assert_changes_exactly_at(s) == pytest.approx(NOW + 1800, abs=0.01)


def test_todays_recent_alerts_change_at_midnight_and_older_ones_never() -> None:
    today = Extras(recent_alerts=((NOW - 60, "Lensmor credits low"),))
    midnight = dt.datetime(2026, 11, 26, tzinfo=UTC).timestamp()
    s = snapshot(fetched(NOW, reset_in=None), today)
    assert assert_changes_exactly_at(s) == midnight
    older = Extras(recent_alerts=((NOW - 86400, "Lensmor credits low"),))
    assert changes_at(snapshot(fetched(NOW, reset_in=None), older), UTC) is None


def test_a_problem_of_unknown_start_says_since_now_and_changes_each_minute() -> None:
    state = MonitorState(problem=Problem.OFFLINE)
    s = snapshot(state, Extras(poll_interval=None))
    assert assert_changes_exactly_at(s) == (NOW // 60 + 1) * 60


def test_nothing_that_depends_on_time_means_no_timer() -> None:
    assert changes_at(snapshot(fetched(NOW, reset_in=None), Extras()), UTC) is None
    assert changes_at(snapshot(MonitorState(), Extras(poll_interval=INTERVAL)), UTC) is None


def test_random_views_never_change_before_the_time_given() -> None:
    rng = random.Random(20)
    for _ in range(300):
        age = rng.choice([5.0, rng.uniform(0, 4 * INTERVAL), rng.uniform(0, 5 * 86400)])
        reset_in = rng.choice([None, rng.uniform(1, 40 * 86400), rng.uniform(1, 7200)])
        paused = rng.choice([None, NOW + rng.uniform(1, 86400)])
        state = fetched(NOW - age, reset_in)
        s = snapshot(state, Extras(poll_interval=INTERVAL, paused_until=paused))
        assert_changes_exactly_at(s)


@pytest.mark.parametrize("down", [True, False])
def test_duration_changes_exactly_where_the_written_duration_does(down: bool) -> None:
    rng = random.Random(7)
    edges = [0.0, 59.5, 60, 3599.9, 3600, 7199, 2 * 86400 - 0.5, 2 * 86400, 2.5 * 86400]
    for seconds in edges + [rng.uniform(0, 60 * 86400) for _ in range(3000)]:
        step = -1 if down else 1
        delay = fmt.duration_changes_in(seconds, counting_down=down)
        if down and seconds < 1:
            continue  # "0 s" never changes counting down; the reset itself is the change
        assert delay > 0
        text = fmt.duration(seconds)
        assert fmt.duration(seconds + step * max(delay - 0.01, 0)) == text
        assert fmt.duration(seconds + step * (delay + 1e-6)) != text
