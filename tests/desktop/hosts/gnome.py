"""gnome-shell 43 --headless with Debian's AppIndicator extension (Ubuntu's default tray).

The extension (ubuntu-appindicators@ubuntu.com) is the StatusNotifierWatcher and the host.
What the recipe (/work/shared/desktops/gnome/) found and this follows:

* gnome-shell talks to logind on the *system* bus and dies without one; a private, empty
  system bus is enough (the logind calls then fail softly).
* Settings come from a key file (no dconf-service on a bus that activates nothing); it
  enables the extension and skips the welcome dialog.
* GNOME serves org.freedesktop.Notifications from a gjs helper the bus would activate; it is
  started by hand.
* Screenshots: org.gnome.Shell.Screenshot answers only allow-listed callers; the owner of
  org.gnome.Screenshot is one, so the session's client takes that name.
* Clicks: mutter's RemoteDesktop API (a virtual pointer; relative moves only, since absolute
  ones need a PipeWire stream). While a RemoteDesktop session runs, the shell shows a
  screen-sharing indicator that shifts the tray icons left, so positions are taken from a
  screenshot made during the session.

"Restarting the panel" here is disabling and re-enabling the extension through the shell's
D-Bus API: the watcher goes away and comes back, as when the shell restarts, without paying
gnome-shell's start-up time again.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from dbus_fast import Variant

from ..harness import DesktopError, poll_until
from .base import HostSession

if TYPE_CHECKING:
    from PIL import Image

EXTENSION = "ubuntu-appindicators@ubuntu.com"
NOTIFICATIONS_HELPER = "/usr/share/gnome-shell/org.gnome.Shell.Notifications"
SHELL = "org.gnome.Shell"
REMOTE_DESKTOP = "org.gnome.Mutter.RemoteDesktop"
SESSION_IFACE = "org.gnome.Mutter.RemoteDesktop.Session"
# evdev button codes
BUTTONS = {1: 0x110, 2: 0x112, 3: 0x111}
KEYSYMS = {"Escape": 0xFF1B}

KEYFILE = f"""[org/gnome/shell]
enabled-extensions=['{EXTENSION}']
disable-user-extensions=false
welcome-dialog-last-shown-version='99'
"""


class GnomeHost(HostSession):
    name = "gnome"
    tools = ("gnome-shell", "gjs", "dbus-daemon", NOTIFICATIONS_HELPER)
    icon_size = 16  # the extension's default icon size in the top bar
    screen = "1024x600"

    def __init__(self, startup_timeout: float = 60.0) -> None:
        super().__init__(startup_timeout)
        self._shots = 0
        self._pointer_session: str | None = None

    def _start_services(self) -> None:
        self.extra_env.update(DBUS_SYSTEM_BUS_ADDRESS=self.start_bus("system"))
        self.start_bus()
        settings = self.home / ".config" / "glib-2.0" / "settings"
        settings.mkdir(parents=True)
        (settings / "keyfile").write_text(KEYFILE)
        shell_env = dict(
            self.env,
            GSETTINGS_BACKEND="keyfile",
            XDG_SESSION_TYPE="wayland",
            XDG_CURRENT_DESKTOP="GNOME",
        )
        started = time.monotonic()
        shell = self.launch(
            "gnome-shell",
            [
                "gnome-shell",
                "--headless",
                "--wayland",
                "--no-x11",
                "--virtual-monitor",
                self.screen,
            ],
            env=shell_env,
        )
        self.wait_ready(
            shell, lambda: self.client.name_has_owner(SHELL), f"{SHELL} has no owner", started
        )
        self.wait_for_watcher(shell, started)
        started = time.monotonic()
        helper = self.launch("gnome-notifications", ["gjs", NOTIFICATIONS_HELPER])
        self.wait_ready(
            helper,
            lambda: self.client.name_has_owner("org.freedesktop.Notifications"),
            "org.freedesktop.Notifications has no owner",
            started,
        )
        # The app, as on a GNOME session (it does not get the shell's key-file settings).
        self.extra_env.update(
            WAYLAND_DISPLAY="wayland-0",
            GDK_BACKEND="wayland",
            XDG_SESSION_TYPE="wayland",
            XDG_CURRENT_DESKTOP="GNOME",
            GSETTINGS_BACKEND="memory",
        )
        # Allow-listed for org.gnome.Shell.Screenshot (see the module docstring).
        self.client.request_name("org.gnome.Screenshot")
        self.hide_overview()

    def hide_overview(self) -> None:
        """Leave the overview the shell starts in, for a plain desktop behind the top bar
        (a menu then stands out against it, and closing one cannot be mistaken for the
        overview going away).

        The shell ignores the request while its start-up animation runs, so it is repeated
        until the overview is off and stays off.
        """

        def overview_active() -> bool:
            return bool(
                self.client.get_property(SHELL, "/org/gnome/Shell", SHELL, "OverviewActive")
            )

        def hidden() -> bool:
            if overview_active():
                self.client.call_method(
                    SHELL,
                    "/org/gnome/Shell",
                    "org.freedesktop.DBus.Properties",
                    "Set",
                    "ssv",
                    [SHELL, "OverviewActive", Variant("b", False)],
                )
                return False
            time.sleep(0.3)  # not a readiness wait: "still off a moment later"
            return not overview_active()

        poll_until(hidden, 15.0, "the overview to close")

    def close(self) -> None:
        if self._pointer_session is not None and self._client is not None:
            with contextlib.suppress(Exception):  # the shell may be gone already
                self.end_pointer()
        super().close()

    # -- the "panel": the extension that serves the watcher ------------------------------

    def _extension(self, method: str) -> None:
        self.client.call_method(
            SHELL, "/org/gnome/Shell", "org.gnome.Shell.Extensions", method, "s", [EXTENSION]
        )

    def stop_panel(self) -> None:
        self._extension("DisableExtension")
        poll_until(lambda: not self.watcher_present(), 10.0, "the extension's watcher to go")

    def start_panel(self) -> None:
        self._extension("EnableExtension")
        poll_until(self.watcher_present, 10.0, "the extension's watcher")

    # -- screen and input ----------------------------------------------------------------

    def screenshot(self, name: str | None = None) -> Image.Image:
        from PIL import Image

        self._shots += 1
        path = self.root / "tmp" / f"shot-{self._shots}.png"
        ok, used = self.client.call_method(
            "org.gnome.Shell.Screenshot",
            "/org/gnome/Shell/Screenshot",
            "org.gnome.Shell.Screenshot",
            "Screenshot",
            "bbs",
            [False, False, str(path)],
            timeout=15.0,
        )
        if not ok:
            raise DesktopError(f"gnome-shell refused the screenshot ({used})")
        image = Image.open(used)
        image.load()
        if name:
            self.save_image(image, name)
        return image

    def begin_pointer(self) -> None:
        """Start a RemoteDesktop session (the shell then shows its screen-sharing icon)."""
        if self._pointer_session is not None:
            return
        (path,) = self.client.call_method(
            REMOTE_DESKTOP, "/org/gnome/Mutter/RemoteDesktop", REMOTE_DESKTOP, "CreateSession"
        )
        self.client.call_method(REMOTE_DESKTOP, path, SESSION_IFACE, "Start")
        self._pointer_session = str(path)

    def end_pointer(self) -> None:
        if self._pointer_session is None:
            return
        path, self._pointer_session = self._pointer_session, None
        self.client.call_method(REMOTE_DESKTOP, path, SESSION_IFACE, "Stop")

    def _session_call(self, member: str, signature: str, body: list[object]) -> None:
        if self._pointer_session is None:
            raise DesktopError("begin_pointer() first")
        self.client.call_method(
            REMOTE_DESKTOP, self._pointer_session, SESSION_IFACE, member, signature, body
        )

    def move_to(self, x: int, y: int) -> None:
        # Relative moves only: park the pointer in the top-left corner, then walk to (x, y).
        for _ in range(10):
            self._session_call("NotifyPointerMotionRelative", "dd", [-1000.0, -1000.0])
        steps = 20
        for _ in range(steps):
            self._session_call("NotifyPointerMotionRelative", "dd", [x / steps, y / steps])

    def click(self, x: int, y: int, button: int = 1) -> None:
        self.begin_pointer()
        self.move_to(x, y)
        code = BUTTONS[button]
        self._session_call("NotifyPointerButton", "ib", [code, True])
        self._session_call("NotifyPointerButton", "ib", [code, False])

    def key(self, *keys: str) -> None:
        self.begin_pointer()
        for key in keys:
            self._session_call("NotifyKeyboardKeysym", "ub", [KEYSYMS[key], True])
            self._session_call("NotifyKeyboardKeysym", "ub", [KEYSYMS[key], False])
