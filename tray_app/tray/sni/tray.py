"""`SniTray`: the tray port (run / show / stop) as a native StatusNotifierItem.

Threads:
- The item is on the bus and registered with the watcher from construction on; `run()` blocks
  the main thread until `stop()`, like pystray's `Icon.run()`, and runs `setup` on its own
  thread (as pystray does), so the app's start-up code is not special-cased.
- `show()` is called from any thread (the poller, menu actions). It renders the badge's
  pixmaps on the calling thread, only when the badge changed, and hands the new state to the
  asyncio loop, which owns every D-Bus object. Updates keep their order.
- D-Bus handlers (clicks, `Activate`) never run app code on the loop: the `Action` goes to a
  one-thread worker, so the app's callback may take the monitor's lock or start a poll while
  the menu keeps answering.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable

from tray_app.core.badge import BadgeKind, BadgeSpec, state_badge
from tray_app.core.view import MenuAction, MenuRow, TrayView
from tray_app.support.aio_loop import AsyncioThread
from tray_app.tray.badge_renderer import BadgeRenderer
from tray_app.tray.sni.dbusmenu import MENU_PATH, DbusMenu
from tray_app.tray.sni.item import ITEM_PATH, ItemState, StatusNotifierItem, state_for
from tray_app.tray.sni.menu_model import MenuIds, build_menu
from tray_app.tray.sni.pixmaps import Pixmap, badge_pixmaps
from tray_app.tray.sni.service import SniService

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
#: How long `run()` waits for the name to be released after `stop()` before returning anyway.
CLOSE_TIMEOUT_S = 3.0


class SniTray:
    """A StatusNotifierItem + dbusmenu on the session bus, driven by `TrayView`s."""

    backend = "sni"
    has_menu = True

    def __init__(
        self,
        on_action: Callable[[MenuAction], None],
        loop: AsyncioThread,
        *,
        renderer: BadgeRenderer | None = None,
        bus_address: str | None = None,
        bus_name: str | None = None,
    ) -> None:
        self._on_action = on_action
        self._loop = loop
        self._renderer = renderer or BadgeRenderer()
        self._lock = threading.Lock()
        self._default_action: MenuAction | None = None
        self._badge: BadgeSpec = state_badge(BadgeKind.STARTING)
        self._pixmaps: tuple[Pixmap, ...] = badge_pixmaps(self._badge, self._renderer)
        self._ids = MenuIds()  # used on the loop's thread only
        self._worker = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="lensmor-tray-action"
        )
        self._stop_requested = threading.Event()
        self._closed = threading.Event()
        self._item = StatusNotifierItem(
            ItemState("Lensmor: starting…", "", self._pixmaps), self._activate
        )
        self._menu = DbusMenu(build_menu((), self._ids), self._dispatch)
        self._service = SniService(
            {ITEM_PATH: self._item, MENU_PATH: self._menu},
            item_path=ITEM_PATH,
            bus_address=bus_address,
            bus_name=bus_name,
        )
        loop.start()
        try:
            loop.submit(self._service.connect()).result(timeout=CONNECT_TIMEOUT_S)
        except BaseException:
            self._worker.shutdown(wait=False)
            raise
        # Register now, not in run(): the panel shows the icon (the "starting" ring) while the
        # app is still building the rest of itself; start → icon is a benchmarked figure.
        loop.submit(self._service.follow_watcher())

    @property
    def bus_name(self) -> str:
        return self._service.bus_name

    @property
    def registrations(self) -> int:
        return self._service.registrations

    # -- the tray port -----------------------------------------------------------------------
    def run(self, setup: Callable[[], None]) -> None:
        """Run `setup` on its own thread, block until `stop()`."""
        threading.Thread(
            target=self._run_setup, args=(setup,), name="lensmor-tray-setup", daemon=True
        ).start()
        while not self._stop_requested.wait(3600):
            pass
        if not self._closed.wait(CLOSE_TIMEOUT_S):
            log.warning("the tray item was not removed from the bus within %.0f s", CLOSE_TIMEOUT_S)

    @staticmethod
    def _run_setup(setup: Callable[[], None]) -> None:
        try:
            setup()
        except Exception:
            log.exception("the tray's start-up callback failed")

    def show(self, view: TrayView) -> None:
        """Show `view`. Safe from any thread; returns without waiting for the bus."""
        with self._lock:
            self._default_action = view.default_action
            if view.badge != self._badge:
                self._badge = view.badge
                self._pixmaps = badge_pixmaps(view.badge, self._renderer)
            state = state_for(view, self._pixmaps)
            if self._stop_requested.is_set():
                return  # quitting: the item is leaving the bus (a last poll may still report)
            # Inside the lock: two concurrent show() calls reach the loop in the same order.
            self._loop.call_soon(self._apply, state, view.rows)

    def notify_icon(self) -> object | None:
        """None: notifications are the notifier chain's job, over D-Bus (no pystray icon)."""
        return None

    def stop(self) -> None:
        """Remove the item (release the name, disconnect) and let `run()` return."""
        if self._stop_requested.is_set():
            return
        self._worker.shutdown(wait=False)
        try:
            closing = self._loop.submit(self._service.close())
        except RuntimeError:  # the loop is already gone: nothing left on the bus
            self._closed.set()
        else:
            closing.add_done_callback(lambda _future: self._closed.set())
        self._stop_requested.set()

    # -- on the loop's thread ----------------------------------------------------------------
    def _apply(self, state: ItemState, rows: tuple[MenuRow, ...]) -> None:
        self._item.update(state)
        self._menu.update(build_menu(rows, self._ids))

    def _activate(self) -> None:
        # A plain attribute read (no lock): show() may be rendering under the lock right now.
        action = self._default_action
        if action is not None:
            self._dispatch(action)

    def _dispatch(self, action: MenuAction) -> None:
        try:
            self._worker.submit(self._run_action, action)
        except RuntimeError:
            log.debug("menu action %s after stop: ignored", action.value)

    # -- on the worker thread ----------------------------------------------------------------
    def _run_action(self, action: MenuAction) -> None:
        try:
            self._on_action(action)
        except Exception:
            log.exception("menu action %s failed", action.value)
