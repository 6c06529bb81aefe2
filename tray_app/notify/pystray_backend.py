"""Notifications through the tray icon itself (pystray's `Icon.notify`).

What pystray does per backend (0.19.5):

* gtk / appindicator: a Notify call over Gio D-Bus with an empty app name and a temporary
  copy of the tray image as icon, scheduled on the GTK main loop with `GLib.idle_add`, whose
  wrapper swallows every exception. So `notify` "succeeds" even with no notification server,
  and the chain would never reach its log sink. Before handing over, this backend therefore
  asks the bus whether anyone owns or can activate org.freedesktop.Notifications (Gio is
  there whenever these backends are). It reuses one notification id, so a new notification
  replaces the previous one on screen.
* xorg: `HAS_NOTIFICATION` is False and `notify` raises NotImplementedError.
* win32: a balloon on the app's own tray icon (no extra icon per notification, unlike plyer),
  raised synchronously; its text fields have the same fixed sizes as plyer's.
* darwin: `osascript -e 'display notification ...'`, synchronous, raises on failure.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from tray_app.notify.base import (
    WINDOWS_BODY_UNITS,
    WINDOWS_TITLE_UNITS,
    Notification,
    NotifyError,
    clip_utf16,
    describe,
)

# A pystray.Icon, or a callable returning the current one (None before the tray is up).
# Typed loosely because pystray ships no type information.
IconSource = Any | Callable[[], Any]

NOTIFICATIONS_NAME = "org.freedesktop.Notifications"

# pystray backends whose notify() talks D-Bus on the GTK main loop and hides the outcome.
_BLIND_DBUS_BACKENDS = frozenset({"pystray._gtk", "pystray._appindicator"})

# Milliseconds for each bus-daemon question; the daemon itself answers at once.
_BUS_QUERY_TIMEOUT_MS = 2000


def notification_server_available() -> bool:
    """Whether the session bus has, or can start, a notification server (via Gio)."""
    from gi.repository import Gio, GLib

    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)

    def ask(method: str, args: Any) -> Any:
        reply = bus.call_sync(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            method,
            args,
            None,
            Gio.DBusCallFlags.NONE,
            _BUS_QUERY_TIMEOUT_MS,
            None,
        )
        return reply.unpack()[0]

    if ask("NameHasOwner", GLib.Variant("(s)", (NOTIFICATIONS_NAME,))):
        return True
    # Not running yet, but the bus would start it on the first Notify call.
    return NOTIFICATIONS_NAME in ask("ListActivatableNames", None)


class PystrayNotifier:
    """Shows notifications with `icon.notify(body, title)` where the backend supports it."""

    name = "pystray"

    def __init__(
        self,
        icon: IconSource,
        *,
        platform: str = sys.platform,
        server_check: Callable[[], bool] = notification_server_available,
    ) -> None:
        self._icon = icon
        self._platform = platform
        self._server_check = server_check

    def current_icon(self) -> Any:
        # A pystray.Icon is not callable, so a callable here is a provider of the current icon.
        return self._icon() if callable(self._icon) else self._icon

    def send(self, n: Notification) -> None:
        icon = self.current_icon()
        if icon is None:
            raise NotifyError("no tray icon yet")
        backend = type(icon).__module__
        if not getattr(icon, "HAS_NOTIFICATION", False):
            raise NotifyError(f"pystray backend {backend} cannot show notifications")
        # On gtk/appindicator the notifier object only exists once the icon runs; before that
        # the call would fail inside the main loop, where nobody sees it.
        if not getattr(icon, "visible", False):
            raise NotifyError("the tray icon is not shown")
        if backend in _BLIND_DBUS_BACKENDS:
            self._require_server(backend)
        title, body = n.title, n.plain_body
        if self._platform == "win32":
            title = clip_utf16(title, WINDOWS_TITLE_UNITS)
            body = clip_utf16(body, WINDOWS_BODY_UNITS)
        try:
            icon.notify(body, title)
        except Exception as exc:  # any backend error is a failed delivery, never a crash
            raise NotifyError(f"{backend}: {describe(exc)}") from exc

    def ready(self) -> bool:
        """Cheap check for the chain: a notification server is on the bus again."""
        return bool(self._server_check())

    def _require_server(self, backend: str) -> None:
        try:
            available = self._server_check()
        except Exception as exc:  # no bus or no Gio: nothing would arrive either
            raise NotifyError(f"{backend}: cannot ask the session bus: {describe(exc)}") from exc
        if not available:
            raise NotifyError(f"{backend}: no notification server on the session bus")
