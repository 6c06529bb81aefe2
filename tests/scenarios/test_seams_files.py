"""Files the app cannot use (issue 18): a data folder that is read-only or not a folder, a full
or read-only config folder, and odd files wherever the app writes (a lock, a log, a feed).

Real parts only: the real `lensmor-tray` in a child process (headless: no display), the
simulated API on loopback, real files in a temporary HOME, and real read-only or full
filesystems (tests/support/mounts.py: a tmpfs mounted over the folder; tests run as root).
Every case: one line that says what is wrong and what to do, never a traceback, and nothing the
person had is lost or replaced.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Home, run_cli
from tests.support.mounts import files_under, full, read_only
from tests.support.waiting import poll_until
from tray_app.core import fmt
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer

OTHER_KEY = "uak_OTHERother0123456789abcdefWXYZ"
#: What the headless tray "shows" once it has the simulated account's balance (logged with -v).
BALANCE_SHOWN = "would show: Lensmor: 35,050 of 35,050 credits"
START_S = 30


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as simulated:
        simulated.account.set_valid_keys([DEMO_KEY, OTHER_KEY])
        yield simulated


@dataclass
class Tray:
    """A running `lensmor-tray -v run` (headless) and what it wrote to stderr so far."""

    proc: subprocess.Popen[str]
    err_file: Path

    def err(self) -> str:
        return self.err_file.read_text(errors="replace")

    def alive(self) -> str | None:
        return None if self.proc.poll() is None else f"the app exited: {self.err()[-2000:]}"

    def wait_for(self, text: str, what: str) -> None:
        poll_until(lambda: text in self.err(), START_S, what, alive=self.alive)

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(timeout=30)


@contextlib.contextmanager
def tray(home: Home, server: SimulatedLensmorServer, **extra_env: str) -> Iterator[Tray]:
    env = {
        **home.env,
        "LENSMOR_BASE_URL": server.url,
        "LENSMOR_API_KEY": DEMO_KEY,
        "LENSMOR_TRAY_PACING": "demo",
        **extra_env,
    }
    err_file = home.root / f"tray-stderr-{len(list(home.root.glob('tray-stderr-*')))}.txt"
    with err_file.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tray_app", "-v", "run"],
            env=env,
            cwd=home.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
    running = Tray(proc, err_file)
    try:
        yield running
    finally:
        if proc.poll() is None:
            running.stop()


def said(err: str) -> list[str]:
    """The lines meant for a person (`lensmor-tray: ...`), not the -v log lines."""
    return [line for line in err.splitlines() if line.startswith("lensmor-tray:")]


def no_traceback(text: str) -> None:
    assert "Traceback" not in text
    assert "Logging error" not in text


# -- a data folder the tray cannot write ------------------------------------------------------


def data_folder_is_a_file(home: Home) -> AbstractContextManager[object]:
    home.data_dir.parent.mkdir(parents=True, exist_ok=True)
    home.data_dir.write_text("the person's own file, where the data folder should be\n")
    return contextlib.nullcontext()


def data_folder_is_read_only(home: Home) -> AbstractContextManager[object]:
    return read_only(home.data_dir)


@pytest.mark.parametrize(
    "make_unusable",
    [data_folder_is_a_file, data_folder_is_read_only],
    ids=["not-a-folder", "read-only"],
)
def test_the_tray_starts_polls_and_shows_the_balance_with_a_data_folder_it_cannot_write(
    home: Home,
    server: SimulatedLensmorServer,
    make_unusable: Callable[[Home], AbstractContextManager[object]],
) -> None:
    # Before: a traceback from the instance lock (mkdir/open in the data folder), exit 1.
    with make_unusable(home):
        before = home.data_dir.read_bytes() if home.data_dir.is_file() else None
        with tray(home, server) as app:
            app.wait_for(BALANCE_SHOWN, "the balance shown")
            # The lock moved to the runtime folder, and the CLI still finds the running app.
            refresh = run_cli(home, "refresh")
            assert refresh.code == 0, refresh.err
            assert f"pid {app.proc.pid}" in refresh.out
            second = run_cli(home, "run", env={"LENSMOR_API_KEY": DEMO_KEY})
            assert second.code == 0
            assert "already running" in second.err
            assert app.stop() == 0
        err = app.err()
        if before is not None:
            assert home.data_dir.read_bytes() == before  # kept, not replaced
    no_traceback(err)
    lines = [line for line in said(err) if "data folder" in line]
    assert len(lines) == 1, said(err)
    assert str(home.data_dir) in lines[0]
    assert "in memory" in lines[0]
    assert "lock" in lines[0]  # where the single-instance lock went
    assert len(server.account.requests) >= 1


def test_a_lock_file_that_is_a_symlink_is_never_followed(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # Before: the lock opened through the link, truncated its target and wrote a PID into it.
    someone_elses = home.root / "notes.txt"
    someone_elses.write_text("the person's notes\n")
    home.data_dir.mkdir(parents=True)
    (home.data_dir / "instance.lock").symlink_to(someone_elses)
    with tray(home, server) as app:
        app.wait_for(BALANCE_SHOWN, "the balance shown")
        assert run_cli(home, "refresh").code == 0
        assert app.stop() == 0
    assert someone_elses.read_text() == "the person's notes\n"
    assert (home.data_dir / "instance.lock").is_symlink()
    no_traceback(app.err())
    lines = [line for line in said(app.err()) if "lock file" in line]
    assert len(lines) == 1, said(app.err())


def test_refresh_with_a_lock_path_that_is_a_folder_says_the_app_is_not_running(
    home: Home,
) -> None:
    # Before: IsADirectoryError from reading the "PID" of a folder, a traceback.
    (home.data_dir / "instance.lock").mkdir(parents=True)
    result = run_cli(home, "refresh")
    no_traceback(result.err)
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "not running" in result.err
    assert (home.data_dir / "instance.lock").is_dir()


# -- a full or read-only config folder --------------------------------------------------------

CONFIG_TEXT = '# my own notes\nbase_url = "{url}"\n'


@pytest.mark.parametrize("make_unwritable", [full, read_only], ids=["full", "read-only"])
@pytest.mark.parametrize(
    "command",
    [("key", "set"), ("account", "add", "Work")],
    ids=["key-set", "account-add"],
)
def test_a_full_or_read_only_config_folder_gives_one_line_and_keeps_config_and_key(
    home: Home,
    server: SimulatedLensmorServer,
    make_unwritable: Callable[[Path], AbstractContextManager[Path]],
    command: tuple[str, ...],
) -> None:
    # Before: a raw OSError traceback (ENOSPC from the write, EROFS from mkstemp), exit 1.
    home.write_config(CONFIG_TEXT.format(url=server.url)).chmod(0o600)
    assert run_cli(home, "key", "set", input_text=DEMO_KEY + "\n").code == 0
    before = files_under(home.config_dir)
    with make_unwritable(home.config_dir):
        result = run_cli(home, *command, input_text=OTHER_KEY + "\n")
        no_traceback(result.err)
        assert result.code == 2, result.err
        lines = [line for line in result.err.splitlines() if "warning" not in line]
        assert len(lines) == 1, result.err
        assert lines[0].startswith("lensmor-tray: cannot ")
        assert str(home.config_dir) in lines[0]
        assert "disk" in lines[0]  # "the disk is full" / "the disk is read-only"
        assert OTHER_KEY not in result.err + result.out
        assert files_under(home.config_dir) == before  # nothing half-written
        shown = run_cli(home, "key", "show")
        assert fmt.mask_key(DEMO_KEY) in shown.out
    assert files_under(home.config_dir) == before
    assert run_cli(home, "account", "list").out.count("\n") == 1  # no "Work" half-added


# -- the log ----------------------------------------------------------------------------------


def log_dir(home: Home) -> Path:
    return Path(run_cli(home, "paths").out.split("logs:", 1)[1].strip()).parent


def test_a_full_log_folder_is_said_once_with_no_logging_traceback(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # Before: logging's "--- Logging error ---" and a traceback on stderr for every record.
    folder = log_dir(home)
    with full(folder, size="64k"), tray(home, server) as app:
        app.wait_for(BALANCE_SHOWN, "the balance shown")
        assert app.stop() == 0
    no_traceback(app.err())
    lines = [line for line in said(app.err()) if "log file" in line]
    assert len(lines) == 1, said(app.err())
    assert "disk is full" in lines[0]


def test_a_log_path_that_is_a_folder_is_kept_and_the_tray_runs(
    home: Home, server: SimulatedLensmorServer
) -> None:
    log_file = log_dir(home) / "lensmor-tray.log"
    log_file.mkdir(parents=True)
    (log_file / "mine.txt").write_text("kept")
    with tray(home, server) as app:
        app.wait_for(BALANCE_SHOWN, "the balance shown")
        assert app.stop() == 0
    no_traceback(app.err())
    assert len([line for line in said(app.err()) if "log file" in line]) == 1
    assert (log_file / "mine.txt").read_text() == "kept"


# -- feed files -------------------------------------------------------------------------------


def test_a_feed_file_that_is_a_symlink_is_written_through_and_stays_a_link(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # Before: the atomic rename replaced the person's link with a plain file.
    target = home.root / "dotfiles" / "waybar-lensmor.json"
    target.parent.mkdir()
    link = home.root / "waybar.json"
    link.symlink_to(target)
    home.write_config(f'[integrations]\nwaybar_file = "{link}"\n').chmod(0o600)
    with tray(home, server) as app:
        poll_until(target.exists, START_S, "the feed written", alive=app.alive)
        assert app.stop() == 0
    assert link.is_symlink()
    assert "35" in target.read_text()
    no_traceback(app.err())


def test_a_feed_path_that_is_a_folder_is_refused_in_one_line_and_kept(home: Home) -> None:
    feed = home.root / "waybar.json"
    feed.mkdir()
    (feed / "mine.txt").write_text("kept")
    home.write_config(f'[integrations]\nwaybar_file = "{feed}"\n').chmod(0o600)
    result = run_cli(home, "run", env={"LENSMOR_API_KEY": DEMO_KEY})
    no_traceback(result.err)
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "not a folder" in result.err
    assert os.listdir(feed) == ["mine.txt"]


# -- two at once ------------------------------------------------------------------------------


def test_two_runs_at_once_leave_exactly_one_running(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # Before: the second asked the first to refresh (SIGUSR1) before the first had installed
    # its handler: the first died of the signal, the second stepped back, and none ran.
    with tray(home, server) as first, tray(home, server) as second:
        both = (first, second)
        poll_until(
            lambda: any(app.proc.poll() is not None for app in both),
            START_S,
            "one of the two to step back",
        )
        quitter = next(app for app in both if app.proc.poll() is not None)
        stayer = second if quitter is first else first
        assert quitter.proc.returncode == 0
        assert "already running" in quitter.err()
        stayer.wait_for(BALANCE_SHOWN, "the balance shown")
        assert stayer.proc.poll() is None
    for app in both:
        no_traceback(app.err())
