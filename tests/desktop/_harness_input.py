"""Part of the headless desktop harness (tests/desktop/harness.py; import from there): input
as a user gives it (xdotool): clicks on a docked icon, keys, menus chosen by keyboard.
"""

from __future__ import annotations

import time

from tests.support.waiting import WaitTimeout

from ._harness_tray import TrayHostMixin
from ._harness_x import WindowInfo


class InputMixin(TrayHostMixin):
    """Clicks and keys through xdotool, on the icons and menus the tray host shows."""

    # -- input ---------------------------------------------------------------------------

    def click_icon(self, button: int = 1, icon: WindowInfo | None = None) -> None:
        """Click the middle of a docked icon (the first one when none is given)."""
        target = icon or self.wait_for_tray_icon(timeout=5.0)
        x, y = target.center
        # No --sync: it waits forever when the pointer is already there. The motion and the
        # click travel on one X connection, so the server applies them in order anyway.
        self.run(["xdotool", "mousemove", str(x), str(y), "click", str(button)])

    def key(self, *keys: str) -> None:
        """Type key names (xdotool syntax) into whatever has the keyboard, e.g. a menu."""
        self.run(["xdotool", "key", "--delay", "50", *keys])

    def open_menu(
        self, button: int = 3, icon: WindowInfo | None = None, timeout: float = 6.0
    ) -> WindowInfo:
        """Click the icon with `button` and wait for its menu to map.

        A click that lands while the freshly docked icon is still being set up can be lost;
        the click is repeated (only while no menu is open, so it cannot toggle one shut).
        """
        deadline = time.monotonic() + timeout
        while True:
            self.click_icon(button, icon)
            try:
                return self.wait_for_menu(timeout=min(2.0, max(deadline - time.monotonic(), 0)))
            except WaitTimeout:
                late = self.menus()
                if late:
                    return late[0]
                if time.monotonic() >= deadline:
                    raise

    def choose_menu_item(self, index: int) -> None:
        """Pick the `index`-th (0-based) item of the open menu by keyboard, like a user would.

        Keys are more robust than coordinates: the menu's position and item heights depend on
        the theme and where the tray sits, the keyboard order does not.
        """
        self.key(*(["Down"] * (index + 1)), "Return")
