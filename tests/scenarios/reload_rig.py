"""What the reload seam tests share (tests/scenarios/test_seams_reload_*.py): two accounts on
the simulated API (Work, and Home nearly spent), their config and key files, the real
`lensmor-tray run` as a child process (`tray_process`), a real TrayApp in this process
(`running_app`), and readers for what reached the server and the feed files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Home, run_cli
from tests.support.waiting import poll_until
from tray_app.app.options import AppOptions
from tray_app.app.tray_app import TrayApp
from tray_app.config.paths import AppPaths
from tray_app.core.balance import Balance
from tray_app.core.pacing import DEMO
from tray_app.core.state import MonitorState
from tray_app.demo.server import SimulatedAccount, SimulatedLensmorServer
from tray_app.history.store import HistoryStore

WORK_KEY = "uak_workworkworkwork0000aaaa"
HOME_KEY = "uak_homehomehomehome1111bbbb"
WRONG_KEY = "uak_wrongwrongwrongwr9999zzzz"
KEYS = {"Work": WORK_KEY, "Home": HOME_KEY}


@pytest.fixture(name="server")
def fixture_server() -> Iterator[SimulatedLensmorServer]:
    """Work and Home on the simulated API (import this to get `server`)."""
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
        paths = run_cli(home, "paths", env={"LC_ALL": "C.UTF-8"}).out  # English labels
        self.log_file = Path(paths.split("logs:", 1)[1].strip())
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


def total_balances(path: Path) -> list[float]:
    return [
        sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
        if family.name == "lensmor_credits"
        and sample.labels.get("kind") == "total"
        and sample.labels.get("quantity") == "balance"
    ]
