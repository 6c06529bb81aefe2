"""Part of the headless desktop harness (tests/desktop/harness.py; import from there): its
paths, the environment passed through, the tools each service needs, its errors, and the
process helpers (die with the test process, read a log's tail, is a PID alive).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.waiting import DEFAULT_INTERVAL_S

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "desktop"

# How often readiness is polled. Small enough to add nothing noticeable to start-up, large
# enough not to busy-loop a 2-core CI machine.
POLL_INTERVAL = DEFAULT_INTERVAL_S

# Environment variables passed through from the test runner. Everything else (DISPLAY,
# WAYLAND_DISPLAY, XAUTHORITY, SESSION_MANAGER, XDG_CURRENT_DESKTOP, ...) could point at a
# real desktop and is dropped on purpose.
PASSTHROUGH_ENV = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "COVERAGE_PROCESS_START",
)

# Tools each part of the stack needs, checked before anything starts.
XVFB_TOOLS = ("Xvfb", "xdotool")
BUS_TOOLS = ("dbus-daemon", "dbus-send")
TRAY_TOOLS = ("trayer",)
NOTIFICATION_TOOLS = ("dunst", "dunstctl", "dbus-monitor")


class DesktopError(Exception):
    """Something in the headless desktop did not behave."""


class StartupError(DesktopError):
    """A service did not come up; the message names it and ends with its stderr."""


@dataclass
class _Service:
    """A started process: our child (`proc`) or a daemon that forked away (`proc` is None)."""

    name: str
    pid: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None


def missing_tools(*, tray: bool = True, notifications: bool = True) -> list[str]:
    """Executables and Python modules the requested stack needs but cannot find."""
    tools = [*XVFB_TOOLS]
    if tray or notifications:
        tools += BUS_TOOLS
    if tray:
        tools += TRAY_TOOLS
    if notifications:
        tools += NOTIFICATION_TOOLS
    missing = [tool for tool in tools if shutil.which(tool) is None]
    for module in ("Xlib", "PIL"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"python module {module}")
    try:
        from PIL import features

        if not features.check("xcb"):
            missing.append("Pillow built with XCB (ImageGrab on X)")
    except ImportError:
        pass
    return missing


def _die_with_parent(args: Sequence[str]) -> list[str]:
    """`args` run so that the kernel SIGTERMs the process if the test process dies.

    So even a pytest killed with SIGKILL (a CI timeout) leaves no X server or tray behind.
    `setpriv` (util-linux, essential on Debian) sets the flag and execs, keeping the PID; a
    preexec_fn would do the same but is unsafe when the test process has threads. Only the
    forked dbus-daemon escapes (the flag does not survive its fork); it has no clients left
    once everything else is gone.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *args] if setpriv else list(args)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def _is_alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (dead, waiting for a reaper) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name, which may contain spaces.
    return stat[stat.rindex(")") + 2] not in "ZX"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
