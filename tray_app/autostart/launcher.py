"""The command a login entry runs: an absolute argv, resolved once from how we were started.

At login there is no shell, no PATH of the user's choosing and no current directory worth
anything, so every entry holds absolute paths only. In order of preference:

1. a frozen bundle (PyInstaller sets `sys.frozen`): the bundle's executable itself;
2. the installed console script next to the interpreter (`venv/bin/lensmor-tray`, the pipx
   venv's `bin/lensmor-tray`; on Windows `Scripts\\lensmor-tray-gui.exe`, the gui-script, which
   opens no console window at login);
3. the interpreter itself, `python -m tray_app` (on Windows `pythonw.exe`, again so that no
   console window appears).

The argv never carries the API key, the environment or any option but `AUTOSTART_ARGS`: the
app reads its key from the keyring or its key file at start, like any other start.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import sys
import sysconfig
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

# What the entry adds after the program: the tray subcommand, and a flag telling the app it was
# started by the session so it waits (bounded) for the tray host to appear before docking.
AUTOSTART_ARGS: Final[tuple[str, ...]] = ("run", "--autostart")

SCRIPT_NAME: Final = "lensmor-tray"
MODULE_NAME: Final = "tray_app"


@dataclass(frozen=True)
class LaunchCommand:
    """The absolute argv that starts lensmor-tray, without the autostart arguments.

    `program` is e.g. ("/home/u/.local/pipx/venvs/lensmor-tray/bin/lensmor-tray",) or
    ("/usr/bin/python3", "-m", "tray_app"). `argv` is what a login entry runs.
    """

    program: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.program or not self.program[0]:
            raise ValueError("a launch command needs a program")
        first = self.program[0]
        # Either flavour counts: tests build Windows commands on Linux and the other way round.
        if not (posixpath.isabs(first) or ntpath.isabs(first)):
            raise ValueError(f"the launcher must be an absolute path, not {first!r}")

    @property
    def executable(self) -> str:
        """The file that must exist for the entry to work."""
        return self.program[0]

    @property
    def argv(self) -> tuple[str, ...]:
        """What the login entry runs: the program and `AUTOSTART_ARGS`."""
        return (*self.program, *AUTOSTART_ARGS)


def resolve_launch_command(
    *,
    executable: str | None = None,
    frozen: bool | None = None,
    platform: str | None = None,
    script_dirs: Sequence[str] | None = None,
) -> LaunchCommand:
    """How this installation is started; the arguments default to the running interpreter's.

    `script_dirs` are searched for the console script after the interpreter's own folder;
    by default the install scheme's scripts folder (a Windows non-venv install keeps python.exe
    in the prefix and the scripts in `Scripts\\`) and, when the package was installed with
    `pip install --user`, the user scheme's.
    """
    executable = sys.executable if executable is None else executable
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    platform = sys.platform if platform is None else platform
    windows = platform == "win32"

    # abspath, never realpath: a venv's python is a symlink to the system interpreter, and the
    # console script lives next to the link, not next to its target.
    executable = os.path.abspath(executable)
    if frozen:
        return LaunchCommand((executable,))

    bin_dir = os.path.dirname(executable)
    scripts = ("lensmor-tray-gui.exe", "lensmor-tray.exe") if windows else (SCRIPT_NAME,)
    searched: set[str] = set()
    for given in _script_folders(bin_dir, script_dirs):
        folder = os.path.abspath(given) if given else ""
        if not folder or folder in searched:
            continue
        searched.add(folder)
        for name in scripts:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return LaunchCommand((candidate,))

    interpreter = executable
    if windows:
        pythonw = os.path.join(bin_dir, "pythonw.exe")
        if os.path.isfile(pythonw):
            interpreter = pythonw
    return LaunchCommand((interpreter, "-m", MODULE_NAME))


def _script_folders(bin_dir: str, script_dirs: Sequence[str] | None) -> Iterator[str]:
    """The interpreter's folder, then `script_dirs` (by default the install schemes'), asked
    for only when the first has no script: sysconfig's paths load the interpreter's build
    data, which `status --cached --format xbar` would otherwise pay for at every run."""
    yield bin_dir
    yield from _installed_script_dirs() if script_dirs is None else script_dirs


def _installed_script_dirs() -> list[str]:
    """Where pip put our console script for the running interpreter."""
    folders = [sysconfig.get_path("scripts")]
    user_scheme = sysconfig.get_preferred_scheme("user")
    user_site = sysconfig.get_path("purelib", user_scheme)
    # The user scheme only when this very package lives there, so that a stale `pip --user`
    # copy never wins over the installation that is running.
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if _is_within(package_dir, user_site):
        folders.append(sysconfig.get_path("scripts", user_scheme))
    return folders


def _is_within(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, os.path.abspath(folder)]) == os.path.abspath(folder)
    except ValueError:  # different drives on Windows
        return False
