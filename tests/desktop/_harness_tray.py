"""Part of the headless desktop harness (tests/desktop/harness.py; import from there): the
system-tray host (trayer) and the icons docked in it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.support.waiting import WaitTimeout, poll_until

from ._harness_base import DesktopError
from ._harness_x import WindowInfo, XServerMixin

if TYPE_CHECKING:
    from PIL import Image

TRAY_SELECTION = "_NET_SYSTEM_TRAY_S0"


class TrayHostMixin(XServerMixin):
    """Starts, stops and restarts trayer; finds the docked icons and their pixels."""

    # -- 3. tray host --------------------------------------------------------------------

    @property
    def tray_running(self) -> bool:
        service = self._services.get("trayer")
        return service is not None and service.proc is not None and service.proc.poll() is None

    def tray_owner(self) -> int:
        """The X window owning the system-tray selection, 0 if no tray host runs."""
        atom = self._x.intern_atom(TRAY_SELECTION)
        owner = self._x.get_selection_owner(atom)
        return int(getattr(owner, "id", owner) or 0)

    def start_tray(self) -> None:
        """Start trayer and wait until it owns the system-tray selection."""
        if self.tray_running:
            raise DesktopError("trayer already runs")
        self._services.pop("trayer", None)
        started = time.monotonic()
        service = self._launch(
            "trayer",
            [
                "trayer",
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
                "--height",
                "32",
                "--SetDockType",
                "true",
                "--transparent",
                "false",
            ],
        )
        # Also wait for the panel to be mapped, so tray_window() and clicks work at once.
        self._wait_ready(
            service,
            lambda: self.tray_owner() and self.tray_window(),
            f"{TRAY_SELECTION} has no owner or the panel is not mapped",
            started,
        )

    def stop_tray(self, *, sig: int = signal.SIGTERM) -> None:
        """Stop the tray host (SIGKILL to simulate a crash) and wait for the selection to free."""
        service = self._services.get("trayer")
        if service is None or service.proc is None:
            raise DesktopError("trayer is not running")
        with contextlib.suppress(ProcessLookupError):
            os.kill(service.pid, sig)
        self._kill_pid(service.pid, service.proc)
        del self._services["trayer"]
        poll_until(lambda: self.tray_owner() == 0, 5.0, f"{TRAY_SELECTION} still owned")

    def request_dock_again(self) -> int:
        """Send the System Tray Protocol's SYSTEM_TRAY_REQUEST_DOCK for every XEmbed window
        still sitting on the root window, as tray_app/tray/xorg_dock.py does for the app;
        return how many were asked for. For the harness's bare pystray app, whose xorg
        backend asks once and never again (moses-palmer/pystray#186)."""
        from Xlib import X, error
        from Xlib.protocol import event

        owner = self.tray_owner()
        if not owner:
            return 0
        manager = self._x.create_resource_object("window", owner)
        xembed = self._x.intern_atom("_XEMBED_INFO")
        opcode = self._x.intern_atom("_NET_SYSTEM_TRAY_OPCODE")
        asked = 0
        for window in self._x.screen().root.query_tree().children:
            try:
                if window.get_full_property(xembed, X.AnyPropertyType) is None:
                    continue
            except error.XError:
                continue
            request_dock = 0
            message = event.ClientMessage(
                window=manager,
                client_type=opcode,
                data=(32, [X.CurrentTime, request_dock, window.id, 0, 0]),
            )
            manager.send_event(message, event_mask=X.NoEventMask)
            asked += 1
        self._x.flush()
        return asked

    def restart_tray(self) -> None:
        self.stop_tray()
        self.start_tray()

    def tray_window(self) -> WindowInfo | None:
        """The tray host's visible panel window."""
        service = self._services.get("trayer")
        if service is None:
            return None
        for window in self._pid_windows(service.pid):
            info = self._window_info(window)
            if info is not None:
                return info
        return None

    def tray_icons(self) -> list[WindowInfo]:
        """Docked icons: visible windows carrying _XEMBED_INFO below the tray host's panel."""
        from Xlib import X, error

        service = self._services.get("trayer")
        if service is None:
            return []
        xembed = self._x.intern_atom("_XEMBED_INFO")
        icons: list[WindowInfo] = []

        def walk(window: Any) -> None:
            try:
                children = window.query_tree().children
            except error.XError:
                return
            for child in children:
                try:
                    embedded = child.get_full_property(xembed, X.AnyPropertyType) is not None
                except error.XError:
                    continue
                info = self._window_info(child) if embedded else None
                if info is not None and info.width > 1 and info.height > 1:
                    icons.append(info)
                else:
                    walk(child)

        for top in self._pid_windows(service.pid):
            walk(top)
        return sorted(icons, key=lambda icon: (icon.x, icon.y))

    def wait_for_tray_icon(
        self, timeout: float = 10.0, count: int = 1, settle: float = 0.15
    ) -> WindowInfo:
        """Wait until `count` icons are docked and keep their geometry for `settle` seconds;
        return the leftmost one.

        Freshly docked GTK icons are first laid out narrow (16 px) and then resized, so a
        geometry read at the first sight of the window may already be stale.
        """
        last: list[WindowInfo] = []
        since = time.monotonic()

        def docked() -> list[WindowInfo] | None:
            nonlocal last, since
            found = self.tray_icons()
            if found != last:
                last, since = found, time.monotonic()
                return None
            return found if len(found) >= count and time.monotonic() - since >= settle else None

        try:
            icons = poll_until(docked, timeout, f"{count} docked tray icon(s)")
        except WaitTimeout as exc:
            raise WaitTimeout(
                f"{exc}; saw {last}; trayer stderr tail:\n{self._log_tail('trayer')}"
            ) from None
        return icons[0]

    def wait_for_icon_image(
        self, check: Callable[[Image.Image], bool], timeout: float = 5.0, index: int = 0
    ) -> Image.Image:
        """Wait until the `index`-th docked icon's pixels pass `check`; return them.

        An icon window is mapped before its client paints it, so the first screenshot after
        docking may show the tray's background.
        """
        seen: list[Image.Image] = []

        def painted() -> Image.Image | None:
            icons = self.tray_icons()
            if len(icons) <= index:
                return None
            image = self.icon_image(icons[index])
            seen[:] = [image]
            return image if check(image) else None

        try:
            return poll_until(painted, timeout, f"icon {index} to show the expected pixels")
        except WaitTimeout as exc:
            colours = seen[0].getcolors(1 << 16) if seen else None
            top = sorted(colours or [], reverse=True)[:3]
            raise WaitTimeout(f"{exc}; last look, most common colours: {top}") from None

    def wait_for_no_tray_icon(self, timeout: float = 5.0) -> None:
        poll_until(lambda: not self.tray_icons(), timeout, "tray icons to go away")

    def icon_image(self, icon: WindowInfo) -> Image.Image:
        """The pixels of a docked icon, cut from a fresh screenshot."""
        return self.screenshot().crop(icon.box)
