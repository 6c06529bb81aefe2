"""The accounts are built once the tray's loop is up (app/tray_app.py `_start_behind_the_icon`),
so that pystray's icon shows before requests, APScheduler and the history files are loaded
(issue 20). What that order must not break: a quit while they are built, a build that fails,
a menu click that comes before them. A real TrayApp in this process with the headless tray,
against the simulated API.
"""

from __future__ import annotations

import threading

import pytest

from tests.conftest import Home
from tests.scenarios.reload_rig import (
    WORK_KEY,
    fixture_server,  # noqa: F401 (the `server` fixture)
    in_process_app,
    names_running,
    requests_of,
    store_key,
    write_config,
)
from tests.support.waiting import poll_until
from tray_app.app.tray_app import TrayApp
from tray_app.core.view import Action
from tray_app.demo.server import SimulatedLensmorServer


@pytest.fixture
def app(home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch) -> TrayApp:
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    return in_process_app(home, monkeypatch)


def test_the_accounts_are_built_and_polled_once_the_loop_is_up(
    app: TrayApp, server: SimulatedLensmorServer
) -> None:
    app._open_tray()
    assert app.board is None  # the icon alone: nothing behind it yet
    app._start_behind_the_icon()
    try:
        assert names_running(app) == ["Work"]
        poll_until(lambda: requests_of(server, "Work") or None, 20, "Work's first poll")
    finally:
        app.quit()
        app._shutdown()


def test_a_quit_while_the_accounts_are_built_starts_nothing(
    app: TrayApp, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    building, go_on = threading.Event(), threading.Event()
    build = app._build_accounts

    def slow_build() -> None:
        building.set()
        go_on.wait(10)
        build()

    started: list[bool] = []
    monkeypatch.setattr(app, "_build_accounts", slow_build)
    monkeypatch.setattr(app, "_started", lambda: started.append(True))
    app._open_tray()
    behind = threading.Thread(target=app._start_behind_the_icon)
    behind.start()
    assert building.wait(10)
    app.quit()  # Quit in the menu, or SIGTERM, while the accounts are being built
    assert not app._built.is_set()  # `run` waits for this before it shuts down
    go_on.set()
    behind.join(10)
    assert app._built.is_set()
    app._shutdown()
    assert started == []  # no poll started: the app was quitting
    assert requests_of(server, "Work") == []


def test_a_build_that_fails_ends_the_loop_and_is_raised_by_run(
    app: TrayApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(app, "_build_accounts", broken)
    tray = app._open_tray()
    tray.run(app._start_behind_the_icon)  # the headless loop: returns once the app quits
    assert app._quit.is_set()
    assert isinstance(app._start_error, OSError)
    assert app._built.is_set()


def test_a_menu_click_before_the_accounts_exist_is_ignored(
    app: TrayApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app._open_tray()
    opened: list[str] = []
    monkeypatch.setattr(app._windows, "open_settings", lambda: opened.append("settings"))
    for action in (Action.REFRESH, Action.SETTINGS, Action.TOGGLE_AUTOSTART, Action.RESUME):
        app._on_action(action)  # none raises with no board, scheduler or autostart yet
    assert opened == []
    app._on_action(Action.QUIT)
    assert app._quit.is_set()
