"""Table tests for the key-rejected and outage rules
(see the docstring of tray_app/core/alerts/__init__.py).
"""

from __future__ import annotations

import pytest

from tests.unit.core.alerts.driver import HOUR, Driver, K, acct
from tray_app.config.model import AlertSettings
from tray_app.core.alerts import Alert, Severity
from tray_app.core.state import Problem


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
