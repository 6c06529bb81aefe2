"""The pystray adapter: turns a `TrayView` into an icon image, a title and a menu.

Policy lives in `core/view.py`; this module only translates. Rules it keeps:
- `Icon.run()` owns the main thread (macOS requires it); everything else calls `show()` from
  other threads, and `show()` hands the update to the UI thread (pystray's macOS backend
  crashes when the menu is changed off the main thread; gtk/appindicator marshal themselves
  through GLib.idle_add, which we keep using for every update).
- The badge is re-rendered only when the `BadgeSpec` changes (rendering is the costly part).
- The menu is built again only when its rows change in more than their words; new words go
  into the GTK menu already built (`tray/gtk_menu_labels.py`).
- Each platform gets the badge drawn for the size it shows (`badge_geometry`): Windows its small
  icon size per DPI (16/20/24/32 px), macOS 22 pt at 2x (a 44 px image handed over as 22 pt,
  a template image for the monochrome style), Linux 32 px times the GDK scale for the
  appindicator/gtk panels (the native StatusNotifierItem hands over every size itself).
- pystray chooses its backend at import (`PYSTRAY_BACKEND` or the platform), and the xorg
  backend opens the display at import, so pystray is imported lazily here, never at start-up.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tray_app.core.badge import BadgeKind, BadgeSpec, BadgeStyle, state_badge
from tray_app.core.view import MenuAction, MenuRow, TrayView
from tray_app.tray.badge_renderer import BadgeRenderer
from tray_app.tray.gtk_menu_labels import labels_of, menu_shape, show_words, text_at, texts_of
from tray_app.tray.menu_slots import words_for_shown
from tray_app.tray.xorg_quirks import icon_class_for, latin1_title

if TYPE_CHECKING:
    from tray_app.tray.xorg_bridge import XorgBridge
    from tray_app.tray.xorg_dock import XorgDockKeeper

log = logging.getLogger(__name__)


def gi_backend_available(name: str) -> bool:
    """Whether pystray's `name` backend (gtk or appindicator) can import its GObject parts."""
    try:
        import gi

        gi.require_version("Gtk", "3.0")
        if name == "appindicator":
            try:
                gi.require_version("AyatanaAppIndicator3", "0.1")
            except ValueError:
                gi.require_version("AppIndicator3", "0.1")
        from gi.repository import Gtk  # noqa: F401
    except (ImportError, ValueError):
        return False
    return True


def _one_line_for_a_lost_display(record: logging.LogRecord) -> bool:
    """pystray's xorg loop logs the end of the X connection at ERROR with a traceback; it is
    how a session ends, and `_let_go_of_the_display` says it in one line instead."""
    error = record.exc_info[1] if record.exc_info else None
    return type(error).__name__ != "ConnectionClosedError"  # Xlib.error's, by name: no import


