"""core/hook_events.py: which alert kind is which hook event, the lines a threshold event
crossed, and the JSON a hook reads (checked against docs/hook-event.schema.json)."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from tests.support.hook_recorder import SCHEMA
from tray_app.config.model import AlertSettings
from tray_app.core.alerts import AlertKind, AlertState, evaluate_events
from tray_app.core.balance import Balance
from tray_app.core.hook_events import EVENT_NAMES, HookEvent, event_of, hook_events
from tray_app.core.levels import DEFAULT_THRESHOLDS, Level

NOW = 1_800_000_000.0


def _balance(left: float, total: float = 10_000) -> Balance:
    return Balance(total, left, total, left, 0, 0, int((NOW + 10 * 86400) * 1000))


def test_every_event_name_is_one_alert_kind_and_the_rest_run_no_hook() -> None:
    named = {kind: event_of(kind) for kind in AlertKind}
    assert sorted(name for name in named.values() if name) == sorted(EVENT_NAMES)
    assert {kind for kind, name in named.items() if name is None} == {
        AlertKind.LARGE_SPEND,
        AlertKind.RUNWAY,
        AlertKind.PAUSE_SUMMARY,
    }


def test_a_crossing_of_two_lines_is_one_event_naming_both() -> None:
    settings = AlertSettings()
    state, _ = evaluate_events(AlertState(), _balance(9_000), settings, NOW)[:2]
    after, notify, events = evaluate_events(state, _balance(300), settings, NOW + 300)
    [event] = hook_events(
        events, state, after, account="W", balance=_balance(300),
        thresholds=DEFAULT_THRESHOLDS, now=NOW + 300,
    )  # fmt: skip
    assert event.event == "critical"
    assert event.thresholds == ("20%", "5%")
    assert event.level is Level.CRITICAL
    assert event.title == notify[0].title


def test_events_reach_hooks_while_notifications_are_off_or_paused() -> None:
    off = AlertSettings(notifications=False)
    state = evaluate_events(AlertState(), _balance(9_000), off, NOW)[0]
    state, notify, events = evaluate_events(state, _balance(1_000), off, NOW + 60)
    assert notify == []
    assert [e.kind for e in events] == [AlertKind.LOW]
    paused = AlertState(pause_until=NOW + 3600)
    state = evaluate_events(paused, _balance(9_000), AlertSettings(), NOW)[0]
    state, notify, events = evaluate_events(state, _balance(0), AlertSettings(), NOW + 60)
    assert notify == []
    assert [e.kind for e in events] == [AlertKind.DEPLETED]
    assert len(state.suppressed) == 1  # the desktop still gets its summary later


def test_the_payload_fits_the_published_schema() -> None:
    event = HookEvent(
        "low", "Work", "k", "T", "x", NOW + 0.25, _balance(1_500), Level.LOW, ("20%",)
    )
    payload = event.payload()
    Draft202012Validator(SCHEMA).validate(payload)
    assert payload["time"] == "2027-01-15T08:00:00Z"
    assert payload["timeMs"] == 1_800_000_000_250
    empty = HookEvent("unreachable", "W", "k", "T", "", NOW, None, None)
    Draft202012Validator(SCHEMA).validate(empty.payload())
