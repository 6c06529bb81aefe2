"""Native notifications through plyer (2.1.0), with its silent failure modes made loud.

plyer picks one implementation per platform, once per process (its `notification` proxy):

* Linux, in this order (plyer/platforms/linux/notification.py `instance()`):
  1. a directory `/app` exists -> the Flatpak portal, by running `gdbus call` with the text
     pasted into a GVariant literal, output discarded, exit status unchecked. `/app` is also
     the usual WORKDIR of Docker images, so outside a real Flatpak this path is refused here.
  2. `import dbus` works -> a direct Notify call with dbus-python: app name, icon, timeout and
     hints honoured; errors raise (ServiceUnknown when no notification server owns the name).
     Against a server that holds the name but never answers, dbus-python's introspection
     of it blocks for libdbus's default 25 s, and then the Notify call is not even sent
     (without introspection data the empty `actions` list has no signature: ValueError,
     measured). That is why the chain bounds each send itself.
  3. else `notify-send`: plyer warns, then passes the icon and timeout under keys the
     implementation never reads (`icon`, `expire_time`), so both are dropped, and ignores the
     exit status. A failure is invisible, so this path counts as a failure here and the chain
     falls back to a backend that can tell (kivy/plyer#658 shows the warning it prints).
  4. else the facade, which raises NotImplementedError.
* Windows: every notification runs in a new plyer thread that registers a window class,
  adds its own tray icon, sleeps `timeout` seconds and removes it. Hence a stray icon per
  notification (kivy/plyer#752, #798) and, after many, "Shell_NotifyIconW failed" until the
  user logs out (kivy/plyer#645). Errors are raised inside that thread, never to the caller,
  so `send` cannot see them. The icon must be an .ico (a PNG fails to load and nothing is
  shown) and long text raises in that thread (see base.clip_utf16). `build_default_chain`
  therefore prefers pystray's balloon on the app's own icon on Windows.
* macOS: NSUserNotificationCenter through pyobjus, which is not one of our dependencies;
  without it plyer prints a traceback and raises NotImplementedError. The API is deprecated
  and returns no center for an unbundled interpreter (kivy/plyer#449, #586, #780).

Title and body go through unchanged on Linux: plyer does not cut them and the notification
spec sets no length limit (the server may wrap or ellipsize what it draws; the bus carries the
whole text). Only Windows has fixed field sizes, handled by clipping with an ellipsis.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import logging
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

from tray_app.notify.base import (
    APP_NAME,
    URGENCY_LEVELS,
    WINDOWS_BODY_UNITS,
    WINDOWS_TITLE_UNITS,
    Notification,
    NotifyError,
    clip_utf16,
    describe,
)
from tray_app.support import resources

_log = logging.getLogger(__name__)

LinuxRoute = Literal["dbus", "portal", "not-flatpak", "notify-send", "none"]

# Why a route cannot be used; routes missing here are usable.
_REFUSED: Final[Mapping[LinuxRoute, str]] = MappingProxyType(
    {
        "not-flatpak": "/app exists but this is not a Flatpak: plyer would send to the portal, "
        "which fails without a trace",
        "notify-send": "dbus-python is not importable: plyer would run notify-send, which drops "
        "the icon and timeout and hides failures",
        "none": "neither dbus-python nor notify-send is available "
        "(plyer raises NotImplementedError)",
    }
)

_ROUTE_TEXT: Final[Mapping[LinuxRoute, str]] = MappingProxyType(
    {
        "dbus": "plyer notifies over D-Bus (dbus-python)",
        "portal": "plyer notifies through the Flatpak portal (gdbus); delivery cannot be confirmed",
        **_REFUSED,
    }
)

# For notifications a mid-size image reads best; the largest one is only a fallback.


def linux_route(
    *, app_dir: bool, flatpak: bool, has_dbus: bool, has_notify_send: bool
) -> LinuxRoute:
    """The implementation plyer 2.1.0 will pick on Linux, given what this system has."""
    if app_dir:
        return "portal" if flatpak else "not-flatpak"
    if has_dbus:
        return "dbus"
    return "notify-send" if has_notify_send else "none"


def detect_linux_route() -> LinuxRoute:
    """`linux_route` for this process: the same checks plyer makes, in the same order."""
    return linux_route(
        app_dir=os.path.isdir("/app"),
        flatpak=os.path.exists("/.flatpak-info") or "FLATPAK_ID" in os.environ,
        has_dbus=_importable_dbus(),
        has_notify_send=shutil.which("notify-send") is not None,
    )


def _importable_dbus() -> bool:
    # plyer decides with a real import (a broken build fails here, not at find_spec).
    try:
        import dbus  # noqa: F401
    except ImportError:
        return False
    return True


def find_app_icon(platform: str = sys.platform, assets_dir: Path | None = None) -> str:
    """Absolute path of the notification icon, or "" when there is none.

    Windows needs an .ico (plyer loads it with LoadImageW(IMAGE_ICON)); elsewhere a PNG near
    128 px, which notification servers show well.
    """
    suffix = ".ico" if platform == "win32" else ".png"
    path = resources.find_app_icon(128, suffix=suffix, directory=assets_dir)
    return str(path) if path is not None else ""


class PlyerNotifier:
    """Sends through `plyer.notification`; every way it can fail becomes NotifyError.

    `timeout` is in whole seconds, as plyer takes it. On the D-Bus route a critical
    notification is sent with timeout 0 ("never expires" in the notification spec): running
    out of credits should wait for the user. Windows never gets 0: plyer would remove the
    balloon at once.
    """

    name = "plyer"

    def __init__(
        self,
        *,
        app_name: str = APP_NAME,
        timeout: int = 10,
        icon: str | Callable[[], str] = find_app_icon,
        platform: str = sys.platform,
        route: Callable[[], LinuxRoute] = detect_linux_route,
        server_check: Callable[[], bool] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._server_check = server_check
        self.app_name = app_name
        self.timeout = timeout
        self._icon = icon
        self._platform = platform
        self._detect_route = route
        self._log = logger or _log
        self._route: LinuxRoute | None = None

    @property
    def route(self) -> LinuxRoute:
        """The Linux route plyer takes; detected once and logged once."""
        if self._route is None:
            self._route = self._detect_route()
            self._log.info("%s", _ROUTE_TEXT[self._route])
        return self._route

    def icon_path(self) -> str:
        try:
            return self._icon() if callable(self._icon) else self._icon
        except Exception as exc:  # noqa: BLE001 - no icon must not cost the notification
            self._log.debug("no app icon for notifications: %s", describe(exc))
            return ""

    def send(self, n: Notification) -> None:
        self._check_usable()
        kwargs = self._arguments(n)
        try:
            from plyer import notification

            notification.notify(**kwargs)
        except Exception as exc:  # NotImplementedError, DBusException, ...: all one failure
            raise NotifyError(describe(exc)) from exc

    def ready(self) -> bool:
        """Cheap check for the chain: on the D-Bus route, a notification server is on the bus
        again. Elsewhere there is nothing cheap to ask, so the chain's retry window applies."""
        if not (self._platform.startswith("linux") and self.route == "dbus"):
            return False
        if self._server_check is not None:
            return self._server_check()
        from tray_app.notify.pystray_backend import notification_server_available

        return notification_server_available()

    def _check_usable(self) -> None:
        if self._platform.startswith("linux"):
            reason = _REFUSED.get(self.route)
            if reason is not None:
                raise NotifyError(reason)
        elif self._platform == "darwin" and importlib.util.find_spec("pyobjus") is None:
            raise NotifyError("plyer needs pyobjus on macOS, which is not installed")

    def _arguments(self, n: Notification) -> dict[str, Any]:
        title, body, timeout = n.title, n.plain_body, self.timeout
        # plyer#658: a None icon makes dbus-python reject the whole call, so always a string.
        kwargs: dict[str, Any] = {"app_name": self.app_name, "app_icon": self.icon_path()}
        if self._platform == "win32":
            title = clip_utf16(title, WINDOWS_TITLE_UNITS)
            body = clip_utf16(body, WINDOWS_BODY_UNITS)
            timeout = max(timeout, 1)
        elif self._platform.startswith("linux") and self.route == "dbus":
            import dbus

            # The spec types the urgency hint as a byte; a plain int would go as int32.
            kwargs["hints"] = {"urgency": dbus.Byte(URGENCY_LEVELS[n.urgency])}
            if n.urgency == "critical":
                timeout = 0
        elif self._platform.startswith("linux") and self.route == "portal":
            # The portal text is pasted between single quotes into a GVariant literal.
            title, body = title.replace("'", "\u2019"), body.replace("'", "\u2019")
        kwargs.update(title=title, message=body, timeout=timeout)
        return kwargs
