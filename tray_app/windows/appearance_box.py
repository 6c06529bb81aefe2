"""The Settings window's Appearance tab: the tray badge's style, chosen by its description in
the user's language (the config file keeps the style's name, e.g. "percent"), and a note that
the windows follow the desktop's light or dark preference (`palette`).

Its own module so that the Alerts box keeps to alerts and polling; the words of each style
and their mapping back to the config's names are `settings_form`'s (pure, tested without Tk).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from tray_app.config.model import Settings
from tray_app.core.badge import BadgeStyle
from tray_app.core.language import N_, Language
from tray_app.windows.settings_form import (
    FormField,
    badge_style_label,
    badge_style_value,
    fields_from_settings,
)
from tray_app.windows.settings_parts import WRAP, error_label
from tray_app.windows.tk_base import wrap_to_width

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk


def chars_for(labels: list[str], measure: Callable[[str], int]) -> int:
    """The width, in Tk's entry units (the width of "0" in the widget's font), that shows the
    widest of `labels` whole: measured as drawn, so Japanese (each character about two "0"s
    wide) is not clipped as a count of characters would clip it. Two more for the arrow."""
    zero = max(1, measure("0"))
    return max(math.ceil(measure(label) / zero) for label in labels) + 2


def _entry_width(widget: ttk.Combobox, labels: list[str]) -> int:
    from tkinter import font

    measured = font.Font(root=widget, font=str(widget.cget("font")) or "TkTextFont")
    return chars_for(labels, measured.measure)


COLOURS_NOTE = N_("The Settings and Usage windows follow your desktop's light or dark preference.")


class AppearanceBox:
    """Build it into `outer` at `row`, filled from `settings`."""

    def __init__(
        self, root: tk.Tk, lang: Language, outer: ttk.Frame, row: int, settings: Settings
    ) -> None:
        import tkinter as tk
        from tkinter import ttk

        self.lang = lang
        _ = lang.gettext
        box = ttk.LabelFrame(outer, text=_("Tray badge"), padding=(12, 8))
        box.grid(row=row, column=0, sticky="ew")
        box.columnconfigure(1, weight=1)

        # Read-only: only the four styles can be chosen; arrow keys change it, Tab moves on.
        ttk.Label(box, text=_("Tray badge:")).grid(row=0, column=0, sticky="w", padx=(0, 8))
        labels = [badge_style_label(style.value, lang) for style in BadgeStyle]
        current = fields_from_settings(settings).badge_style
        self.badge_style_var = tk.StringVar(root, value=badge_style_label(current, lang))
        badge_style = ttk.Combobox(
            box,
            textvariable=self.badge_style_var,
            values=labels,
            state="readonly",
        )
        badge_style.configure(width=_entry_width(badge_style, labels))
        badge_style.grid(row=0, column=1, sticky="w")
        badge_style_error = error_label(box, row=1, column=1)
        note = ttk.Label(outer, text=_(COLOURS_NOTE), style="Hint.TLabel", wraplength=WRAP)
        note.grid(row=row + 1, column=0, sticky="ew", pady=(10, 0))
        wrap_to_width(note)

        #: The box's widgets that take the focus, by the name the tests hear, in Tab order.
        self.focusable: dict[str, tk.Widget] = {"badge_style": badge_style}
        #: What Save disables once saved.
        self.inputs: list[ttk.Widget] = [badge_style]
        #: The field's error label and the input focused when it is wrong.
        self.errors: dict[FormField, tuple[ttk.Label, ttk.Widget]] = {
            FormField.BADGE_STYLE: (badge_style_error, badge_style)
        }

    def badge_style(self) -> str:
        """The chosen style's config name ("percent")."""
        return badge_style_value(self.badge_style_var.get(), self.lang)
