"""What every Tk window of the app does the same way: the Settings and Usage windows (and the
prompt over Settings) build on this instead of each carrying its own copy.

- `TkWindow`, a base class: the `kind: text` echo on stdout for the desktop tests
  (LENSMOR_TRAY_DIALOG_ECHO=1), focus echo, the one-time "window is on screen" step (`<Map>`),
  the "ready" line, closing, Return on a focused button, showing and hiding a label, and
  background work (a daemon thread whose result is queued and run on the Tk thread by an
  `after` poll, because Tk may only be touched from the thread that created it).
- Functions: the ttk theme, placing a window (centred, a third down, never larger than the
  screen), wrapping a label at
  its cell's width, the title-bar icon, opening the root window (or one line on stderr when
  there is no tkinter or no display), and the main loop.

Tk is imported inside the functions: importing this module costs nothing, and without
tkinter the entry points can still say what to do instead.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar, TypeVar

from tray_app.core.language import Language

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk

T = TypeVar("T")

ECHO_ENV = "LENSMOR_TRAY_DIALOG_ECHO"
WINDOW_CLASS = "lensmor-tray"  # the WM_CLASS of every window, so desktops group them
POLL_MS = 40  # how often the Tk thread looks for finished background work
#: Room left on the screen around a window: panels, docks and the window's title bar.
SCREEN_MARGIN = 64


def echo_requested(environ: Mapping[str, str]) -> bool:
    """LENSMOR_TRAY_DIALOG_ECHO set to anything but "" or "0": print status lines for tests."""
    return environ.get(ECHO_ENV, "") not in ("", "0")


class TkWindow:
    """A window on its own `tk.Tk` root. Subclasses build it, call `bind_common_keys`, and
    override `_shown` (first time on screen), `_return_elsewhere` and `_worker_failed`."""

    #: Echo a line again when it is the same as the last of its kind. The Settings window's
    #: tests wait for changes only; the Usage window's wait for every "period" line.
    ECHO_REPEATS: ClassVar[bool] = False

    def __init__(self, root: tk.Tk, lang: Language, *, echo: bool) -> None:
        self.root = root
        self.lang = lang
        self.echo = echo
        self.exit_code = 0
        self._ready = False
        self._echoed: dict[str, str] = {}
        self._results: queue.Queue[Callable[[], None]] = queue.Queue()
        self._pending = 0

    # -- echo (tests) ------------------------------------------------------------------------

    def say(self, kind: str, text: str, *, force: bool = False) -> None:
        """Echo a status change on stdout for tests (LENSMOR_TRAY_DIALOG_ECHO=1). Never a key."""
        if not self.echo:
            return
        if not (force or self.ECHO_REPEATS) and self._echoed.get(kind) == text:
            return
        self._echoed[kind] = text
        print(f"{kind}: {text}", flush=True)

    def echo_focus(self, widgets: Mapping[str, tk.Misc]) -> None:
        """Say `focus: NAME` whenever one of `widgets` gets the keyboard focus: focus changes
        are the tests' sync points ("Tab reached the thresholds field")."""
        for name, widget in widgets.items():
            widget.bind("<FocusIn>", self._focus_said(name), add=True)

    def _focus_said(self, name: str) -> Callable[[tk.Event[tk.Misc]], None]:
        def say(_event: tk.Event[tk.Misc]) -> None:
            self.say("focus", name, force=True)

        return say

    def announce_ready(self, note: str = "") -> None:
        # The X window of the toplevel (its frame), so tests can find and photograph it.
        self.say("ready", f"window {int(self.root.wm_frame(), 16)}{note}", force=True)

    # -- the window's life -------------------------------------------------------------------

    def bind_common_keys(self) -> None:
        """Escape and the window's close button close it; Return presses the focused button;
        the first `<Map>` runs `_shown`."""
        self.root.bind("<Escape>", lambda _event: self.close())
        self.root.bind("<Return>", self._on_return)
        self.root.bind("<Map>", self._on_map)
        self.root.protocol("WM_DELETE_WINDOW", self.close)

    def _on_map(self, event: tk.Event[tk.Misc]) -> None:
        if self._ready or event.widget is not self.root:
            return
        self._ready = True
        # focus_force also works without a window manager (bare X in tests, some kiosks).
        self.root.focus_force()
        self._shown()

    def _shown(self) -> None:
        """The window is on screen for the first time: focus a widget, announce readiness."""

    def _on_return(self, event: tk.Event[tk.Misc]) -> str:
        from tkinter import ttk

        # Return on a focused button presses it (as Space does); elsewhere it is the window's.
        widget = event.widget
        if isinstance(widget, ttk.Button | ttk.Radiobutton):
            if widget.instate(["!disabled"]):
                widget.invoke()
        else:
            self._return_elsewhere(widget)
        return "break"

    def _return_elsewhere(self, widget: tk.Misc) -> None:
        """Return pressed with the focus on `widget`, not a button: nothing by default."""

    def close(self) -> None:
        self.say("exit", str(self.exit_code), force=True)
        self.root.destroy()

    # -- showing -----------------------------------------------------------------------------

    def show(self, label: ttk.Label, text: str, style: str = "TLabel", kind: str = "") -> None:
        """Set `label`'s text and style; an empty label takes no room. `kind`: echo it."""
        label.configure(text=text, style=style)
        if text:
            label.grid()
        else:
            label.grid_remove()
        if kind:
            self.say(kind, text)

    # -- background work ---------------------------------------------------------------------

    def in_background(self, work: Callable[[], T], done: Callable[[T], None], name: str) -> None:
        """Run `work` in a daemon thread named `name`, then `done(result)` on the Tk thread.
        An exception in `work` goes to `_worker_failed` (in words) instead."""

        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - reported in the window, not lost
                message = self.lang.gettext("Something went wrong: {error}").format(
                    error=f"{type(exc).__name__}: {exc}"
                )
                self._results.put(lambda: self._worker_failed(message))
            else:
                self._results.put(lambda: done(result))

        self._pending += 1
        threading.Thread(target=run, name=name, daemon=True).start()
        if self._pending == 1:
            self.root.after(POLL_MS, self._drain)

    def _drain(self) -> None:
        while True:
            try:
                report = self._results.get_nowait()
            except queue.Empty:
                break
            self._pending -= 1
            report()
        if self._pending > 0:
            self.root.after(POLL_MS, self._drain)

    def _worker_failed(self, message: str) -> None:
        """Background work raised; `message` says what, in the window's language."""
        raise NotImplementedError(message)


