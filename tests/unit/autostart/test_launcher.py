"""The command a login entry runs (`resolve_launch_command`, `LaunchCommand`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.unit.autostart.fakes import posix_only
from tray_app.autostart import AUTOSTART_ARGS, LaunchCommand, resolve_launch_command


def test_a_frozen_bundle_starts_itself(tmp_path: Path) -> None:
    exe = str(tmp_path / "Lensmor Tray.app" / "Contents" / "MacOS" / "lensmor-tray")
    command = resolve_launch_command(executable=exe, frozen=True, platform="darwin")
    assert command.program == (exe,)
    assert command.argv == (exe, *AUTOSTART_ARGS)


@posix_only
def test_the_console_script_next_to_a_venv_python_wins(tmp_path: Path) -> None:
    bin_dir = tmp_path / "pipx venvs" / "lensmor-tray" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.symlink_to(sys.executable)  # a venv's python links to the system interpreter
    script = bin_dir / "lensmor-tray"
    script.write_text("#!/bin/sh\n", encoding="utf-8")

    command = resolve_launch_command(
        executable=str(python), frozen=False, platform="linux", script_dirs=()
    )
    assert command.program == (str(script),)

    script.unlink()
    command = resolve_launch_command(
        executable=str(python), frozen=False, platform="linux", script_dirs=()
    )
    assert command.program == (str(python), "-m", "tray_app")


def test_windows_prefers_the_gui_script_then_pythonw(tmp_path: Path) -> None:
    scripts = tmp_path / "venv" / "Scripts"
    scripts.mkdir(parents=True)
    python = scripts / "python.exe"
    for name in ("python.exe", "pythonw.exe", "lensmor-tray.exe", "lensmor-tray-gui.exe"):
        (scripts / name).write_bytes(b"MZ")

    def resolve() -> tuple[str, ...]:
        return resolve_launch_command(
            executable=str(python), frozen=False, platform="win32", script_dirs=()
        ).program

    # The gui-script and pythonw open no console window at login.
    assert resolve() == (str(scripts / "lensmor-tray-gui.exe"),)
    (scripts / "lensmor-tray-gui.exe").unlink()
    assert resolve() == (str(scripts / "lensmor-tray.exe"),)
    (scripts / "lensmor-tray.exe").unlink()
    assert resolve() == (str(scripts / "pythonw.exe"), "-m", "tray_app")
    (scripts / "pythonw.exe").unlink()
    assert resolve() == (str(python), "-m", "tray_app")


def test_a_windows_install_without_a_venv_finds_its_scripts_folder(tmp_path: Path) -> None:
    """python.exe lives in the prefix, pip puts the scripts in prefix\\Scripts."""
    prefix = tmp_path / "Python311"
    (prefix / "Scripts").mkdir(parents=True)
    (prefix / "python.exe").write_bytes(b"MZ")
    gui = prefix / "Scripts" / "lensmor-tray-gui.exe"
    gui.write_bytes(b"MZ")
    command = resolve_launch_command(
        executable=str(prefix / "python.exe"),
        frozen=False,
        platform="win32",
        script_dirs=[str(prefix / "Scripts")],
    )
    assert command.program == (str(gui),)


def test_the_cli_accepts_the_autostart_arguments() -> None:
    from tray_app.cli.parser import build_parser

    args = build_parser().parse_args(list(AUTOSTART_ARGS))
    assert (args.command, args.autostart) == ("run", True)


def test_this_installation_resolves_to_an_existing_absolute_program() -> None:
    command = resolve_launch_command()
    assert os.path.isabs(command.executable)
    assert os.path.isfile(command.executable)
    assert command.argv[-len(AUTOSTART_ARGS) :] == AUTOSTART_ARGS


@pytest.mark.parametrize("program", [(), ("",), ("lensmor-tray",), ("bin/python", "-m")])
def test_a_launch_command_must_be_absolute(program: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="launch"):
        LaunchCommand(program)
