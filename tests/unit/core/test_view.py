"""The menu rows and title for every state, read without a display."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from tray_app.core.badge import BadgeKind
from tray_app.core.balance import Balance
from tray_app.core.forecast import runway
from tray_app.core.levels import DEFAULT_THRESHOLDS, Level
from tray_app.core.pause import tomorrow_morning
from tray_app.core.state import MonitorState, PollResult, Problem, advance, with_no_key
from tray_app.core.view import Action, Extras, TrayView, present

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 25, 14, 2, tzinfo=UTC).timestamp()
RESET = int((NOW + 5 * 86400) * 1000)
B = Balance(35050, 30050, 35000, 30000, 50, 50, RESET)


def view(state: MonitorState, extras: Extras | None = None) -> TrayView:
    return present(state, DEFAULT_THRESHOLDS, NOW, extras or Extras(), tz=UTC)


def texts(v: TrayView) -> list[str]:
    return [row.text for row in v.rows if not row.separator]


def fresh(balance: Balance = B) -> MonitorState:
    return advance(MonitorState(), PollResult(NOW - 60, balance=balance))


def test_a_healthy_balance() -> None:
    v = view(fresh())
    assert v.title == "Lensmor: 30,050 of 35,050 credits (86%) · resets in 5 days"
    assert texts(v)[:5] == [
        "30,050 of 35,050 credits (86%)",
        "Subscription: 30,000 of 35,000",
        "Gift: 50 of 50",
        "Resets 30 Nov 2026 (in 5 days)",
        "Updated 14:01",
    ]
    assert v.default_action is Action.REFRESH
    assert v.badge.kind is BadgeKind.LEVEL
    assert v.badge.level is Level.OK
    assert v.badge.text == "30.1k"


def test_actions_are_all_there_in_order() -> None:
    actions = [row.action for row in view(fresh()).rows if row.action]
    assert actions == [
        Action.REFRESH,
        Action.OPEN_DASHBOARD,
        Action.USAGE,
        Action.SETTINGS,
        Action.QUIT,
    ]
    pause = next(r for r in view(fresh()).rows if r.text == "Pause notifications")
    assert [c.action for c in pause.children] == [Action.PAUSE_HOUR, Action.PAUSE_TOMORROW]


def test_low_level_is_in_the_title_and_badge() -> None:
    low = replace(B, total_balance=5000, subscription_balance=4950)
    v = view(fresh(low))
    assert v.title.endswith("· low")
    assert v.badge.level is Level.LOW


def test_no_scheduled_reset() -> None:
    v = view(fresh(replace(B, reset_at_ms=None)))
    assert "No scheduled reset" in texts(v)
    assert "resets" not in v.title


def test_no_key_makes_settings_the_default() -> None:
    v = view(with_no_key(MonitorState(), NOW))
    assert v.default_action is Action.SETTINGS
    assert v.badge.kind is BadgeKind.NO_KEY
    assert "no API key" in v.title
    refresh = next(r for r in v.rows if r.action is Action.REFRESH)
    assert refresh.enabled is False


def test_key_rejected() -> None:
    state = advance(fresh(), PollResult(NOW, problem=Problem.KEY_REJECTED))
    v = view(state)
    assert "Key rejected — set a new key" in texts(v)
    assert v.badge.kind is BadgeKind.KEY_REJECTED
    assert "rejected" in v.title


def test_offline_keeps_the_last_balance_marked_stale() -> None:
    state = advance(fresh(), PollResult(NOW - 300, problem=Problem.OFFLINE))
    state = advance(state, PollResult(NOW, problem=Problem.OFFLINE))
    v = view(state)
    assert "Cannot reach Lensmor since 13:57" in texts(v)
    assert "30,050 of 35,050 credits (86%)" in texts(v)
    assert v.badge.kind is BadgeKind.STALE
    assert v.badge.text == "30.1k"
    assert "Cannot reach Lensmor since 13:57" in v.title


def test_rate_limited_says_when() -> None:
    state = advance(fresh(), PollResult(NOW, problem=Problem.RATE_LIMITED, retry_after=480))
    v = view(state)
    assert "Rate limited, retrying at 14:10" in texts(v)
    assert v.badge.kind is BadgeKind.RATE_LIMITED


@pytest.mark.parametrize(
    ("problem", "words"),
    [(Problem.SERVER, "server error since"), (Problem.BAD_RESPONSE, "Unexpected answer")],
)
def test_other_problems_in_words(problem: Problem, words: str) -> None:
    state = advance(fresh(), PollResult(NOW, problem=problem))
    assert any(words in t for t in texts(view(state)))


def test_starting_up_and_failing_before_any_balance() -> None:
    assert view(MonitorState()).badge.kind is BadgeKind.STARTING
    assert view(MonitorState()).title == "Lensmor: checking your credits…"
    failing = advance(MonitorState(), PollResult(NOW, problem=Problem.OFFLINE))
    assert view(failing).badge.kind is BadgeKind.STALE
    assert view(failing).badge.text == "?"


def test_a_saved_balance_is_shown_as_not_yet_refreshed() -> None:
    saved = MonitorState.from_json(fresh().to_json())
    v = view(saved)
    assert saved.balance == B
    assert v.title.endswith("not yet refreshed")
    assert v.badge.kind is BadgeKind.STALE
    assert "Last known 14:01 · not yet refreshed" in texts(v)


@pytest.mark.parametrize("junk", [None, 3, {"version": 9}, {"version": 1, "balance": {"x": 1}}])
def test_a_corrupt_saved_state_gives_an_empty_state(junk: object) -> None:
    assert MonitorState.from_json(junk) == MonitorState()


def test_extras_rows_and_pause_and_autostart() -> None:
    forecast = runway([(NOW - 3 * 86400, 30_000, 0), (NOW, 21_000, 9_000)], NOW, B.reset_at_s)
    extras = Extras(
        forecast=forecast,
        usage_today=2000,
        usage_30_days=5000.4,
        paused_until=NOW + 3600,
        autostart_enabled=True,
    )
    v = view(fresh(), extras)
    assert forecast.describe() in texts(v)
    assert forecast.describe().startswith("At this pace")
    assert "Usage today: 2,000 · last 30 days: 5,000" in texts(v)
    paused = next(r for r in v.rows if r.text.startswith("Notifications paused until 15:02"))
    assert [c.action for c in paused.children] == [Action.RESUME]
    autostart = next(r for r in v.rows if r.action is Action.TOGGLE_AUTOSTART)
    assert autostart.checked is True
    assert not any(r.action is Action.TOGGLE_AUTOSTART for r in view(fresh()).rows)


def test_tomorrow_morning() -> None:
    assert tomorrow_morning(NOW, UTC) == dt.datetime(2026, 11, 26, 8, tzinfo=UTC).timestamp()


def test_every_title_is_latin1_safe_after_the_xorg_fallbacks() -> None:
    # pystray's xorg backend can only set Latin-1 titles (see tray/xorg_quirks.py latin1_title).
    from tray_app.tray.xorg_quirks import _LATIN1_FALLBACKS

    states = [
        fresh(),
        with_no_key(MonitorState(), NOW),
        advance(fresh(), PollResult(NOW, problem=Problem.KEY_REJECTED)),
        advance(fresh(), PollResult(NOW, problem=Problem.OFFLINE)),
        MonitorState(),
    ]
    for state in states:
        text = view(state).title
        for fancy, plain in _LATIN1_FALLBACKS.items():
            text = text.replace(fancy, plain)
        # A character beyond Latin-1 would still break the xorg icon's title.
        assert [c for c in text if ord(c) > 0xFF] == [], text


def test_each_problem_is_worded_by_core_errors_in_menu_and_title() -> None:
    from tray_app.core import errors

    for problem in (Problem.OFFLINE, Problem.SERVER, Problem.BAD_RESPONSE):
        v = view(advance(fresh(), PollResult(NOW, problem=problem)))
        label = errors.LABEL[problem]
        assert f"{label} since 14:02" in texts(v)
        assert label in v.title


def test_recent_alerts_list_the_last_five_with_their_times() -> None:
    assert "Recent alerts" not in texts(view(fresh()))  # none yet: no row
    earlier = NOW - 86_400 - 3_600  # 24 Nov 13:02
    recent = ((NOW - 120, "Lensmor credits low"), (earlier, "Lensmor credits renewed"))
    recent += tuple((earlier - n, f"older {n}") for n in range(1, 6))
    v = view(fresh(), Extras(recent_alerts=recent))
    [row] = [r for r in v.rows if r.text == "Recent alerts"]
    assert [child.text for child in row.children] == [
        "14:00  Lensmor credits low",
        "24 Nov 13:02  Lensmor credits renewed",
        "24 Nov 13:01  older 1",
        "24 Nov 13:01  older 2",
        "24 Nov 13:01  older 3",
    ]
    assert all(child.action is None for child in row.children)
    # The actions stay where they were, below the information rows.
    assert texts(v).index("Recent alerts") < texts(v).index("Refresh now")