class PystrayTray:
    """Owns the pystray Icon. `run()` blocks the calling (main) thread until `stop()`."""

    def __init__(
        self,
        on_action: Callable[[MenuAction], None],
        *,
        renderer: BadgeRenderer | None = None,
        icon_size: int | None = None,
    ) -> None:
        import pystray

        self._pystray = pystray
        self._on_action = on_action
        self._renderer = renderer or BadgeRenderer()
        self.backend = pystray.Icon.__module__.rsplit(".", 1)[-1].lstrip("_")
        self._size, self._scale = (icon_size, 1) if icon_size else badge_geometry(self.backend)
        self._panel_known = False
        self._spec = state_badge(BadgeKind.STARTING)
        self._lock = threading.Lock()
        self._view: TrayView | None = None
        #: The rows the native menu was last built or relabelled from (UI thread only), and
        #: the words its pystray items read (`_items`).
        self._menu_rows: tuple[MenuRow, ...] | None = None
        self._on_hide: int | None = None  # the open menu's "hide" handler, while held
        self._texts: dict[tuple[int, ...], str] = {}
        #: The path of each pystray item built (by id), and the GTK labels found for them in
        #: pystray's Gtk.Menu (with that menu, to notice another one), for `_relabel`.
        self._paths: dict[int, tuple[int, ...]] = {}
        self._labels: tuple[Any, dict[tuple[int, ...], tuple[Any, bool]]] | None = None
        self._dock_keeper: XorgDockKeeper | None = None
        self._bridge: XorgBridge | None = None
        # pystray refuses to show an icon without an image: start with the "starting" badge.
        self._icon: Any = icon_class_for(pystray.Icon, self.backend)(
            "lensmor-tray",
            icon=self._render(state_badge(BadgeKind.STARTING)),
            title=self._title("Lensmor: starting…"),
        )
        if self.backend == "win32":
            self._icon._assert_icon_handle = self._win32_icon_handle
        self.has_menu = bool(getattr(self._icon, "HAS_MENU", False))
        self._can_notify = bool(getattr(self._icon, "HAS_NOTIFICATION", False))

    def notify_icon(self) -> object | None:
        """pystray's icon where its backend can show a notification (notify/pystray_backend.py)."""
        return self._icon if self._can_notify else None

    def run(self, setup: Callable[[], None]) -> None:
        sigint_handler = signal.getsignal(signal.SIGINT)

        def _setup(icon: Any) -> None:
            icon.visible = True
            self._keep_docked()
            self._restore_sigint(sigint_handler)
            setup()

        if self.backend == "xorg":
            self._icon._log.addFilter(_one_line_for_a_lost_display)
            self._show_before_the_loop()
        try:
            self._icon.run(setup=_setup)
        except Exception as exc:  # noqa: BLE001 - see below
            # pystray's gtk/appindicator backends close their last notification over D-Bus
            # when the loop ends, and raise GLib.GError (ServiceUnknown) when no notification
            # server is running. The app is quitting anyway: log it, do not crash.
            log.warning("the tray loop ended with %s", type(exc).__name__)
        if self.backend == "xorg":
            self._let_go_of_the_display()

    def _let_go_of_the_display(self) -> None:
        """Close pystray's X connection here, once its loop has ended, and tell pystray.

        Otherwise its `Icon.__del__` destroys the window and closes the display as the app
        exits, and when the X server is gone by then, Python prints what that raises as a
        traceback ("Exception ignored in ... __del__"). The server goes away when the
        session ends (the loop then ends on the lost connection), and also just after a quit:
        Ctrl-C on `xvfb-run make run` stops the app and Xvfb together."""
        display = self._icon._display
        if display.display.socket_error is not None:  # python-xlib: set once it has ended
            log.warning("the X display connection closed (the session ended?): quitting")
        else:
            try:
                display.close()  # the window goes with the connection
            except Exception as exc:  # noqa: BLE001 - python-xlib's errors of a dying server
                log.debug("closing the X display at quit: %s", type(exc).__name__)
        self._icon._running = False  # the loop is over: nothing for __del__ to stop
        display.close = lambda: None  # closed here, or gone with the server

    def _restore_sigint(self, handler: Any) -> None:
        """Put back the SIGINT handler pystray's GTK backends replace when their loop starts.

        pystray/_util/gtk.py (GtkIcon._initialize) resets SIGINT to SIG_DFL; the handler is
        re-installed from the GLib loop's own thread, the main thread, as Python requires.
        """
        if self.backend not in ("gtk", "appindicator") or not callable(handler):
            return
        from gi.repository import GLib

        def reinstall() -> bool:
            signal.signal(signal.SIGINT, handler)
            return False  # run once (GLib idle semantics)

        GLib.idle_add(reinstall)

    def _show_before_the_loop(self) -> None:
        # pystray's xorg backend makes the icon visible from the setup thread while its main
        # loop handles the window's first Expose; two threads on one python-xlib connection
        # then deadlock now and again (main thread in get_geometry, setup thread waiting for
        # its dock request to be handled; seen in ~1 start in 10 under load, the icon never
        # appears and the app never starts polling). Showing it here, on the main thread
        # before the loop runs, sends everything from one thread. pystray's dispatcher runs a
        # call directly when `_thread` is the current thread; `_run` sets the same value.
        self._icon._thread = threading.current_thread()
        self._icon.visible = True
        from tray_app.tray.xorg_bridge import XorgBridge

        self._bridge = XorgBridge.install(self._icon, os.environ.get("DISPLAY"))

    def _keep_docked(self) -> None:
        if self.backend != "xorg":
            return
        from tray_app.tray.xorg_dock import XorgDockKeeper

        # pystray keeps its X window private; its id is all the keeper needs.
        window = getattr(self._icon, "_window", None)
        if window is None:
            return
        self._dock_keeper = XorgDockKeeper(int(window.id), os.environ.get("DISPLAY"))
        self._dock_keeper.start()

    def stop(self) -> None:
        if self._dock_keeper is not None:
            self._dock_keeper.stop()
        if self._bridge is not None:
            # Also from a signal handler, which runs on the main-loop thread between two of
            # its X calls: queue it like any other update instead of re-entering Xlib.
            self._bridge.call(self._stop_now)
        else:
            self._stop_now()

    def _stop_now(self) -> None:
        self._icon.visible = False
        self._icon.stop()

    def show(self, view: TrayView) -> None:
        """Show `view`. Safe from any thread."""
        with self._lock:
            previous, self._view = self._view, view
        if previous is not None and previous.badge == view.badge:
            image = None
        else:
            image = self._render(view.badge)
        self._on_ui_thread(lambda: self._apply(view, image))

    def _render(self, spec: BadgeSpec) -> Any:
        if spec.style is BadgeStyle.MONOCHROME and not self._panel_known:
            # Asked once, and only for the style that needs it (a D-Bus round trip on Linux).
            from tray_app.tray.appearance import desktop_panel

            self._renderer.panel = desktop_panel(sys.platform)
            self._panel_known = True
        self._spec = spec
        return self._renderer.render(spec, self._size, scale=self._scale)

    def _win32_icon_handle(self) -> None:  # pragma: no cover - Windows only
        """pystray's `_assert_icon_handle`, loading the icon at the small-icon size.

        pystray 0.19.5 saves the image as a one-size ICO and loads it with LR_DEFAULTSIZE,
        which means SM_CXICON (32 px at 100 %): the shell then shrinks that to the 16 px tray
        slot itself. Here the ICO carries our own drawing for each small-icon size (16/20/24/32
        px for 100-200 % DPI) and LoadImage asks for the one the system uses now.
        """
        import tempfile

        from pystray._util import win32

        icon = self._icon
        if icon._icon_handle:
            return
        data = windows_icon_bytes(self._renderer, self._spec)
        with tempfile.NamedTemporaryFile(suffix=".ico", delete=False) as handle:
            handle.write(data)
        try:
            icon._icon_handle = win32.LoadImage(
                None, handle.name, win32.IMAGE_ICON, self._size, self._size, win32.LR_LOADFROMFILE
            )
        finally:
            os.unlink(handle.name)

    def _apply(self, view: TrayView, image: Any) -> None:
        if image is not None:
            self._icon.icon = image
            if self.backend == "darwin":
                _darwin_show_at_scale(
                    self._icon,
                    image,
                    self._size,
                    template=view.badge.style is BadgeStyle.MONOCHROME,
                )
        title = self._title(view.title)
        if self._icon.title != title:
            self._icon.title = title
        if not self._relabel(view.rows) and not self._hold_while_open(view.rows):
            self._build_menu(view.rows)

    def _build_menu(self, rows: tuple[MenuRow, ...]) -> None:
        # The menu setter rebuilds the native menu itself (pystray _base.Icon.menu); calling
        # update_menu() again built it twice per change (22 % of a re-render poll's CPU).
        self._texts, self._paths, self._labels = {}, {}, None
        self._icon.menu = self._pystray.Menu(*self._items(rows, ()))
        self._menu_rows = rows

    def _hold_while_open(self, rows: tuple[MenuRow, ...]) -> bool:
        """An open GTK menu whose rows changed gets their new words (rows gone: greyed out) and
        is built again once it closes, as the native item's (sni/dbusmenu.py does the same)."""
        gtk_menu: Any = getattr(self._icon, "_menu_handle", None)
        shown = self._menu_rows is not None and self.backend in ("gtk", "appindicator")
        labels = self._labels_of_menu() if shown and gtk_menu and gtk_menu.get_visible() else None
        if labels is None or self._menu_rows is None:
            return False
        show_words(gtk_menu, labels, *words_for_shown(self._menu_rows, rows))
        if self._on_hide is None:
            self._on_hide = gtk_menu.connect("hide", self._menu_closed)
        return True

    def _menu_closed(self, gtk_menu: Any) -> None:
        gtk_menu.disconnect(self._on_hide)
        self._on_hide, view = None, self._view
        if view is not None:  # after the signal, not inside the closing menu's own handler
            self._on_ui_thread(lambda: self._build_menu(view.rows))

    def _relabel(self, rows: tuple[MenuRow, ...]) -> bool:
        """Put the words of `rows` into the GTK menu on screen when nothing but words changed
        since it was built (tray/gtk_menu_labels.py); False: the menu needs building."""
        if self._menu_rows is None or self.backend not in ("gtk", "appindicator"):
            return False
        if menu_shape(rows) != menu_shape(self._menu_rows):
            return False
        labels = self._labels_of_menu()
        if labels is None:
            return False

        texts: dict[tuple[int, ...], str] = {}
        texts_of(rows, texts, ())
        changed = {path: text for path, text in texts.items() if text != self._texts.get(path)}
        show_words(getattr(self._icon, "_menu_handle", None), labels, changed)
        # In place: the pystray items read their words from it (see `_items`), so pystray's
        # own menu says the same as the one on screen if it is ever built from it again.
        self._texts.update(texts)
        self._menu_rows = rows
        return True

    def _labels_of_menu(self) -> dict[tuple[int, ...], tuple[Any, bool]] | None:
        """The GTK label of each row (by path) and whether it is the bold default, found once
        per menu pystray built (`_menu_handle`, pystray's); None when it cannot be paired."""
        gtk_menu = getattr(self._icon, "_menu_handle", None)
        if gtk_menu is None:
            return None
        if self._labels is None or self._labels[0] is not gtk_menu:
            pairs = labels_of(self._icon.menu, gtk_menu, self._pystray.Menu.SEPARATOR)
            if pairs is None:
                return None
            found: dict[tuple[int, ...], tuple[Any, bool]] = {}
            for item, label in pairs:
                path = self._paths.get(id(item))
                if path is None:  # not an item of ours: a menu someone else set
                    return None
                found[path] = (label, bool(item.default))
            self._labels = (gtk_menu, found)
        return self._labels[1]

    def _title(self, text: str) -> str:
        if self.backend != "xorg":
            return text
        return latin1_title(text)

    def _items(self, rows: tuple[MenuRow, ...], path: tuple[int, ...]) -> list[Any]:
        """pystray items for `rows`; each reads its words from `_texts` under its path (the
        row's indices), so new words need no new items (`_relabel`)."""
        pystray = self._pystray
        items: list[Any] = []
        for i, row in enumerate(rows):
            here = (*path, i)
            self._texts[here] = row.text
            text = functools.partial(text_at, self._texts, here)
            if row.separator:
                items.append(pystray.Menu.SEPARATOR)
                continue
            if row.children:
                submenu = pystray.Menu(*self._items(row.children, here))
                item = pystray.MenuItem(text, submenu)
            else:
                item = self._item(row, text)
            self._paths[id(item)] = here  # the items live as long as the menu holding them
            items.append(item)
        return items

    def _item(self, row: MenuRow, text: Callable[[Any], str]) -> Any:
        action = row.action
        callback = (lambda _icon, _item: None) if action is None else self._callback(action)
        checked = None if row.checked is None else (lambda _item, v=row.checked: v)
        return self._pystray.MenuItem(
            text,
            callback,
            default=row.default,
            checked=checked,
            # Read-only rows are shown enabled on purpose: greyed-out text is hard to read, and
            # their callback does nothing.
            enabled=row.enabled,
        )

    def _callback(self, action: MenuAction) -> Callable[[Any, Any], None]:
        def run(_icon: Any, _item: Any) -> None:
            try:
                self._on_action(action)
            except Exception:
                log.exception("menu action %s failed", action.value)

        return run

    def _on_ui_thread(self, fn: Callable[[], None]) -> None:
        if self.backend in ("gtk", "appindicator"):
            from gi.repository import GLib

            def once() -> bool:
                fn()
                return False

            GLib.idle_add(once)
        elif self.backend == "darwin":
            from PyObjCTools import AppHelper  # type: ignore[import-not-found]

            AppHelper.callAfter(fn)
        elif self._bridge is not None:
            self._bridge.call(fn)
        else:
            # win32 posts window messages to its own thread: safe from any thread.
            fn()


