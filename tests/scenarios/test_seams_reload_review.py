"""Issue 18, review findings on reloads: the tray starts and quits on an OS without SIGHUP,
SIGUSR1 or os.set_blocking; a signal right after the instance lock is taken; removing the
only account that polled empties the feeds; a build that fails for one added account leaks
nothing; a pin while another process holds the config lock returns at once.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Home
from tests.scenarios.reload_rig import (
    HOME_KEY,
    WORK_KEY,
    WRONG_KEY,
    fixture_server,  # noqa: F401 (the `server` fixture)
    in_process_app,
    names_running,
    reloads_logged,
    requests_of,
    running_app,
    store_key,
    total_balances,
    tray_process,
    write_config,
)
from tests.support.waiting import poll_until
from tray_app.app.reload import AccountRuntime, Credentials
from tray_app.config.model import Settings
from tray_app.core.balance import Balance
from tray_app.core.state import MonitorState
from tray_app.demo.server import SimulatedLensmorServer

# -- 6. review findings: start, feeds, a failed build, the pin ---------------------------------


def test_the_tray_runs_and_quits_on_an_os_without_sighup_sigusr1_or_set_blocking(
    home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows: neither signal, and before Python 3.12 no os.set_blocking (the SignalInbox's
    # pipe needs it). The tray crashed at start there.
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    app = in_process_app(home, monkeypatch)
    for name in ("SIGHUP", "SIGUSR1"):
        monkeypatch.delattr(signal, name)
    monkeypatch.delattr(os, "set_blocking")
    done = threading.Event()

    def quit_once_polled() -> None:
        deadline = time.monotonic() + 30
        while not done.is_set() and time.monotonic() < deadline:
            if requests_of(server, "Work"):
                break
            time.sleep(0.1)
        app.quit()

    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    quitter = threading.Thread(target=quit_once_polled, daemon=True)
    quitter.start()
    try:
        assert app.run() == 0  # runs the main loop here: the headless tray until quit()
    finally:
        done.set()
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert requests_of(server, "Work")  # it ran: polled before it was asked to quit
    assert app._signals is None


SIGNALLED_RIGHT_AFTER_THE_LOCK = """
import os, signal, sys
import tray_app.app.tray_app
from tray_app.entry import main

claim = tray_app.app.tray_app.claim_at_start

def claim_then_signalled(*args):
    notice = claim(*args)
    # As soon as the lock file has this PID: `key set` (SIGHUP), a second start (SIGUSR1).
    os.kill(os.getpid(), signal.SIGHUP)
    os.kill(os.getpid(), signal.SIGUSR1)
    return notice

tray_app.app.tray_app.claim_at_start = claim_then_signalled
raise SystemExit(main(sys.argv[1:]))
"""


def test_a_sighup_right_after_the_lock_is_taken_does_not_end_the_tray(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # Before: only SIGUSR1 was ignored between taking the lock (which writes the PID that
    # `ask_to_reload` signals) and installing the handlers; SIGHUP's default action ended it.
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    with tray_process(home, ("-c", SIGNALLED_RIGHT_AFTER_THE_LOCK)) as tray:
        tray.wait_started()
        tray.wait_for(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        tray.wait_for(lambda: reloads_logged(tray.log()), 20, "the reload asked for")
        assert tray.proc.poll() is None


def test_removing_the_only_account_that_polled_empties_the_feeds(tmp_path: Path) -> None:
    # Work has polled, Home not yet; a reload removes Work. Before: nothing was written (no
    # account had a snapshot), and Work's series and waybar line stayed in the files.
    from tray_app.config.model import IntegrationSettings, Settings
    from tray_app.core.state import PollResult, advance
    from tray_app.runtime.feeds import FeedWriter

    prom, waybar = tmp_path / "lensmor.prom", tmp_path / "waybar.json"
    settings = Settings(integrations=IntegrationSettings(prom, waybar))
    writer = FeedWriter(["Work", "Home"])
    polled = advance(
        MonitorState(),
        PollResult(1_767_225_600.0, balance=Balance(10_000, 400, 10_000, 400, 0, 0, None)),
    )
    writer.for_account("Work").publish(polled, settings, 1_767_225_600.0)
    assert total_balances(prom) == [400.0]
    writer.set_accounts(["Home"], settings)
    assert "Work" not in prom.read_text()
    samples = [s for f in text_string_to_metric_families(prom.read_text()) for s in f.samples]
    assert samples == []  # no series: only the HELP and TYPE lines
    assert json.loads(waybar.read_text()) == {"text": ""}  # waybar hides the module


def test_a_build_that_fails_for_the_second_added_account_leaks_nothing(
    home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    store_key(home, "Home", HOME_KEY)
    store_key(home, "Extra", HOME_KEY)
    with running_app(home, monkeypatch) as app:
        poll_until(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        work = app.accounts.all()[0]
        wiring = work.wiring
        built: dict[str, list[AccountRuntime]] = {}
        failing = threading.Event()
        failing.set()

        def build(name: str, settings: Settings, credentials: Credentials | None) -> AccountRuntime:
            if name == "Extra" and failing.is_set():
                raise RuntimeError("a build that fails (injected)")
            runtime = app._build_account(name, settings, credentials)
            built.setdefault(name, []).append(runtime)
            return runtime

        monkeypatch.setattr(app.accounts, "_build", build)
        # Home and Extra added, Work's key changed.
        write_config(home, server, ["Work", "Home", "Extra"])
        store_key(home, "Work", WRONG_KEY)
        assert app.reload()
        assert names_running(app) == ["Work"]
        assert app.accounts.all()[0].wiring is wiring  # Work left alone: not reconfigured
        (home_runtime,) = built["Home"]
        with pytest.raises(sqlite3.ProgrammingError):  # its history store was closed
            home_runtime.store._conn.execute("SELECT 1")
        time.sleep(1.0)
        assert requests_of(server, "Home") == []  # and it never polled
        # The next reload (the failure gone) builds each added account once.
        failing.clear()
        assert app.reload()
        assert names_running(app) == ["Work", "Home", "Extra"]
        assert len(built["Home"]) == 2
        assert app.accounts.all()[0].wiring != wiring
        poll_until(lambda: len(requests_of(server, "Home")) >= 2, 20, "Home and Extra polled")


HOLD_THE_CONFIG_LOCK = """
import sys
from filelock import FileLock

lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.read()  # until the test closes our stdin
lock.release()
"""


def test_a_pin_while_another_process_holds_the_config_lock_returns_at_once(
    home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pin is a menu click, on the tray's UI thread; a CLI `account add` waiting on a
    # keyring holds the config lock for up to 30 s. Before: the menu froze until then.
    from tray_app.config.config_file import lock_file_for
    from tray_app.config.loading import load_settings

    write_config(home, server, ["Work", "Home"])
    store_key(home, "Work", WORK_KEY)
    store_key(home, "Home", HOME_KEY)
    config = home.config_file
    with running_app(home, monkeypatch) as app:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_THE_CONFIG_LOCK, str(lock_file_for(config))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None
        assert holder.stdin is not None
        try:
            assert holder.stdout.readline().strip() == "held"
            click = threading.Thread(target=lambda: app._pin("Home"), daemon=True)
            started = time.monotonic()
            click.start()
            click.join(5.0)
            assert not click.is_alive(), "the pin waited for the config lock"
            assert time.monotonic() - started < 2.0
            assert app.board is not None
            assert app.board.badge_account() == "Home"  # shown at once
            assert load_settings(config).badge_account is None  # not written yet: locked
        finally:
            holder.stdin.close()
            holder.wait(10)
            holder.stdout.close()
        poll_until(
            lambda: load_settings(config).badge_account == "Home", 20, "the pin in the config"
        )
        click.join(40)  # before the fix, the click only returns now


def test_a_changed_account_that_lost_its_poll_job_is_handed_to_the_scheduler_again(
    home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An earlier reload that died between the account list and the scheduler left an account
    # running with no poll job. The next reload that changed it raised KeyError (found in
    # review) and it never polled again; now it gets its job back.
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    with running_app(home, monkeypatch) as app:
        poll_until(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        scheduler = app.accounts._scheduler
        assert scheduler is not None
        scheduler.remove("Work")  # the job lost, the account still running
        since = time.time()
        store_key(home, "Work", HOME_KEY)  # a changed key: the account is reconfigured
        assert app.reload()
        assert names_running(app) == ["Work"]
        # The server knows each key by its account: Work now polls with Home's key.
        poll_until(lambda: requests_of(server, "Home", since), 20, "Work's poll after the reload")
        assert scheduler.account("Work") is not None


def test_an_unchanged_account_that_lost_its_poll_job_gets_it_back_at_any_reload(
    home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    with running_app(home, monkeypatch) as app:
        poll_until(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        scheduler = app.accounts._scheduler
        assert scheduler is not None
        scheduler.remove("Work")
        since = time.time()
        assert app.reload()  # nothing changed
        poll_until(lambda: requests_of(server, "Work", since), 20, "Work's poll after the reload")
