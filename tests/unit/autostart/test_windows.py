"""Start at login on Windows: the Run key (and Task Manager's StartupApproved switch),
through a fake winreg with the real module's shape; the command line quoting.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit.autostart.fakes import CANARY_KEY, FakeWinreg, argument_text
from tray_app.autostart import (
    AUTOSTART_ARGS,
    Autostart,
    AutostartStatus,
    LaunchCommand,
    autostart_for,
)
from tray_app.autostart.windows import (
    APPROVED_ENABLED,
    APPROVED_KEY,
    LOCATION,
    RUN_KEY,
    VALUE_NAME,
    WindowsAutostart,
    split_command_line,
)


@pytest.fixture
def windows(tmp_path: Path) -> tuple[Autostart, FakeWinreg, Path]:
    registry = FakeWinreg()
    # A real file in a folder with spaces, like "C:\Program Files\Lensmor Tray\lensmor-tray.exe".
    exe = tmp_path / "Program Files" / "Lensmor Tray" / "lensmor-tray.exe"
    exe.parent.mkdir(parents=True)
    exe.write_bytes(b"MZ")
    exe.chmod(0o755)
    autostart = autostart_for(
        "win32",
        environ={"LENSMOR_API_KEY": CANARY_KEY},
        home=tmp_path,
        launcher=LaunchCommand((str(exe),)),
        winreg_module=registry,
    )
    return autostart, registry, exe


def test_enable_writes_the_quoted_command_line(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, exe = windows
    status = autostart.enable()

    stored = registry.get(RUN_KEY, VALUE_NAME)
    assert stored is not None
    value, kind = stored
    assert kind == FakeWinreg.REG_SZ
    assert value == f'"{exe}" run --autostart'
    assert value == subprocess.list2cmdline([str(exe), *AUTOSTART_ARGS])
    assert CANARY_KEY not in str(value)
    assert status == AutostartStatus(
        True, LOCATION, "starts at login", True, (str(exe), "run", "--autostart")
    )
    assert registry.open_handles == 0  # every key opened was closed


def test_enabling_twice_on_windows_is_harmless(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, _ = windows
    first = autostart.enable()
    keys = {path: dict(values) for path, values in registry.keys.items()}
    assert autostart.enable() == first
    assert registry.keys == keys


@pytest.mark.parametrize(
    ("approved", "enabled"),
    [
        (bytes([0x02]) + bytes(11), True),  # what Task Manager writes for "Enabled"
        (bytes([0x06]) + bytes(11), True),  # also seen for enabled entries
        (bytes([0x03, 0, 0, 0]) + bytes.fromhex("d40d438dc83bd901"), False),  # + FILETIME
        (bytes([0x07, 0, 0, 0]) + bytes.fromhex("d40d438dc83bd901"), False),
    ],
)
def test_status_reads_the_task_manager_switch(
    windows: tuple[Autostart, FakeWinreg, Path], approved: bytes, enabled: bool
) -> None:
    autostart, registry, _ = windows
    autostart.enable()
    registry.put(APPROVED_KEY, VALUE_NAME, approved, FakeWinreg.REG_BINARY)

    status = autostart.status()
    assert (status.enabled, status.target_exists) == (enabled, True)
    if not enabled:
        assert status.detail == "disabled in Task Manager (Startup apps)"


def test_enable_switches_a_task_manager_disabled_entry_back_on(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, _ = windows
    autostart.enable()
    registry.put(APPROVED_KEY, VALUE_NAME, bytes([3, 0, 0, 0]) + bytes(8), FakeWinreg.REG_BINARY)
    assert not autostart.status().enabled

    status = autostart.enable()
    assert status.enabled
    assert "switched back on in Task Manager" in status.detail
    assert registry.get(APPROVED_KEY, VALUE_NAME) == (APPROVED_ENABLED, FakeWinreg.REG_BINARY)


def test_disable_removes_the_run_and_startup_approved_values(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, _ = windows
    autostart.enable()
    registry.put(APPROVED_KEY, VALUE_NAME, APPROVED_ENABLED, FakeWinreg.REG_BINARY)
    status = autostart.disable()

    assert registry.get(RUN_KEY, VALUE_NAME) is None
    assert registry.get(APPROVED_KEY, VALUE_NAME) is None
    assert (status.enabled, status.detail) == (False, "no Run entry")
    assert autostart.disable() == status  # twice is harmless
    assert registry.open_handles == 0


def test_a_run_value_pointing_at_a_missing_exe_is_reported_and_repaired(
    windows: tuple[Autostart, FakeWinreg, Path], tmp_path: Path
) -> None:
    autostart, registry, exe = windows
    gone = tmp_path / "Old Place" / "lensmor-tray.exe"
    registry.put(RUN_KEY, VALUE_NAME, f'"{gone}" run', FakeWinreg.REG_SZ)

    broken = autostart.status()
    assert (broken.enabled, broken.target_exists, broken.command) == (
        False,
        False,
        (str(gone), "run"),
    )
    assert f"missing launcher: {gone}" in broken.detail

    repaired = autostart.enable()
    assert (repaired.enabled, repaired.command[0]) == (True, str(exe))
    assert f"repaired: it pointed at missing {gone}" in repaired.detail


def test_a_run_value_that_is_not_a_command_line_is_reported(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, _ = windows
    registry.put(RUN_KEY, VALUE_NAME, b"\x00\x01", FakeWinreg.REG_BINARY)
    status = autostart.status()
    assert (status.enabled, status.detail) == (False, "the Run value is not a command line")


def test_registry_access_denied_is_reported_not_raised(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, _ = windows
    registry.put(RUN_KEY, "SomethingElse", "x.exe", FakeWinreg.REG_SZ)
    registry.read_only.add(RUN_KEY.lower())
    status = autostart.enable()
    assert not status.enabled
    assert "could not write the Run value: Access is denied" in status.detail
    assert registry.open_handles == 0


@pytest.mark.skipif(sys.platform == "win32", reason="the real winreg exists on Windows")
def test_without_a_registry_the_windows_backend_says_so(tmp_path: Path) -> None:
    autostart = WindowsAutostart(launcher=LaunchCommand((sys.executable,)))
    for status in (autostart.status(), autostart.enable(), autostart.disable()):
        assert (status.enabled, status.location) == (False, LOCATION)
        assert "no Windows registry here" in status.detail


windows_program = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters='\x00"\\'), min_size=1
).filter(lambda s: s.strip(" \t") == s)


@example("Program Files", ['a\\"b', "back\\", '"quoted"', "tail\\\\", "", "two words\\"])
@example("NoSpace", ['\\\\"', "\\\\", 'x\\\\"y z'])
@given(windows_program, st.lists(argument_text, max_size=5))
def test_windows_command_lines_round_trip(program: str, args: list[str]) -> None:
    argv = [f"C:\\{program}\\lensmor-tray.exe", *args]
    assert split_command_line(subprocess.list2cmdline(argv)) == argv
