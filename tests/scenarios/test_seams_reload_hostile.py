"""Issue 18, the hostile sweep of reloads: a SIGHUP while the tray is starting, a signal
storm, a config that became invalid, an account renamed by hand, and the Settings window's
exit code.

Most tests run the real `lensmor-tray run` headless (no display: app/tray_app.py's headless
tray) against the simulated API on loopback; the in-process ones build a real TrayApp with a
headless tray.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.conftest import Home
from tests.scenarios.reload_rig import (
    HOME_KEY,
    WORK_KEY,
    _paths,
    fixture_server,  # noqa: F401 (the `server` fixture)
    names_running,
    reloads_logged,
    requests_of,
    running_app,
    store_key,
    tray_process,
    write_config,
)
from tests.support.waiting import poll_until
from tray_app.core.view import Action
from tray_app.demo.server import SimulatedLensmorServer

# -- 5. the hostile sweep ----------------------------------------------------------------------


def test_a_sighup_while_the_tray_is_starting_does_not_end_it(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # `key set` or `account add` right after login: the tray has its lock (and its PID in the
    # lock file) but is still starting. SIGHUP's default action would end it.
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    lock = _paths(home).lock_file
    with tray_process(home) as tray:

        def locked() -> bool:
            return lock.exists() and lock.read_text().strip() == str(tray.pid)

        tray.wait_for(locked, 30, "the instance lock")
        tray.send(signal.SIGHUP)
        tray.wait_started()
        tray.wait_for(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        tray.wait_for(lambda: reloads_logged(tray.log()), 20, "the reload asked for")
        assert tray.proc.poll() is None


def test_a_sighup_storm_costs_at_most_two_reloads_and_the_tray_still_quits(
    home: Home, server: SimulatedLensmorServer
) -> None:
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    with tray_process(home) as tray:
        tray.wait_started()
        tray.wait_for(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        write_config(home, server, ["Work", "Home"])
        store_key(home, "Home", HOME_KEY)
        for index in range(200):
            tray.send(signal.SIGUSR1 if index % 10 == 0 else signal.SIGHUP)
        tray.wait_for(lambda: requests_of(server, "Home"), 20, "Home's first poll")
        time.sleep(2.0)
        reloads = reloads_logged(tray.log())
        assert 1 <= len(reloads) <= 3, reloads
        assert sum(" 1 added" in line for line in reloads) == 1
        assert tray.proc.poll() is None
        began = time.monotonic()
        tray.stop()
        assert time.monotonic() - began < 10


def test_a_config_that_became_invalid_is_not_reloaded_and_the_tray_says_so(
    home: Home, server: SimulatedLensmorServer
) -> None:
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    with tray_process(home) as tray:
        tray.wait_started()
        tray.wait_for(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        home.config_file.write_text(home.config_file.read_text() + "poll_interval = 'soon'\n")
        tray.send(signal.SIGHUP)
        # Said where a person sees it: a notification (the log backend here, no desktop).
        tray.wait_for(lambda: "[config-invalid]" in tray.log(), 20, "the notification")
        polled = len(requests_of(server, "Work"))
        tray.send(signal.SIGUSR1)
        tray.wait_for(lambda: len(requests_of(server, "Work")) > polled, 10, "a refresh")
        assert tray.proc.poll() is None
        err = tray.stop()
    assert "config not reloaded, still using the previous one" in err
    assert "poll_interval" in err
    assert err.count("config not reloaded") == 1


def test_an_account_renamed_by_hand_while_the_tray_runs_is_followed(
    home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    waybar = tmp_path / "waybar.json"
    feeds = f'[integrations]\nwaybar_file = "{waybar}"\n\n'
    write_config(home, server, ["Work", "Home"], feeds)
    store_key(home, "Work", WORK_KEY)
    store_key(home, "Home", HOME_KEY)
    with running_app(home, monkeypatch) as app:
        poll_until(lambda: waybar.exists() and "Home" in waybar.read_text(), 20, "Home in the feed")
        write_config(home, server, ["Work", "Family"], feeds)
        store_key(home, "Family", HOME_KEY)
        assert app.reload()
        assert names_running(app) == ["Work", "Family"]
        poll_until(lambda: "Family" in waybar.read_text(), 20, "Family in the feed")
        assert "Home" not in waybar.read_text()


def test_the_settings_window_reloads_whatever_its_exit_code(
    home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Accounts list saves at once; a window that then fails or is closed otherwise must
    # not leave the tray on the old accounts. (No display here: the window exits with 2.)
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    with running_app(home, monkeypatch) as app:
        write_config(home, server, ["Work", "Home"])
        store_key(home, "Home", HOME_KEY)
        app._on_action(Action.SETTINGS)  # the menu's Settings… row
        poll_until(lambda: names_running(app) == ["Work", "Home"], 60, "the reload")
        poll_until(lambda: requests_of(server, "Home"), 20, "Home polled")


def test_a_config_not_reloaded_is_logged_in_english_and_said_in_german(
    home: Home, server: SimulatedLensmorServer
) -> None:
    home.env["LANG"] = "de_DE.UTF-8"
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    with tray_process(home) as tray:
        tray.wait_started()
        tray.wait_for(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        home.config_file.write_text(home.config_file.read_text() + "poll_interval = 'soon'\n")
        tray.send(signal.SIGHUP)
        tray.wait_for(lambda: "[config-invalid]" in tray.log(), 20, "the notification")
        log = tray.log()
        err = tray.stop()
    # The log stays English for whoever reads it later; the person at the terminal reads German.
    [logged] = [line for line in log.splitlines() if "config not reloaded, still using" in line]
    assert "unknown key 'accounts[0].poll_interval'" in logged
    assert "unbekannter" not in logged
    assert "Konfiguration nicht neu geladen, die bisherige gilt weiter: " in err
    assert "unbekannter Schlüssel 'accounts[0].poll_interval'" in err
