"""The Settings and Usage windows, each its own process: tkinter must not share the tray's
main loop, and the Usage window loads matplotlib, which the tray never does. One of each at a
time; a second click while it is open does nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tray_app.autostart import resolve_launch_command
from tray_app.support.threads import in_background


class ChildWindows:
    def __init__(
        self, config_file: Path, data_dir: Path, on_settings_closed: Callable[[], object]
    ) -> None:
        self._config_file = config_file
        self._data_dir = data_dir
        self._on_settings_closed = on_settings_closed
        self._settings: subprocess.Popen[bytes] | None = None
        self._usage: subprocess.Popen[bytes] | None = None

    def open_settings(self) -> None:
        if _is_open(self._settings):
            return
        settings = self._settings = subprocess.Popen([*_program(self._config_file), "settings"])

        def wait() -> None:
            # Whatever the exit code: the Accounts list saves at once, and a window that was
            # killed may have saved too. A reload with nothing changed changes nothing.
            settings.wait()
            self._on_settings_closed()

        in_background(wait, name="lensmor-child-window")

    def open_usage(self, account: str | None) -> None:
        """`account`: the one to show when there are several (None: the only one)."""
        if _is_open(self._usage):
            return
        argv = [*_program(self._config_file), "usage", "--data-dir", str(self._data_dir)]
        if account is not None:
            # One argument with "=": a name that starts with "-" is not taken for an option.
            argv.append(f"--account={account}")
        usage = self._usage = subprocess.Popen(argv)

        def reap() -> None:
            usage.wait()  # a closed window is reaped, not left a zombie

        in_background(reap, name="lensmor-child-window")

    def close_settings(self) -> None:
        """At quit: a Settings window still open goes too."""
        if self._settings is not None and self._settings.poll() is None:
            self._settings.terminate()


def _program(config_file: Path) -> list[str]:
    # resolve_launch_command gives the bundle's executable when frozen (where sys.executable
    # is the app itself and "-m" would be an unknown argument).
    return [*resolve_launch_command().program, "--config", str(config_file)]


def _is_open(process: subprocess.Popen[bytes] | None) -> bool:
    return process is not None and process.poll() is None
