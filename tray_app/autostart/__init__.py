"""Start the tray app at login: one `Autostart` protocol, one implementation per OS.

`autostart_for()` picks the implementation from `sys.platform`, or from the environment
variable `LENSMOR_TRAY_AUTOSTART_BACKEND` (`linux`, `macos` or `windows`), the way pystray picks
its backend from `PYSTRAY_BACKEND`. Importing this package does nothing but define names:
only the chosen backend's module is imported, by `autostart_for()` (the macOS one would bring
plistlib and the expat XML parser into the tray's memory on Linux); `winreg` is imported by
the Windows backend on first use, launchctl runs only on enable/disable.

    autostart = autostart_for(environ=os.environ, home=Path.home(),
                              launcher=resolve_launch_command())
    status = autostart.enable()      # never raises for OS failures; check status.enabled
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tray_app.autostart.base import Autostart, AutostartStatus, RunCommand
from tray_app.autostart.launcher import AUTOSTART_ARGS, LaunchCommand, resolve_launch_command
from tray_app.config.model import ConfigError
from tray_app.core.language import N_

if TYPE_CHECKING:
    from tray_app.autostart.windows import Winreg

__all__ = [
    "AUTOSTART_ARGS",
    "BACKENDS",
    "BACKEND_ENV",
    "Autostart",
    "AutostartStatus",
    "LaunchCommand",
    "autostart_for",
    "backend_name",
    "resolve_launch_command",
]

BACKEND_ENV: Final = "LENSMOR_TRAY_AUTOSTART_BACKEND"
BACKENDS: Final = ("linux", "macos", "windows")


def backend_name(platform: str, environ: Mapping[str, str]) -> str:
    """`linux`, `macos` or `windows`: the override if set, else from a `sys.platform` value.

    Every platform that is neither macOS nor Windows gets the XDG backend: the freedesktop
    autostart folder is what the BSDs' and other Unix desktops read too.
    """
    override = environ.get(BACKEND_ENV, "").strip().lower()
    if override:
        if override not in BACKENDS:
            allowed = ", ".join(BACKENDS)
            raise ConfigError(
                N_("{name}={value}: expected one of {allowed}"),
                name=BACKEND_ENV,
                value=repr(override),
                allowed=allowed,
            )
        return override
    if platform == "darwin":
        return "macos"
    if platform == "win32":
        return "windows"
    return "linux"


def autostart_for(
    platform: str = sys.platform,
    *,
    environ: Mapping[str, str],
    home: Path,
    launcher: LaunchCommand,
    winreg_module: Winreg | None = None,
    run_command: RunCommand = subprocess.run,
    uid: int | None = None,
) -> Autostart:
    """The `Autostart` for this user on `platform`. Raises ConfigError for a bad override."""
    name = backend_name(platform, environ)
    if name == "macos":
        from tray_app.autostart.macos import MacOSAutostart, agent_path

        return MacOSAutostart(
            path=agent_path(home),
            launcher=launcher,
            uid=_current_uid() if uid is None else uid,
            run_command=run_command,
        )
    if name == "windows":
        from tray_app.autostart.windows import WindowsAutostart

        return WindowsAutostart(launcher=launcher, winreg_module=winreg_module)
    from tray_app.autostart.linux import LinuxAutostart

    return LinuxAutostart.for_user(environ=environ, home=home, launcher=launcher)


def _current_uid() -> int:
    # os.getuid does not exist on Windows, where a forced macOS backend is only ever a test.
    getuid = getattr(os, "getuid", None)
    return int(getuid()) if getuid is not None else -1
