"""Start at login on macOS: the LaunchAgent plist, through a fake launchctl."""

from __future__ import annotations

import errno
import os
import plistlib
import stat
import subprocess
from pathlib import Path

import pytest

from tests.unit.autostart.fakes import CANARY_KEY, FakeLaunchd, make_launcher, user_env
from tray_app.autostart import Autostart, AutostartStatus, LaunchCommand, autostart_for
from tray_app.autostart.macos import LABEL, LAUNCHCTL


@pytest.fixture
def mac(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Autostart, FakeLaunchd, Path]:
    launchd = FakeLaunchd(uid=501)
    script, _ = make_launcher(tmp_path / "Lensmor Tray.app" / "Contents" / "MacOS")
    autostart = autostart_for(
        "darwin",
        environ=user_env(tmp_path, monkeypatch),
        home=tmp_path / "home",
        launcher=LaunchCommand((str(script),)),
        run_command=launchd,
        uid=501,
    )
    return autostart, launchd, script


def agent_file(tmp_path: Path) -> Path:
    return tmp_path / "home" / "Library" / "LaunchAgents" / "com.lensmor.tray.plist"


def test_the_launch_agent_reads_back_field_by_field(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    autostart, _, script = mac
    status = autostart.enable()

    path = agent_file(tmp_path)
    agent = plistlib.loads(path.read_bytes())
    assert agent == {
        "Label": "com.lensmor.tray",
        "ProgramArguments": [str(script), "run", "--autostart"],
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
    }
    assert status == AutostartStatus(
        True, str(path), "starts at login", True, (str(script), "run", "--autostart")
    )
    assert CANARY_KEY.encode() not in path.read_bytes()
    if os.name == "posix":  # launchd ignores agents writable by group or others
        assert stat.S_IMODE(path.stat().st_mode) & 0o022 == 0


def test_enable_bootstraps_the_agent_once(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    autostart, launchd, _ = mac
    autostart.enable()
    assert launchd.calls == [
        [LAUNCHCTL, "print", "gui/501/com.lensmor.tray"],
        [LAUNCHCTL, "bootstrap", "gui/501", str(agent_file(tmp_path))],
    ]
    launchd.calls.clear()
    again = autostart.enable()
    assert launchd.calls == [[LAUNCHCTL, "print", "gui/501/com.lensmor.tray"]]
    assert (again.enabled, again.detail) == (True, "starts at login")


def test_disable_boots_out_an_idle_agent_and_removes_the_file(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    autostart, launchd, _ = mac
    autostart.enable()
    launchd.calls.clear()
    status = autostart.disable()

    assert launchd.calls == [
        [LAUNCHCTL, "print", "gui/501/com.lensmor.tray"],
        [LAUNCHCTL, "bootout", "gui/501/com.lensmor.tray"],
    ]
    assert not launchd.loaded
    assert not agent_file(tmp_path).exists()
    assert (status.enabled, status.detail) == (False, "no LaunchAgent")
    launchd.calls.clear()
    assert not autostart.disable().enabled  # twice: nothing loaded, nothing to boot out
    assert launchd.calls == [[LAUNCHCTL, "print", "gui/501/com.lensmor.tray"]]


def test_disable_leaves_the_running_app_alone(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    """Booting out the agent would kill the tray app that the user is clicking in."""
    autostart, launchd, _ = mac
    autostart.enable()
    launchd.pid = 4242
    launchd.calls.clear()
    status = autostart.disable()

    assert [call[1] for call in launchd.calls] == ["print"]
    assert launchd.pid == 4242
    assert not agent_file(tmp_path).exists()
    assert not status.enabled
    assert "pid 4242" in status.detail


@pytest.mark.parametrize(
    "failure",
    [
        (5, "Bootstrap failed: 5: Input/output error"),
        (37, "Bootstrap failed: 37: Operation already in progress"),
    ],
)
def test_a_launchctl_failure_is_reported_not_raised(
    mac: tuple[Autostart, FakeLaunchd, Path], failure: tuple[int, str]
) -> None:
    autostart, launchd, _ = mac
    launchd.fail["bootstrap"] = failure
    status = autostart.enable()
    # The plist is in place, so the next login starts the app; the detail says what failed.
    assert status.enabled
    assert f"launchctl bootstrap failed (exit {failure[0]}): {failure[1]}" in status.detail


@pytest.mark.parametrize(
    "error",
    [
        FileNotFoundError(errno.ENOENT, "No such file or directory", LAUNCHCTL),
        subprocess.TimeoutExpired([LAUNCHCTL, "print"], 15.0),
    ],
)
def test_a_launchctl_that_cannot_run_is_reported_not_raised(
    mac: tuple[Autostart, FakeLaunchd, Path], error: BaseException
) -> None:
    autostart, launchd, _ = mac
    launchd.raises = error
    enabled = autostart.enable()
    assert enabled.enabled
    assert "launchctl print could not run" in enabled.detail
    disabled = autostart.disable()
    assert not disabled.enabled
    assert "launchctl print could not run" in disabled.detail


def test_a_launch_agent_with_a_missing_program_is_reported_and_repaired(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    autostart, _, script = mac
    path = agent_file(tmp_path)
    path.parent.mkdir(parents=True)
    gone = tmp_path / "deleted venv" / "bin" / "lensmor-tray"
    path.write_bytes(plistlib.dumps({"Label": LABEL, "ProgramArguments": [str(gone)]}))
    broken = autostart.status()
    assert (broken.enabled, broken.target_exists, broken.command) == (False, False, (str(gone),))

    path.write_bytes(
        plistlib.dumps({"Label": LABEL, "RunAtLoad": True, "ProgramArguments": [str(gone)]})
    )
    broken = autostart.status()
    assert "missing launcher" in broken.detail

    repaired = autostart.enable()
    assert (repaired.enabled, repaired.command[0]) == (True, str(script))
    assert f"repaired: it pointed at missing {gone}" in repaired.detail


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"not a plist", "unreadable LaunchAgent"),
        (plistlib.dumps({"Label": LABEL}), "no ProgramArguments"),
        (plistlib.dumps({"ProgramArguments": [], "RunAtLoad": True}), "no ProgramArguments"),
    ],
)
def test_a_broken_launch_agent_is_reported(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path, content: bytes, detail: str
) -> None:
    autostart, _, _ = mac
    agent_file(tmp_path).parent.mkdir(parents=True)
    agent_file(tmp_path).write_bytes(content)
    status = autostart.status()
    assert not status.enabled
    assert detail in status.detail


def test_a_launch_agent_marked_disabled_counts_as_disabled(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    autostart, _, _ = mac
    autostart.enable()
    agent = plistlib.loads(agent_file(tmp_path).read_bytes())
    agent_file(tmp_path).write_bytes(plistlib.dumps({**agent, "Disabled": True}))
    status = autostart.status()
    assert (status.enabled, status.target_exists) == (False, True)
    assert "Disabled" in status.detail
