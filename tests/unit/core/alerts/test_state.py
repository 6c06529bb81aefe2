"""The alert state on disk: round trip through JSON, and what a corrupt, missing or
unreadable field becomes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.unit.core.alerts.driver import NOW, Driver, acct
from tray_app.core.alerts import AlertState, pause, resume
from tray_app.core.forecast import DAY_S
from tray_app.core.state import Problem


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
