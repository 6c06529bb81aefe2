"""Which tray implementation this desktop gets: the one place that decides, and builds it.

Linux, in order:
1. `LENSMOR_TRAY` names one explicitly (`sni`, `pystray-xorg`, `pystray-gtk`,
   `pystray-appindicator`, `none`), the way pystray's `PYSTRAY_BACKEND` does; an explicit
   `PYSTRAY_BACKEND` alone still means "pystray with that backend".
2. A StatusNotifier watcher on the session bus (KDE, GNOME + AppIndicator extension, XFCE,
   LXQt, Cinnamon, waybar): our native item (`tray_app.tray.sni`), no GTK needed.
3. Only an XEmbed tray (trayer, stalonetray, i3bar): pystray with a menu when PyGObject is
   importable (appindicator, which libayatana docks as an XEmbed icon whose left click opens
   the menu, as before this module existed; else gtk), and else its xorg backend (badge
   only). All of them re-dock when the tray comes back.
4. No host yet but a session bus: the native item anyway; it registers as soon as a watcher
   appears (a panel starting after the app).

Windows and macOS: pystray with its platform backend.
"""

from __future__ import annotations

import enum
import functools
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tray_app.core.language import N_, Message
from tray_app.core.view import MenuAction
from tray_app.support.aio_loop import AsyncioThread
from tray_app.tray import host_probe as tray_host
from tray_app.tray.base import Tray

log = logging.getLogger(__name__)

TRAY_ENV = "LENSMOR_TRAY"


class TrayKind(str, enum.Enum):
    SNI = "sni"
    #: pystray with the backend it picks itself (Windows, macOS) or PYSTRAY_BACKEND names.
    PYSTRAY = "pystray"
    PYSTRAY_XORG = "pystray-xorg"
    PYSTRAY_GTK = "pystray-gtk"
    PYSTRAY_APPINDICATOR = "pystray-appindicator"
    NONE = "none"

    @property
    def pystray_backend(self) -> str | None:
        """The PYSTRAY_BACKEND value for a pystray kind ("" lets pystray choose)."""
        if self is TrayKind.PYSTRAY:
            return ""
        if self.value.startswith("pystray-"):
            return str(self.value).removeprefix("pystray-")
        return None


@dataclass(frozen=True)
class TrayChoice:
    kind: TrayKind
    #: Why, in a few words, for the log.
    reason: str
    #: The explicit pystray backend for TrayKind.PYSTRAY (from PYSTRAY_BACKEND), if any.
    pystray_backend: str = ""
    #: What the user should be told (no tray yet, no graphical session), or "": a `Message`,
    #: English in the log, worded in the user's language on stderr.
    notice: str = ""


#: No display at all: the tray cannot show anything.
NO_GRAPHICAL_SESSION = N_("no graphical session (DISPLAY is not set)")


def session_bus_reachable(environ: Mapping[str, str]) -> bool:
    """Whether a session bus address is known (set, or the systemd default socket exists)."""
    if environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = environ.get("XDG_RUNTIME_DIR")
    return runtime is not None and Path(runtime, "bus").exists()


def _pystray_menu_backend() -> str | None:
    """The first pystray backend with a menu whose GObject parts import, if any."""
    from tray_app.tray.pystray_tray import gi_backend_available

    for name in ("appindicator", "gtk"):
        if gi_backend_available(name):
            return name
    return None


@dataclass(frozen=True)
class Probes:
    """How the desktop is inspected; tests pass their own."""

    watcher_present: Callable[[Mapping[str, str]], bool] = tray_host.sni_watcher_present
    xembed_present: Callable[[Mapping[str, str]], bool] = tray_host.xembed_tray_present_in
    menu_backend: Callable[[], str | None] = _pystray_menu_backend
    session_bus: Callable[[Mapping[str, str]], bool] = session_bus_reachable

    @classmethod
    def on(cls, loop: AsyncioThread) -> Probes:
        """The default probes, with D-Bus probes run on the app's shared asyncio thread."""
        return cls(watcher_present=functools.partial(tray_host.sni_watcher_present, loop=loop))


