"""A real, private, headless Linux desktop for end-to-end tests.

`DesktopSession` starts an X server (Xvfb), a private D-Bus session bus, a system-tray host
(trayer), a notification server (dunst) and a D-Bus monitor that records every Notify call,
all inside a fresh temporary directory that serves as HOME, TMPDIR and the XDG directories.
Every service is waited for (polled against a deadline, never slept for) and everything is
stopped in reverse order by PID when the session closes, so nothing outlives a test.

Facts this relies on are in /work/shared/desktop-testing.md; the ones that shaped the code:

* The bus runs from our own configuration file, not `--session`: the stock session
  configuration lists /usr/share/dbus-1/services, from which the bus *activates* dunst on
  the first Notify call (and the accessibility bus, dconf, ...). That would make "the
  notification server is down" impossible to test and would leave processes the harness
  never started. Our bus activates nothing.
* Child processes get `NO_AT_BRIDGE=1` and `GSETTINGS_BACKEND=memory` so GTK neither looks
  for an accessibility bus nor for dconf.
* The forked dbus-daemon is not our child: it is stopped by the PID it printed.

The parts live in package-private modules, by job; `DesktopSession` composes them, and every
name is imported from here:

* `_harness_base.py`: paths, the environment passed through, tools, errors, process helpers.
* `_harness_processes.py`: `SessionCore`: the private directories, the child environment,
  starting and stopping processes by PID, waiting for a service to be ready.
* `_harness_x.py`: Xvfb, screenshots, window geometry, popup menus (`WindowInfo`).
* `_harness_bus.py`: the private session bus (`BUS_CONFIG`).
* `_harness_tray.py`: the tray host (trayer) and its docked icons.
* `_harness_notifications.py`: dunst and the Notify calls recorded on the bus (`NotifyCall`).
* `_harness_input.py`: clicks and keys through xdotool.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.support.waiting import DEFAULT_INTERVAL_S, WaitTimeout, poll_until

from ._harness_base import (
    ARTIFACTS_DIR,
    BUS_TOOLS,
    NOTIFICATION_TOOLS,
    PASSTHROUGH_ENV,
    POLL_INTERVAL,
    REPO_ROOT,
    TRAY_TOOLS,
    XVFB_TOOLS,
    DesktopError,
    StartupError,
    _cmdline,
    _die_with_parent,
    _is_alive,
    _Service,
    _tail,
    missing_tools,
)
from ._harness_bus import BUS_CONFIG, BusMixin
from ._harness_input import InputMixin
from ._harness_notifications import (
    DUNSTRC,
    NOTIFICATIONS_NAME,
    NotificationsMixin,
    NotifyCall,
    parse_notify_log,
)
from ._harness_processes import SessionCore
from ._harness_tray import TRAY_SELECTION, TrayHostMixin
from ._harness_x import WindowInfo, XServerMixin

__all__ = [
    "ARTIFACTS_DIR",
    "BUS_CONFIG",
    "BUS_TOOLS",
    "DEFAULT_INTERVAL_S",
    "DUNSTRC",
    "NOTIFICATIONS_NAME",
    "NOTIFICATION_TOOLS",
    "PASSTHROUGH_ENV",
    "POLL_INTERVAL",
    "REPO_ROOT",
    "TRAY_SELECTION",
    "TRAY_TOOLS",
    "XVFB_TOOLS",
    "BusMixin",
    "DesktopError",
    "DesktopSession",
    "InputMixin",
    "NotificationsMixin",
    "NotifyCall",
    "SessionCore",
    "StartupError",
    "TrayHostMixin",
    "WaitTimeout",
    "WindowInfo",
    "XServerMixin",
    "_Service",
    "_cmdline",
    "_die_with_parent",
    "_is_alive",
    "_tail",
    "missing_tools",
    "parse_notify_log",
    "poll_until",
]


class DesktopSession(InputMixin, NotificationsMixin, TrayHostMixin, BusMixin, XServerMixin):
    """A private headless desktop; use as a context manager.

    >>> with DesktopSession(tray=True, notifications=True) as desktop:
    ...     app = desktop.popen([sys.executable, "-m", "tray_app"])
    ...     icon = desktop.wait_for_tray_icon(timeout=10)
    """

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> DesktopSession:
        self.start()
        return self

    def start(self) -> None:
        missing = missing_tools(tray=self.want_tray, notifications=self.want_notifications)
        if missing:
            raise StartupError("missing tools: " + ", ".join(missing))
        self._root = Path(tempfile.mkdtemp(prefix="desktop-"))
        for path in [self.home, self.tmpdir, self.runtime_dir, self.log_dir]:
            path.mkdir(mode=0o700)
        for value in self._xdg().values():
            Path(value).mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            self._start_xvfb()
            if self.want_tray or self.want_notifications:
                self._start_bus()
            if self.want_tray:
                self.start_tray()
            if self.want_notifications:
                self.start_notifications()
                self._start_monitor()
        except BaseException:
            self.close()
            raise
