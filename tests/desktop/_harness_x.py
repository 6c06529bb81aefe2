"""Part of the headless desktop harness (tests/desktop/harness.py; import from there): the X
server (Xvfb) and what is read from it: screenshots, window geometry, popup menus.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.waiting import poll_until

from ._harness_base import StartupError, _Service, _tail
from ._harness_processes import SessionCore

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class WindowInfo:
    """An X window and its geometry in root-window (screen) coordinates."""

    id: int
    x: int
    y: int
    width: int
    height: int

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, upper, right, lower) as Pillow's crop() wants it."""
        return self.x, self.y, self.x + self.width, self.y + self.height


class XServerMixin(SessionCore):
    """Starts Xvfb; screenshots, window geometry and popup menus on it."""

    # -- 1. X server ---------------------------------------------------------------------

    def _start_xvfb(self) -> None:
        started = time.monotonic()
        read_fd, write_fd = os.pipe()
        try:
            service = self._launch(
                "Xvfb",
                [
                    "Xvfb",
                    "-displayfd",
                    str(write_fd),
                    "-screen",
                    "0",
                    self.screen,
                    "-nolisten",
                    "tcp",
                    # Without clients the server would otherwise reset and drop everything.
                    "-noreset",
                ],
                pass_fds=(write_fd,),
            )
            os.close(write_fd)
            write_fd = -1
            number = self._read_display_number(read_fd, service)
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
        self.display = f":{number}"
        from Xlib import display as xdisplay

        self._x = xdisplay.Display(self.display)
        self.startup_times["Xvfb"] = time.monotonic() - started

    def _read_display_number(self, read_fd: int, service: _Service) -> int:
        """Xvfb writes its display number to the fd once it accepts connections."""
        deadline = time.monotonic() + self.startup_timeout
        data = b""
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([read_fd], [], [], max(remaining, 0))
            if not ready:
                raise StartupError(
                    f"Xvfb did not come up (no display number within "
                    f"{self.startup_timeout:.1f} s); stderr tail:\n{_tail(service.log)}"
                )
            chunk = os.read(read_fd, 64)
            if not chunk:  # EOF: Xvfb exited without telling us a display
                if service.proc is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        service.proc.wait(timeout=1)
                raise StartupError(
                    f"Xvfb exited before reporting a display (code "
                    f"{service.proc.returncode if service.proc else '?'}); "
                    f"stderr tail:\n{_tail(service.log)}"
                )
            data += chunk
        return int(data.strip())

    # -- screen --------------------------------------------------------------------------

    def screenshot(self, path: str | os.PathLike[str] | None = None) -> Image.Image:
        """The whole screen, optionally saved as a PNG.

        A bare name ("docked") goes to test-artifacts/desktop/docked.png; a path with a
        directory part is used as given.
        """
        from PIL import ImageGrab

        image = ImageGrab.grab(xdisplay=self.display)
        if path is not None:
            target = Path(path)
            if target.parent == Path():
                target = self.artifacts_dir / target.name
            if target.suffix != ".png":  # "low-1.5" keeps its dot
                target = target.with_name(target.name + ".png")
            target.parent.mkdir(parents=True, exist_ok=True)
            image.save(target)
        return image

    # -- X windows -----------------------------------------------------------------------

    def _window_info(self, window: Any) -> WindowInfo | None:
        from Xlib import X, error

        try:
            attrs = window.get_attributes()
            if attrs.map_state != X.IsViewable:
                return None
            geom = window.get_geometry()
            root = self._x.screen().root
            origin = root.translate_coords(window, 0, 0)
        except error.XError:
            return None  # it went away between listing and asking
        return WindowInfo(window.id, origin.x, origin.y, geom.width, geom.height)

    def _pid_windows(self, pid: int) -> list[Any]:
        """Top-level windows whose _NET_WM_PID is `pid`."""
        from Xlib import X, error

        atom = self._x.intern_atom("_NET_WM_PID")
        found = []
        for window in self._x.screen().root.query_tree().children:
            try:
                prop = window.get_full_property(atom, X.AnyPropertyType)
            except error.XError:
                continue
            if prop is not None and len(prop.value) and int(prop.value[0]) == pid:
                found.append(window)
        return found

    def menus(self) -> list[WindowInfo]:
        """Open popup menus (mapped override-redirect windows typed as menus)."""
        from Xlib import X, error

        wm_type = self._x.intern_atom("_NET_WM_WINDOW_TYPE")
        menu_types = {
            self._x.intern_atom("_NET_WM_WINDOW_TYPE_POPUP_MENU"),
            self._x.intern_atom("_NET_WM_WINDOW_TYPE_DROPDOWN_MENU"),
            self._x.intern_atom("_NET_WM_WINDOW_TYPE_MENU"),
        }
        found = []
        for window in self._x.screen().root.query_tree().children:
            try:
                if not window.get_attributes().override_redirect:
                    continue
                prop = window.get_full_property(wm_type, X.AnyPropertyType)
            except error.XError:
                continue
            if prop is None or not menu_types.intersection(int(v) for v in prop.value):
                continue
            info = self._window_info(window)
            if info is not None:
                found.append(info)
        return found

    def wait_for_menu(self, timeout: float = 5.0) -> WindowInfo:
        """Wait until a popup menu is mapped; return the first one."""

        def first_menu() -> WindowInfo | None:
            menus = self.menus()
            return menus[0] if menus else None

        return poll_until(first_menu, timeout, "a popup menu")