def _explicit(environ: Mapping[str, str]) -> TrayChoice | None:
    wanted = environ.get(TRAY_ENV, "").strip().lower()
    if not wanted:
        return None
    try:
        return TrayChoice(TrayKind(wanted), f"{TRAY_ENV}={wanted}")
    except ValueError:
        names = ", ".join(kind.value for kind in TrayKind)
        log.warning(
            "%s=%r is not a tray; use one of: %s (choosing automatically)", TRAY_ENV, wanted, names
        )
        return None


def choose_tray(
    environ: Mapping[str, str], *, platform: str = sys.platform, probes: Probes = Probes()
) -> TrayChoice:
    """The tray implementation for this desktop (see the module docstring for the order).

    On Linux, pystray without any tray host (or without a display) becomes `NONE` with a
    notice, as before, except its xorg backend, whose dock keeper docks the icon when an
    XEmbed tray starts. The native item waits for a watcher: it is kept, with a notice that
    the icon appears when a panel starts.
    """
    choice = _pick(environ, platform, probes)
    if platform != "linux":
        return choice
    if choice.kind is TrayKind.SNI and not probes.watcher_present(environ):
        notice = Message(
            N_("{problem}; the icon appears when a panel starts"),
            problem=Message(tray_host.no_tray_message(environ)),
        )
        return replace(choice, notice=notice)
    if choice.kind.pystray_backend is not None:
        if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
            notice = Message(NO_GRAPHICAL_SESSION)
            return TrayChoice(TrayKind.NONE, notice, notice=notice)
        if not (probes.xembed_present(environ) or probes.watcher_present(environ)):
            notice = Message(tray_host.no_tray_message(environ))
            if choice.kind is TrayKind.PYSTRAY_XORG:
                # Its dock keeper (tray/xorg_dock.py) docks the icon when a tray starts.
                docks = Message(N_("{problem}; the icon docks when a tray starts"), problem=notice)
                return replace(choice, notice=docks)
            return TrayChoice(TrayKind.NONE, "no tray host for pystray", notice=notice)
    return choice


def _pick(  # noqa: PLR0911 - one return per rule of the module docstring's list reads best
    environ: Mapping[str, str], platform: str, probes: Probes
) -> TrayChoice:
    explicit = _explicit(environ)
    if explicit is not None:
        return explicit
    if platform != "linux":
        return TrayChoice(TrayKind.PYSTRAY, f"pystray's {platform} backend")
    pystray_backend = environ.get("PYSTRAY_BACKEND", "").strip()
    if pystray_backend:
        return TrayChoice(TrayKind.PYSTRAY, "PYSTRAY_BACKEND is set", pystray_backend)
    if probes.watcher_present(environ):
        return TrayChoice(TrayKind.SNI, "a StatusNotifier watcher is on the session bus")
    if probes.xembed_present(environ):
        backend = probes.menu_backend()
        if backend is not None:
            return TrayChoice(TrayKind(f"pystray-{backend}"), "an XEmbed tray only; GTK menu")
        return TrayChoice(TrayKind.PYSTRAY_XORG, "an XEmbed tray only, no GTK")
    if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        notice = Message(NO_GRAPHICAL_SESSION)
        return TrayChoice(TrayKind.NONE, notice, notice=notice)
    if probes.session_bus(environ):
        return TrayChoice(TrayKind.SNI, "no tray yet; the item registers when a watcher appears")
    return TrayChoice(TrayKind.PYSTRAY_XORG, "no session bus; X11 tray docking")


def build_tray(choice: TrayChoice, on_action: Callable[[MenuAction], None], loop: Any) -> Tray:
    """The tray object for `choice`; raises whatever its backend raises when it cannot start.

    `loop` is the app's shared `AsyncioThread` (used by the native item only).
    """
    if choice.kind is TrayKind.SNI:
        from tray_app.tray.sni.tray import SniTray

        return SniTray(on_action, loop)
    backend = choice.kind.pystray_backend
    if backend is None:
        raise ValueError(f"{choice.kind.value} is not a tray implementation")
    if backend or choice.pystray_backend:
        # pystray reads it once, at import (tray_app.tray.pystray_tray imports pystray lazily).
        os.environ["PYSTRAY_BACKEND"] = backend or choice.pystray_backend
    from tray_app.tray.pystray_tray import PystrayTray

    return PystrayTray(on_action)
