"""Table tests for notifications off and pause/resume
(see the docstring of tray_app/core/alerts/__init__.py).
"""

from __future__ import annotations

from tests.unit.core.alerts.driver import HOUR, PERIOD_MS, RESET_MS, SUB, Driver, K, acct
from tray_app.config.model import AlertSettings
from tray_app.core.alerts import MAX_SUPPRESSED, Severity, pause, resume
from tray_app.core.forecast import DAY_S
from tray_app.core.state import Problem


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
