"""Issue 18, where reloads meet the rest: one reload at a time, the running tray following the
CLI's key and account commands, the feed files, the board and the scheduler following a
reload, and a hostile sweep (signal storms, a SIGHUP while starting, a config that became
invalid, a poll in flight for a removed account, the Settings window's exit, a rename).

Most tests run the real `lensmor-tray run` headless (no display: app/tray_app.py's headless tray)
against the simulated API on loopback, as a user's tray runs, and count what reaches the
server; the in-process ones build a real TrayApp with a headless tray.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Home, run_cli
from tests.support.waiting import poll_until
from tray_app.app.reload import AccountRuntime, Credentials
from tray_app.app.tray_app import AppOptions, TrayApp
from tray_app.config.model import Settings
from tray_app.config.paths import AppPaths
from tray_app.core.balance import Balance
from tray_app.core.pacing import DEMO
from tray_app.core.state import MonitorState
from tray_app.core.view import Action
from tray_app.demo.server import Fault, SimulatedAccount, SimulatedLensmorServer
from tray_app.history.store import HistoryStore

WORK_KEY = "uak_workworkworkwork0000aaaa"
HOME_KEY = "uak_homehomehomehome1111bbbb"
WRONG_KEY = "uak_wrongwrongwrongwr9999zzzz"
KEYS = {"Work": WORK_KEY, "Home": HOME_KEY}


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    accounts = {
        "Work": SimulatedAccount(total_subscription=10_000, gift=0, valid_keys=(WORK_KEY,)),
        # 150 of 10,000 left: the worst account, critical in the feeds.
        "Home": SimulatedAccount(total_subscription=10_000, gift=0, valid_keys=(HOME_KEY,)),
    }
    accounts["Home"].spend(9_850)
    with SimulatedLensmorServer(accounts=accounts) as srv:
        yield srv


def _paths(home: Home) -> AppPaths:
    return AppPaths(home.config_file, home.data_dir, home.root / ".local" / "state" / "log")


def write_config(
    home: Home, server: SimulatedLensmorServer, names: list[str], extra: str = ""
) -> None:
    """The config as a person writes it: one [[accounts]] table per account."""
    blocks = [f'[[accounts]]\nname = "{name}"\nbase_url = "{server.url}"\n' for name in names]
    home.write_config(extra + "\n".join(blocks))


def store_key(home: Home, name: str, key: str) -> None:
    path = _paths(home).key_file_for(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key + "\n")
    path.chmod(0o600)


def remember_an_older_balance(home: Home, name: str) -> None:
    """A saved state whose balance differs from the server's: the first poll sees a change,
    and the demo pacing then polls every 2 s (instead of every 30 s) for a minute."""
    older = Balance(10_000, 9_999, 10_000, 9_999, 0, 0, None)
    state = MonitorState(balance=older, fetched_at=time.time() - 60)
    with HistoryStore.open(_paths(home).history_db_for(name)) as store:
        store.save_state({"monitor": state.to_json()})


def requests_of(server: SimulatedLensmorServer, name: str, since: float = 0.0) -> list[float]:
    return [r.time for r in server.accounts[name].requests if r.time >= since]


class TrayProcess:
    """The real `lensmor-tray run`, headless, with the demo's pacing."""

    def __init__(self, home: Home, program: tuple[str, ...] = ("-m", "tray_app")) -> None:
        env = {**home.env, "LENSMOR_TRAY_PACING": "demo"}
        for name in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
            env.pop(name, None)
        self.log_file = Path(run_cli(home, "paths").out.split("logs:", 1)[1].strip())
        self.proc = subprocess.Popen(
            [sys.executable, *program, "run"],
            env=env,
            cwd=home.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def died(self) -> str | None:
        return None if self.proc.poll() is None else f"the tray exited with {self.proc.returncode}"

    def wait_for(self, check: object, timeout: float, what: str) -> None:
        poll_until(check, timeout, what, alive=self.died)  # type: ignore[arg-type]

    def wait_started(self) -> None:
        self.wait_for(
            lambda: " tray_app.app.tray_app: started" in self.log(), 30, "the tray to start"
        )

    def send(self, sig: int) -> None:
        os.kill(self.pid, sig)

    def stop(self) -> str:
        """Quit (SIGTERM) and return what it wrote to stderr."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _out, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _out, err = self.proc.communicate(timeout=10)
            raise AssertionError("the tray did not quit on SIGTERM within 20 s") from None
        return err


@contextmanager
def tray_process(
    home: Home, program: tuple[str, ...] = ("-m", "tray_app")
) -> Iterator[TrayProcess]:
    tray = TrayProcess(home, program)
    try:
        yield tray
    finally:
        err = tray.stop()
        assert "Traceback" not in err, err


def reloads_logged(log: str) -> list[str]:
    return [line for line in log.splitlines() if "reloaded the config and the keys" in line]


# -- 1. one reload at a time -------------------------------------------------------------------


def test_two_quick_sighups_build_an_added_account_once(
    home: Home, server: SimulatedLensmorServer
) -> None:
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    store_key(home, "Home", HOME_KEY)
    remember_an_older_balance(home, "Home")
    with tray_process(home) as tray:
        tray.wait_started()
        tray.wait_for(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        write_config(home, server, ["Work", "Home"])
        tray.send(signal.SIGHUP)
        time.sleep(0.15)
        tray.send(signal.SIGHUP)
        tray.wait_for(lambda: requests_of(server, "Home"), 20, "Home's first poll")
        first = requests_of(server, "Home")[0]
        time.sleep(8.5)  # four poll intervals of Home (2 s while its balance moves)
        polls = [t for t in requests_of(server, "Home") if t <= first + 8.0]
        log = tray.log()
    # One monitor polls at most every 2 s: five polls in 8 s. Two (the bug) poll ~10 times,
    # each pair within a moment of each other.
    assert len(polls) <= 6, polls
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    assert all(gap > 1.0 for gap in gaps), gaps
    added = sum(" 1 added" in line for line in reloads_logged(log))
    assert added == 1, reloads_logged(log)


# -- in-process: TrayApp.reload ------------------------------------------------------------------


def in_process_app(home: Home, monkeypatch: pytest.MonkeyPatch) -> TrayApp:
    """A real TrayApp in this process, headless, on `home`."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in home.env.items():
        if name != "PATH":
            monkeypatch.setenv(name, value)
    return TrayApp(AppOptions(paths=_paths(home), pacing=DEMO), environ=dict(home.env))


@contextmanager
def running_app(home: Home, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrayApp]:
    """A real TrayApp with a headless tray, built and started as `run` does (without the main
    loop and the process-wide signal handlers)."""
    app = in_process_app(home, monkeypatch)
    app.build()
    app._started()
    try:
        yield app
    finally:
        app.quit()
        app._shutdown()


def names_running(app: TrayApp) -> list[str]:
    return [runtime.name for runtime in app.accounts.all()]


def test_reload_in_process_adds_once_changes_keys_and_removes(
    home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    feeds = (
        f'[integrations]\nprometheus_textfile = "{tmp_path}/l.prom"\n'
        f'waybar_file = "{tmp_path}/w.json"\n\n'
    )
    write_config(home, server, ["Work"], feeds)
    store_key(home, "Work", WORK_KEY)
    store_key(home, "Home", HOME_KEY)
    with running_app(home, monkeypatch) as app:
        poll_until(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        work_monitor = app.accounts.all()[0].monitor
        write_config(home, server, ["Work", "Home"], feeds)
        # Two reloads asked for at once (a SIGHUP and the Settings window): one Home.
        results: list[bool] = []
        threads = [threading.Thread(target=lambda: results.append(app.reload())) for _ in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert results == [True, True]
        assert names_running(app) == ["Work", "Home"]
        assert app.accounts.all()[0].monitor is work_monitor  # unchanged: left alone
        poll_until(lambda: requests_of(server, "Home"), 20, "Home's first poll")
        time.sleep(1.0)
        assert len(requests_of(server, "Home")) == 1
        waybar = Path(f"{tmp_path}/w.json")
        poll_until(lambda: "Home" in waybar.read_text(), 10, "Home in the waybar file")
        # Nothing changed: a reload touches nothing (no new poll either).
        before = len(requests_of(server, "Work"))
        assert app.reload()
        assert app.accounts.all()[0].monitor is work_monitor
        time.sleep(0.5)
        assert len(requests_of(server, "Work")) == before
        # Home removed: it stops, and leaves the board and the feed files at once.
        write_config(home, server, ["Work"], feeds)
        assert app.reload()
        assert names_running(app) == ["Work"]
        assert "Home" not in waybar.read_text()
        assert "Home" not in Path(f"{tmp_path}/l.prom").read_text()
        assert app.board is not None
        assert app.board.badge_account() == "Work"
        polled = len(requests_of(server, "Home"))
        app._refresh()
        time.sleep(1.0)
        assert len(requests_of(server, "Home")) == polled


# -- 2. the running tray follows the CLI ---------------------------------------------------------


def test_key_set_while_the_tray_shows_key_rejected_polls_at_once_with_the_new_key(
    home: Home, server: SimulatedLensmorServer
) -> None:
    write_config(home, server, ["Work"])
    store_key(home, "Work", WRONG_KEY)
    with tray_process(home) as tray:
        tray.wait_started()
        tray.wait_for(lambda: "poll: key_rejected" in tray.log(), 20, "the key to be rejected")
        rejected = len(requests_of(server, "Work"))
        result = run_cli(home, "key", "set", "--account", "Work", input_text=WORK_KEY + "\n")
        assert result.code == 0, result.err
        assert f"asked the running app (pid {tray.pid}) to reload" in result.out
        assert result.out.count("\n") == 2  # "saved …" and that one line
        tray.wait_for(
            lambda: "poll: balance 10000 of 10000" in tray.log(), 10, "a poll with the new key"
        )
        assert len(requests_of(server, "Work")) == rejected + 1
        status = run_cli(home, "status", "--cached", "--json")
        assert json.loads(status.out)["totalBalance"] == 10_000, status.out


def test_account_add_and_remove_are_followed_by_the_running_tray(
    home: Home, server: SimulatedLensmorServer
) -> None:
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    with tray_process(home) as tray:
        tray.wait_started()
        tray.wait_for(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        added = run_cli(
            home, "account", "add", "Home", "--base-url", server.url, input_text=HOME_KEY + "\n"
        )
        assert added.code == 0, added.err
        assert f"asked the running app (pid {tray.pid}) to reload" in added.out
        # `account add` tested the key once itself; the tray's own poll is the second.
        tray.wait_for(lambda: len(requests_of(server, "Home")) >= 2, 20, "the tray polling Home")
        removed = run_cli(home, "account", "remove", "Home")
        assert removed.code == 0, removed.err
        assert f"asked the running app (pid {tray.pid}) to reload" in removed.out
        tray.wait_for(lambda: " 1 removed" in tray.log(), 20, "the reload after remove")
        polled = len(requests_of(server, "Home"))
        work = len(requests_of(server, "Work"))
        assert run_cli(home, "refresh").code == 0
        tray.wait_for(lambda: len(requests_of(server, "Work")) > work, 10, "Work's refresh")
        time.sleep(1.0)
        assert len(requests_of(server, "Home")) == polled  # a removed account is not polled


# -- 3. the feeds follow a reload ------------------------------------------------------------


def prometheus_accounts(path: Path) -> set[str]:
    return {
        sample.labels["account"]
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
        if "account" in sample.labels
    }


def total_balances(path: Path) -> list[float]:
    return [
        sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
        if family.name == "lensmor_credits"
        and sample.labels.get("kind") == "total"
        and sample.labels.get("quantity") == "balance"
    ]


def test_remove_and_reload_rewrite_both_feeds_at_once(
    home: Home, server: SimulatedLensmorServer, tmp_path: Path
) -> None:
    prom, waybar = tmp_path / "lensmor.prom", tmp_path / "waybar.json"
    feeds = f'[integrations]\nprometheus_textfile = "{prom}"\nwaybar_file = "{waybar}"\n\n'
    write_config(home, server, ["Work", "Home"], feeds)
    store_key(home, "Work", WORK_KEY)
    store_key(home, "Home", HOME_KEY)
    with tray_process(home) as tray:
        tray.wait_started()

        def both_in_feeds() -> bool:
            return prom.exists() and prometheus_accounts(prom) == {"Work", "Home"}

        tray.wait_for(both_in_feeds, 20, "both accounts in the feed files")
        tray.wait_for(lambda: "Home" in waybar.read_text(), 10, "both in the waybar line")
        assert json.loads(waybar.read_text())["class"] == "critical"  # Home, the worst
        write_config(home, server, ["Work"], feeds)  # Home removed by hand
        tray.send(signal.SIGHUP)
        # At the reload, not at Work's next poll (30 s away).
        tray.wait_for(lambda: "Home" not in waybar.read_text(), 5, "Home to leave waybar")
        # One account left: its series, without an account label (a single account's shape).
        assert "Home" not in prom.read_text()
        assert total_balances(prom) == [10_000.0]
        line = json.loads(waybar.read_text())
        assert line["class"] == "ok"  # the worst account is Work now
        assert "Home" not in line["tooltip"]


def test_a_poll_in_flight_for_a_removed_account_does_not_bring_it_back(
    home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    prom, waybar = tmp_path / "lensmor.prom", tmp_path / "waybar.json"
    feeds = f'[integrations]\nprometheus_textfile = "{prom}"\nwaybar_file = "{waybar}"\n\n'
    write_config(home, server, ["Work", "Home"], feeds)
    store_key(home, "Work", WORK_KEY)
    store_key(home, "Home", HOME_KEY)
    with running_app(home, monkeypatch) as app:
        poll_until(
            lambda: prom.exists() and prometheus_accounts(prom) == {"Work", "Home"},
            20,
            "both accounts polled",
        )
        with HistoryStore.open(_paths(home).history_db_for("Home")) as store:
            rows = len(store.records(0))
        server.accounts["Home"].spend(50)  # the answer in flight would be a new balance
        server.accounts["Home"].inject(Fault.slow(2.0))
        home_runtime = app.accounts.all()[1]
        # Its first poll has finished (its alerts delivered) and the next one is planned.
        assert app.scheduler is not None
        home_polls = app.scheduler.account(home_runtime.name)
        poll_until(lambda: home_polls.next_poll_at, 20, "Home's first poll done")
        home_polls.refresh_now()
        poll_until(lambda: len(requests_of(server, "Home")) >= 2, 10, "Home's slow poll")
        write_config(home, server, ["Work"], feeds)
        assert app.reload()
        time.sleep(3.0)  # the slow answer has come and gone
        assert "Home" not in prom.read_text()
        assert "Home" not in waybar.read_text()
        assert app.board is not None
        assert app.board.badge_account() == "Work"
        with HistoryStore.open(_paths(home).history_db_for("Home")) as store:
            assert len(store.records(0)) == rows


# -- 4. the Usage… row -------------------------------------------------------------------------


def test_the_usage_row_passes_an_account_that_starts_with_a_dash(
    home: Home,
    server: SimulatedLensmorServer,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    write_config(home, server, ["-Ops", "Work"], 'badge_account = "-Ops"\n\n')
    store_key(home, "Work", WORK_KEY)
    err = ""

    def said() -> bool:
        nonlocal err
        err += capfd.readouterr().err
        return "cannot open the Usage window" in err

    with running_app(home, monkeypatch) as app:
        capfd.readouterr()
        app._on_action(Action.USAGE)  # the menu's Usage… row
        # No display here, so the window cannot open; but the account was accepted.
        poll_until(said, 60, "the Usage window's one line")
    assert "expected one argument" not in err


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
