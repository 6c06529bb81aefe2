"""The Settings window's tabs: API key, Accounts, Alerts, Appearance (issue 23).

All four boxes in one column made the window up to 764 px tall (German, with errors), taller
than a 1366x768 laptop's screen, so Save and Cancel were off its bottom edge. In tabs the
window is as tall as its tallest tab, and the buttons stay below the tabs, always in view.

A validation error on a tab that is not shown must not go unseen: the tab's label gets a
warning sign, and Save switches to the first tab with an error (`show_errors_on`). The Accounts
tab's own errors (an account not added, a failed test: often known only after the user went to
another tab) mark it too (`flag`), apart from the form's fields, so Save leaves that mark alone.
Keyboard: Ctrl+Tab / Ctrl+Shift+Tab and Ctrl+PageDown / Ctrl+PageUp move between the tabs and
focus the first field of the tab, wherever the focus is (`ttk.Notebook.enable_traversal`
does the same only while the focus is inside the notebook, not on Save or Cancel); Tab moves
within the tab and on to the buttons.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from tray_app.core.language import N_, Language

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk

#: Put before a tab's name while a field on it is wrong (DejaVu Sans and the CJK fonts draw it).
ERROR_MARK = "⚠ "


class Page(str, enum.Enum):
    """The tabs, in order; the value is what the tests hear (`page: alerts`)."""

    KEY = "key"
    ACCOUNTS = "accounts"
    ALERTS = "alerts"
    APPEARANCE = "appearance"


PAGE_LABELS = {
    Page.KEY: N_("API key"),
    Page.ACCOUNTS: N_("Accounts"),
    Page.ALERTS: N_("Alerts"),
    Page.APPEARANCE: N_("Appearance"),
}


class SettingsPages:
    """A notebook at `row` of `outer`, one frame per `Page` to build a box into (`frame`).
    `say` echoes the tab shown for the tests."""

    def __init__(
        self, lang: Language, outer: ttk.Frame, row: int, say: Callable[[str, str], None]
    ) -> None:
        from tkinter import ttk

        self.lang = lang
        self._say = say
        self.notebook = ttk.Notebook(outer)
        self.notebook.grid(row=row, column=0, sticky="nsew")
        self.frames: dict[Page, ttk.Frame] = {}
        for page in Page:
            # Children of the notebook, so the Tab key reaches a tab's fields right after the
            # tab row, and the fields of hidden tabs (not viewable) are skipped.
            frame = ttk.Frame(self.notebook, padding=(12, 10))
            frame.columnconfigure(0, weight=1)
            self.notebook.add(frame, text=self._label(page, marked=False))
            self.frames[page] = frame
        toplevel = self.notebook.winfo_toplevel()
        for sequence, step in [
            ("<Control-Tab>", 1),
            ("<Control-Next>", 1),
            ("<Control-Shift-Tab>", -1),
            ("<Control-ISO_Left_Tab>", -1),  # what X11 sends for Shift+Tab
            ("<Control-Prior>", -1),
        ]:
            toplevel.bind(sequence, self._cycler(step))
        self.notebook.bind("<<NotebookTabChanged>>", lambda _event: self._changed(), add=True)
        self._marked: frozenset[Page] = frozenset()
        self._field_errors: frozenset[Page] = frozenset()  # the form's fields (`mark`)
        self._flagged: frozenset[Page] = frozenset()  # the tabs' own errors (`flag`)

    def _cycler(self, step: int) -> Callable[[tk.Event[tk.Misc]], str]:
        def cycle(_event: tk.Event[tk.Misc]) -> str:
            pages = list(Page)
            self.show(pages[(pages.index(self.shown()) + step) % len(pages)])
            self._focus_first()
            return "break"  # not also the plain Tab's move to the next field

        return cycle

    def _focus_first(self) -> None:
        """Focus the first field of the tab shown, as Tab would (an entry's text selected)."""
        frame = self.frames[self.shown()]
        first = frame.tk_focusNext()
        if first is None or self.page_of(first) is not self.shown():
            self.notebook.focus_set()
            return
        first.focus_set()
        first.event_generate("<<TraverseIn>>")

    def frame(self, page: Page) -> ttk.Frame:
        return self.frames[page]

    def _label(self, page: Page, *, marked: bool) -> str:
        text = self.lang.gettext(PAGE_LABELS[page])
        return ERROR_MARK + text if marked else text

    def shown(self) -> Page:
        selected = str(self.notebook.select())  # type: ignore[no-untyped-call]
        return next(page for page, frame in self.frames.items() if str(frame) == selected)

    def _changed(self) -> None:
        self._say("page", self.shown().value)

    def show(self, page: Page) -> None:
        """Bring `page` to the front (and lay it out, so one of its fields can take the focus)."""
        self.notebook.select(self.frames[page])  # type: ignore[no-untyped-call]
        self.notebook.update_idletasks()

    def page_of(self, widget: tk.Misc) -> Page | None:
        """The tab `widget` is on (None: not on a tab, e.g. the buttons)."""
        path = str(widget)
        for page, frame in self.frames.items():
            if path == str(frame) or path.startswith(f"{frame}."):
                return page
        return None

    def mark(self, pages: Collection[Page]) -> None:
        """The form's fields are wrong on exactly the tabs in `pages`: mark them (and the tabs
        `flag`ged)."""
        self._field_errors = frozenset(pages)
        self._relabel()

    def flag(self, page: Page, error: bool) -> None:
        """`page` shows an error of its own (not a form field's), or no longer does."""
        self._flagged = (self._flagged | {page}) if error else (self._flagged - {page})
        self._relabel()

    def _relabel(self) -> None:
        """The warning sign on exactly the tabs with an error."""
        marked = self._field_errors | self._flagged
        if marked == self._marked:
            return
        self._marked = marked
        for page in Page:
            label = self._label(page, marked=page in marked)
            self.notebook.tab(self.frames[page], text=label)  # type: ignore[no-untyped-call]
        self._say("tabs", " | ".join(self._label(p, marked=p in marked) for p in Page))

    def show_errors_on(self, pages: Collection[Page]) -> None:
        """Mark `pages`; if the tab in front has no error, bring the first one with an error."""
        self.mark(pages)
        if pages and self.shown() not in pages:
            self.show(next(page for page in Page if page in pages))