def badge_geometry(backend: str) -> tuple[int, int]:
    """(logical size, scale) to draw the badge at for this backend.

    macOS: the menu bar is 22 pt; drawing 22 at 2x gives the 44 px a Retina screen shows (and
    a non-Retina screen halves cleanly). Elsewhere the pixel size is what the host shows.
    """
    if backend == "darwin" and "LENSMOR_TRAY_ICON_SIZE" not in os.environ:
        return (MACOS_MENU_BAR_PT, 2)
    return (preferred_icon_size(backend), 1)


#: Windows' small icon (SM_CXSMICON) at 100, 125, 150 and 200 % display scaling.
WINDOWS_TRAY_SIZES = (16, 20, 24, 32)


def windows_icon_bytes(renderer: BadgeRenderer, spec: BadgeSpec) -> bytes:
    """An .ico file with the badge drawn for each of `WINDOWS_TRAY_SIZES` (not rescaled)."""
    images = [renderer.render(spec, size) for size in WINDOWS_TRAY_SIZES]
    buffer = io.BytesIO()
    images[-1].save(
        buffer,
        format="ICO",
        sizes=[image.size for image in images],
        append_images=images[:-1],
    )
    return buffer.getvalue()


#: The height of the macOS menu bar's status items, in points.
MACOS_MENU_BAR_PT = 22


