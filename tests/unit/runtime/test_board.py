"""The tray board tells the scheduler when its view next changes by time alone (issue 20):
the earliest of every shown account's moments, newest snapshots first."""

from __future__ import annotations

import datetime as dt

from tray_app.core.balance import Balance
from tray_app.core.levels import DEFAULT_THRESHOLDS
from tray_app.core.state import STALE_AFTER_INTERVALS, MonitorState, PollResult, advance
from tray_app.core.view import AccountSnapshot, Extras, TrayView
from tray_app.core.view_clock import changes_at
from tray_app.runtime.board import TrayBoard

NOW = dt.datetime(2026, 11, 25, 14, 2, tzinfo=dt.timezone.utc).timestamp()


class Screen:
    def __init__(self) -> None:
        self.shown: list[TrayView] = []

    def show(self, view: TrayView) -> None:
        self.shown.append(view)


def snap(name: str, fetched_ago: float, interval: float, seq: int = 1) -> AccountSnapshot:
    state = advance(
        MonitorState(), PollResult(NOW - fetched_ago, balance=Balance(100, 90, 100, 90, 0, 0, None))
    )
    extras = Extras(poll_interval=interval)
    return AccountSnapshot(name, state, DEFAULT_THRESHOLDS, NOW, extras, seq=seq)


def test_the_view_timer_gets_the_earliest_change_of_every_account() -> None:
    planned: list[float | None] = []
    board = TrayBoard(Screen(), ["Work", "Home"])
    board.set_view_timer(planned.append)
    work, home = snap("Work", 0, 300), snap("Home", 0, 60)
    board.slot("Work").show(work)
    assert planned == [changes_at(work)]
    assert planned[-1] == NOW + STALE_AFTER_INTERVALS * 300 + 1e-3
    board.slot("Home").show(home)  # outdated sooner: its moment wins
    assert planned[-1] == changes_at(home) == NOW + STALE_AFTER_INTERVALS * 60 + 1e-3
    board.set_accounts(["Work"], None)  # Home removed: back to Work's moment
    assert planned[-1] == changes_at(work)


def test_an_older_snapshot_arriving_late_does_not_plan_over_a_newer_one() -> None:
    planned: list[float | None] = []
    board = TrayBoard(Screen(), ["Work"])
    board.set_view_timer(planned.append)
    slot = board.slot("Work")
    slot.show(snap("Work", 0, 60, seq=2))
    slot.show(snap("Work", 0, 3600, seq=1))  # made before, arriving after: ignored
    assert planned == [NOW + STALE_AFTER_INTERVALS * 60 + 1e-3]


def test_no_timer_is_needed_when_nothing_depends_on_time() -> None:
    planned: list[float | None] = []
    board = TrayBoard(Screen(), ["Work"])
    board.set_view_timer(planned.append)
    state = MonitorState()  # nothing known yet: "Checking…" never changes by itself
    board.slot("Work").show(AccountSnapshot("Work", state, DEFAULT_THRESHOLDS, NOW, Extras()))
    assert planned == [None]