# -- functions ---------------------------------------------------------------------------------


def themed_style(root: tk.Misc, *, clam_everywhere: bool = False) -> ttk.Style:
    """The window's ttk style, with the "clam" theme on X11 (the X11 "default" theme looks like
    1995; "clam" is the tidy built-in one), or everywhere with `clam_everywhere` (the one
    built-in theme that takes colours everywhere, for a window with its own palette).
    Windows and macOS otherwise keep their native themes."""
    from tkinter import ttk

    style = ttk.Style(root)
    x11 = root.tk.call("tk", "windowingsystem") == "x11"
    if (clam_everywhere or x11) and "clam" in style.theme_names():
        style.theme_use("clam")
    return style


def place(window: tk.Tk | tk.Toplevel, over: tk.Misc | None = None) -> None:
    """Centre `window` horizontally over `over` (default: the screen), a third down: where a
    window manager would put a dialog, and a sensible spot on a bare X server (some kiosks, the
    tests) that has none and would otherwise show it in the screen's corner.

    Never larger than the screen (less `SCREEN_MARGIN` for panels and the title bar): a
    window that asks for more is given the screen's size, and its grid decides what gives
    (the Settings window's tabs, never its buttons)."""
    window.update_idletasks()
    width, height = window.winfo_reqwidth(), window.winfo_reqheight()
    screen_width, screen_height = window.winfo_screenwidth(), window.winfo_screenheight()
    fitted_width = min(width, screen_width - SCREEN_MARGIN)
    fitted_height = min(height, screen_height - SCREEN_MARGIN)
    if over is None:
        left, top = 0, 0
        area_width, area_height = screen_width, screen_height
    else:
        left, top = over.winfo_rootx(), over.winfo_rooty()
        area_width, area_height = over.winfo_width(), over.winfo_height()
    x = left + max(0, (area_width - fitted_width) // 2)
    y = top + max(0, (area_height - fitted_height) // 3)
    y = min(y, max(0, screen_height - SCREEN_MARGIN // 2 - fitted_height))
    size = (
        f"{fitted_width}x{fitted_height}"
        if (fitted_width, fitted_height) != (width, height)
        else ""
    )
    window.geometry(f"{size}+{x}+{y}")


def wrap_to_width(label: ttk.Label, padding: int = 0) -> None:
    """Wrap `label` at whatever width its grid cell (sticky "ew") gives it.

    `width=1` makes the label ask for almost no width, so a long message never widens the
    window (and never starts a loop of wrap, shrink, unwrap, grow); the other widgets set
    the width and the label takes the whole row, growing downwards only.
    """

    def fit(event: tk.Event[ttk.Label]) -> None:
        # A small margin: Tk measures a wrapped line a few pixels short of what it draws.
        width = max(event.width - 8 - 2 * padding, 40)
        if int(str(label.cget("wraplength")) or 0) != width:
            label.configure(wraplength=width)

    label.configure(width=1)
    label.bind("<Configure>", fit, add=True)


def set_icon(root: tk.Tk) -> None:
    """The app's icon in the title bar and the task switcher (a missing icon is cosmetic)."""
    import tkinter as tk

    from tray_app.support import resources

    # A small bundled rendering: decoding the 1024 px master costs a tenth of a second of
    # start-up for a 32 px title-bar icon.
    path = resources.find_app_icon(128)
    if path is None:
        return
    try:
        icon = tk.PhotoImage(master=root, data=path.read_bytes())
    except (OSError, tk.TclError):
        return
    if icon.width() > 256:
        icon = icon.subsample(icon.width() // 128)
    root.iconphoto(True, icon)
    root._lensmor_icon = icon  # type: ignore[attr-defined]  # Tk needs it kept alive


def open_root(window: str, *, no_tkinter: str, no_display: str = "") -> tk.Tk | None:
    """A fresh root for the `window` window ("Settings", "Usage"), or None after one line on
    stderr: `no_tkinter` says what to do without tkinter, `no_display` is added to the Tk
    error when there is no display."""
    try:
        import tkinter as tk
    except ImportError:
        _error(
            f"the {window} window needs tkinter (on Debian/Ubuntu: apt install python3-tk); "
            + no_tkinter
        )
        return None
    try:
        return tk.Tk(className=WINDOW_CLASS)
    except tk.TclError as exc:
        _error(f"cannot open the {window} window: {exc}{no_display}")
        return None


def main_loop(root: tk.Tk) -> None:
    """Run the window until it is closed. Ctrl-C in the terminal that started it is the same
    as closing the window."""
    with contextlib.suppress(KeyboardInterrupt):
        root.mainloop()


def _error(message: str) -> None:
    print(f"lensmor-tray: {message}", file=sys.stderr)
