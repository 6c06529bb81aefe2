"""The tray used when no tray can be shown: the app keeps polling, notifying and writing its
feed files; the view goes to the debug log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from tray_app.core.view import TrayView

log = logging.getLogger(__name__)


class HeadlessTray:
    backend = "headless"
    has_menu = False

    def __init__(self) -> None:
        self._stop = threading.Event()

    def notify_icon(self) -> object | None:
        return None

    def show(self, view: TrayView) -> None:
        log.debug("no tray; would show: %s", view.title)

    def run(self, setup: Callable[[], None]) -> None:
        setup()
        while not self._stop.wait(3600):
            pass

    def stop(self) -> None:
        self._stop.set()
