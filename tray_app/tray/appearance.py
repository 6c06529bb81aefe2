"""Is the panel dark or light? For the monochrome badge's ink.

Linux: the freedesktop appearance setting, read once through the desktop portal:
`org.freedesktop.portal.Settings.Read("org.freedesktop.appearance", "color-scheme")` on the
session bus (xdg-desktop-portal, the interface documented at
https://flatpak.github.io/xdg-desktop-portal/docs/doc-org.freedesktop.portal.Settings.html):
1 = prefer dark, 2 = prefer light, 0 = no preference. Best effort with a short timeout: no bus,
no portal, no dbus-python, an old portal without the key or a slow answer all mean "unknown".
The whole read is bounded, connecting included: libdbus's connection to a bus that accepts and
never answers (a hung dbus-daemon) waits with no bound (minutes in the tests), so the read runs
in a daemon thread and whoever asks waits at most the timeout (a window must open at once).

Unknown and "no preference" are drawn for a light panel (dark ink), the freedesktop default
appearance. Known exception, left to the user: GNOME Shell's top bar is dark whatever the
preference; `badge_style = "number"` (a coloured body) reads on both.

macOS draws the monochrome badge as a template image (the menu bar tints it), so the answer
there does not matter; Windows' notification area follows the taskbar, dark by default since
Windows 10 1903, which we do not query: light is assumed there too.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from tray_app.tray.badge_palette import Panel

log = logging.getLogger(__name__)

PORTAL_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SETTINGS_INTERFACE = "org.freedesktop.portal.Settings"
APPEARANCE_NAMESPACE = "org.freedesktop.appearance"
COLOR_SCHEME_KEY = "color-scheme"
PREFER_DARK = 1
#: The portal answers in milliseconds; a desktop that takes longer gets the default.
PORTAL_TIMEOUT_S = 0.5


def panel_for_color_scheme(value: int | None) -> Panel:
    """The panel to draw for a portal color-scheme value (None: unknown)."""
    return Panel.DARK if value == PREFER_DARK else Panel.LIGHT


def read_color_scheme(
    timeout_s: float = PORTAL_TIMEOUT_S, bus_address: str | None = None
) -> int | None:
    """The desktop's color-scheme preference from the portal, or None when it cannot be read
    within `timeout_s`, from the connection to the answer.

    `bus_address` defaults to the session bus (libdbus reads DBUS_SESSION_BUS_ADDRESS once per
    process, so a caller that knows better passes the address).
    """
    answer: list[int | None] = []

    def read() -> None:
        answer.append(_read_color_scheme(timeout_s, bus_address))

    # A daemon thread: one stuck in libdbus is left behind and does not hold up the exit.
    reader = threading.Thread(target=read, name="colour-scheme", daemon=True)
    reader.start()
    reader.join(timeout_s)
    if not answer:
        log.debug("no colour scheme within %.1f s: the session bus did not answer", timeout_s)
        return None
    return answer[0]


def _read_color_scheme(timeout_s: float, bus_address: str | None) -> int | None:
    try:
        import dbus
        import dbus.bus

        bus = dbus.bus.BusConnection(bus_address) if bus_address else dbus.SessionBus(private=True)
    except Exception as exc:  # noqa: BLE001 - no dbus-python, no session bus: unknown
        log.debug("no session bus for the colour scheme: %s", type(exc).__name__)
        return None
    try:
        reply = bus.call_blocking(
            PORTAL_NAME,
            PORTAL_PATH,
            SETTINGS_INTERFACE,
            "Read",
            "ss",
            (APPEARANCE_NAMESPACE, COLOR_SCHEME_KEY),
            timeout=timeout_s,
        )
    except Exception as exc:  # noqa: BLE001 - no portal, no key, timeout: unknown
        log.debug("no colour scheme from the desktop portal: %s", type(exc).__name__)
        return None
    finally:
        bus.close()
    return _as_scheme(reply)


def _as_scheme(reply: Any) -> int | None:
    # Read returns the value wrapped in a variant, and portals before 1.15 wrap it twice;
    # dbus-python unwraps both into one Python value (an UInt32 here).
    if isinstance(reply, int | float) and not isinstance(reply, bool) and 0 <= reply <= 2:
        return int(reply)
    return None


def desktop_panel(
    platform: str, timeout_s: float = PORTAL_TIMEOUT_S, bus_address: str | None = None
) -> Panel:
    """The panel brightness to assume on `platform` (sys.platform)."""
    if platform.startswith("linux"):
        return panel_for_color_scheme(read_color_scheme(timeout_s, bus_address))
    return Panel.LIGHT
