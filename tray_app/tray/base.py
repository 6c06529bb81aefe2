"""The `Tray` interface every tray implements: the native StatusNotifierItem (sni/tray.py),
pystray (pystray_tray.py) and the headless tray (headless.py). The app talks to this and to
nothing backend-specific."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tray_app.core.view import TrayView


class Tray(Protocol):
    #: Which implementation runs: "sni", "headless", or pystray's backend ("gtk", "xorg", ...).
    @property
    def backend(self) -> str: ...

    #: False where the host can show no menu (pystray's xorg backend): the app says so.
    @property
    def has_menu(self) -> bool: ...

    def show(self, view: TrayView) -> None:
        """Show `view` (any thread)."""

    def run(self, setup: Callable[[], None]) -> None:
        """Run the tray's loop on this thread until `stop`; `setup` runs once it is up."""

    def stop(self) -> None:
        """End the loop (any thread)."""

    def notify_icon(self) -> object | None:
        """The pystray icon the last-resort notifier can show a balloon on, else None."""
