"""Is there a tray host to dock into? Checked before the icon is shown, and waited for at login.

Two kinds of host exist on Linux: an XEmbed system tray (owner of the X selection
`_NET_SYSTEM_TRAY_S<screen>`; trayer, stalonetray, XFCE, MATE) and a StatusNotifier host
(`org.kde.StatusNotifierWatcher` on the session bus; KDE, GNOME with the AppIndicator
extension). At login the panel may start after us, so with `--autostart` the app waits for one
(bounded) instead of failing to dock — the same problem aw-qt solved by waiting for the tray.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from tray_app.core.language import N_
from tray_app.support.aio_loop import AsyncioThread
from tray_app.support.dbus_wire import name_has_owner

log = logging.getLogger(__name__)

SNI_WATCHER = "org.kde.StatusNotifierWatcher"
PROBE_TIMEOUT_S = 1.0
#: A bus answers the plain-socket probe in about a millisecond; a slower one is asked again
#: through dbus-fast.
WIRE_PROBE_TIMEOUT_S = 0.5


def xembed_tray_present(display_name: str | None) -> bool:
    """Whether the X selection `_NET_SYSTEM_TRAY_S<screen>` has an owner on `display_name`.

    Asked of libX11 itself through ctypes: GTK has it loaded anyway on the XEmbed path, where
    importing python-xlib for this one question cost the start 14 ms and the idle tray 1-2 MB
    (issue 20; python-xlib is still used by pystray's xorg backend and our dock keeper)."""
    x11 = _libx11()
    if x11 is None or not display_name:
        return False
    display = x11.XOpenDisplay(display_name.encode())
    if not display:
        return False
    try:
        name = f"_NET_SYSTEM_TRAY_S{x11.XDefaultScreen(display)}".encode()
        atom = x11.XInternAtom(display, name, False)
        return bool(atom) and bool(x11.XGetSelectionOwner(display, atom))
    finally:
        x11.XCloseDisplay(display)


def _libx11() -> Any:
    """libX11 with the signatures used here, or None where it cannot be loaded."""
    import ctypes

    try:
        x11 = ctypes.CDLL("libX11.so.6")
    except OSError:
        return None
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
    x11.XDefaultScreen.restype = ctypes.c_int
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XGetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XGetSelectionOwner.restype = ctypes.c_ulong
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.restype = ctypes.c_int
    return x11


def sni_watcher_present(environ: Mapping[str, str], loop: AsyncioThread | None = None) -> bool:
    """Whether `org.kde.StatusNotifierWatcher` has an owner on the session bus (~1 s at most).

    On the app's shared asyncio thread when given (the app passes it: every D-Bus connection
    of the process then lives and dies on one loop), else on a short-lived loop of its own.
    Asked over a plain socket first (support/dbus_wire.py: about 1 ms, where importing
    dbus-fast to ask cost a start 60 ms); dbus-fast only when that cannot tell.
    """
    address = environ.get("DBUS_SESSION_BUS_ADDRESS")
    answer = name_has_owner(SNI_WATCHER, address, WIRE_PROBE_TIMEOUT_S)
    if answer is not None:
        return answer
    probe = _name_has_owner(SNI_WATCHER, address)
    try:
        if loop is None:
            return asyncio.run(probe)
        return loop.start().submit(probe).result(3 * PROBE_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - no bus, no dbus-fast, a timeout: no StatusNotifier host
        return False


async def _name_has_owner(name: str, bus_address: str | None) -> bool:
    from dbus_fast import BusType, Message, MessageType
    from dbus_fast.aio import MessageBus

    if bus_address:
        bus = MessageBus(bus_address=bus_address)
    else:
        bus = MessageBus(bus_type=BusType.SESSION)
    await asyncio.wait_for(bus.connect(), PROBE_TIMEOUT_S)
    try:
        reply = await asyncio.wait_for(
            bus.call(
                Message(
                    destination="org.freedesktop.DBus",
                    path="/org/freedesktop/DBus",
                    interface="org.freedesktop.DBus",
                    member="NameHasOwner",
                    signature="s",
                    body=[name],
                )
            ),
            PROBE_TIMEOUT_S,
        )
    finally:
        # Wait until dbus-fast has closed the socket and left the loop: a bus dropped
        # half-closed was suspected of closing a reused fd later (seen once on XFCE).
        bus.disconnect()
        with contextlib.suppress(Exception):
            waiting = bus.wait_for_disconnect()  # type: ignore[no-untyped-call]
            await asyncio.wait_for(waiting, PROBE_TIMEOUT_S)
    return bool(reply.message_type is MessageType.METHOD_RETURN and reply.body[0])


def xembed_tray_present_in(environ: Mapping[str, str]) -> bool:
    return xembed_tray_present(environ.get("DISPLAY"))


def tray_host_present(environ: Mapping[str, str], loop: AsyncioThread | None = None) -> bool:
    """Either kind of tray host: a StatusNotifier watcher or an XEmbed system tray.

    The watcher is asked first: its plain-socket probe takes about a millisecond, and on the
    desktops that have one the XEmbed probe would load ctypes and libX11 into a process that
    never uses them otherwise (the native item needs neither)."""
    if sys.platform != "linux":
        return True  # Windows and macOS always have a notification area / menu bar
    return sni_watcher_present(environ, loop) or xembed_tray_present(environ.get("DISPLAY"))


def wait_for_tray_host(
    environ: Mapping[str, str],
    timeout: float,
    *,
    present: Callable[[Mapping[str, str]], bool] = tray_host_present,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> bool:
    """Poll for a tray host for up to `timeout` seconds. True when one is there."""
    deadline = monotonic() + timeout
    while True:
        if present(environ):
            return True
        if monotonic() >= deadline:
            return False
        sleep(1.0)


def no_tray_message(environ: Mapping[str, str]) -> str:
    """Why there is no tray and what to do, in English (marked for translation: a caller that
    shows it to a person translates it)."""
    desktop = environ.get("XDG_CURRENT_DESKTOP", "").upper()
    if "GNOME" in desktop:
        return N_(
            "no system tray found: GNOME needs the 'AppIndicator and KStatusNotifierItem "
            "Support' extension (Debian/Ubuntu: gnome-shell-extension-appindicator); "
            "notifications still work"
        )
    if environ.get("WAYLAND_DISPLAY") and not environ.get("DISPLAY"):
        return N_(
            "no system tray found: this Wayland session has no StatusNotifier host; use a "
            "panel with a tray (waybar, KDE, XFCE) — notifications still work"
        )
    return N_(
        "no system tray found on this desktop: start a panel with a tray; notifications still work"
    )