def _darwin_show_at_scale(icon: Any, image: Any, points: int, *, template: bool) -> None:
    """Give the status item our image as `points` x `points` pt, and mark it a template.

    pystray 0.19.5 resizes every image to the status bar's thickness in *pixels* (its
    `_assert_image`), which would halve a 44 px badge to 22 px and blur it on Retina, and it has
    no template flag. So the NSImage is made here, its size set in points (AppKit then uses
    the 44 px representation on Retina screens) and `setTemplate_` set for the monochrome
    style (the menu bar tints a template image to match light, dark and selected states).
    Cached in pystray's `_icon_image`, whose size check then skips its own conversion.
    Not run on Linux CI: written against AppKit's documented NSImage API.
    """
    try:  # pragma: no cover - macOS only
        import AppKit  # type: ignore[import-not-found]
        import Foundation  # type: ignore[import-not-found]

        buffer = io.BytesIO()
        image.save(buffer, "png")
        ns_image = AppKit.NSImage.alloc().initWithData_(Foundation.NSData(buffer.getvalue()))
        ns_image.setSize_(Foundation.NSMakeSize(points, points))
        ns_image.setTemplate_(template)
        icon._icon_image = ns_image
        icon._status_item.button().setImage_(ns_image)
    except Exception:
        log.debug("could not hand macOS the 2x badge", exc_info=True)


def preferred_icon_size(backend: str) -> int:
    """The pixel size to render the badge at for this backend (HiDPI aware where we can ask).

    gtk/appindicator get a PNG file that the panel scales; we render at the panel's usual
    size times the GDK scale factor, so the panel downscales little or not at all.
    """
    override = os.environ.get("LENSMOR_TRAY_ICON_SIZE", "")
    if override.isdigit() and 16 <= int(override) <= 256:
        return int(override)
    if backend == "win32":
        return _windows_small_icon_size()
    if backend == "darwin":
        return 44  # 22 pt menu bar icon at 2x
    scale = os.environ.get("GDK_SCALE", "1")
    factor = int(scale) if scale.isdigit() and 1 <= int(scale) <= 4 else 1
    return 32 * factor


def _windows_small_icon_size() -> int:  # pragma: no cover - Windows only
    try:
        import ctypes

        user32 = ctypes.windll.user32  # type: ignore[attr-defined]
        sm_cxsmicon = 49
        return int(user32.GetSystemMetrics(sm_cxsmicon)) or 16
    except (AttributeError, OSError):
        return 16
