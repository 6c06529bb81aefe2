"""The colours of the app's windows (Settings, Usage, the prompt over Settings), light and dark,
and the ttk styles that paint them.

Both windows follow the desktop's colour scheme, as the tray badge does: the freedesktop
`color-scheme` preference read through the desktop portal (`tray.appearance`). "Prefer dark"
gives `DARK`; "prefer light", no preference, no portal and other systems give `LIGHT` (the
freedesktop default appearance). The windows read it when they open: each runs in its own
process, so a window opened after the user switched the desktop's scheme shows the new one.

One palette for both windows, so the Settings and Usage windows look like one app; the Usage
chart (`usage_chart`) draws with the same colours. ttk's built-in "clam" theme is used
everywhere because it is the one built-in theme that takes colours for every part; the few
classic Tk widgets (the accounts list, a combobox's drop-down list) take theirs from the
option database.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk


@dataclass(frozen=True)
class Palette:
    """Every colour a window uses, as Tk colour strings."""

    dark: bool
    background: str  # the window
    panel: str  # inputs, buttons, the chart's plot area
    text: str
    muted: str  # hints, tick labels, the summary's labels
    border: str  # borders, grid lines
    accent: str  # the focus ring, the forecast line
    selected: str  # the chosen tab, period button or list row
    selected_text: str
    error: str
    ok: str
    warn: str
    link: str
    banner: str  # the background of the "config file is broken" banner
    renewal: str  # chart markers
    top_up: str
    gift: str


LIGHT = Palette(
    dark=False,
    background="#f3f4f6",
    panel="#ffffff",
    text="#1f2328",
    muted="#5f6368",
    border="#c4c9d0",
    accent="#1a5fb4",
    selected="#d3e3fd",
    selected_text="#0b1f3a",
    error="#b3261e",
    ok="#1e7b34",
    warn="#8a5300",
    link="#1a5fb4",
    banner="#fce8e6",
    renewal="#1a5fb4",
    top_up="#1e7b34",
    gift="#8e44ad",
)

DARK = Palette(
    dark=True,
    background="#1e2126",
    panel="#262a30",
    text="#e8eaed",
    muted="#9aa0a6",
    border="#3c4148",
    accent="#8ab4f8",
    selected="#3b4a63",
    selected_text="#ffffff",
    error="#f28b82",
    ok="#81c995",
    warn="#fdd663",
    link="#8ab4f8",
    banner="#3c1f1e",
    renewal="#8ab4f8",
    top_up="#81c995",
    gift="#c58af9",
)


def desktop_palette(platform: str = sys.platform) -> Palette:
    """The palette for the desktop's colour scheme (asks the portal on Linux, at most
    half a second; see `tray.appearance`)."""
    from tray_app.tray.appearance import desktop_panel
    from tray_app.tray.badge_palette import Panel

    return DARK if desktop_panel(platform) is Panel.DARK else LIGHT


def apply_palette(root: tk.Tk, palette: Palette) -> ttk.Style:
    """Paint every ttk widget of `root`'s windows (and the classic ones made after this call)
    in `palette`; return the style for the window's own additions."""
    from tray_app.windows.tk_base import themed_style

    p = palette
    style = themed_style(root, clam_everywhere=True)
    root.configure(background=p.background)
    style.configure(
        ".",
        background=p.background,
        foreground=p.text,
        fieldbackground=p.panel,
        bordercolor=p.border,
        lightcolor=p.background,
        darkcolor=p.background,
        troughcolor=p.background,
        selectbackground=p.selected,
        selectforeground=p.selected_text,
        insertcolor=p.text,
        focuscolor=p.accent,
        arrowcolor=p.text,
        indicatorbackground=p.panel,
        indicatorforeground=p.text,
    )
    style.map(
        ".",
        background=[("disabled", p.background)],
        foreground=[("disabled", p.muted)],
        fieldbackground=[("readonly", p.panel), ("disabled", p.background)],
    )
    style.configure("TButton", background=p.panel, lightcolor=p.panel, darkcolor=p.panel)
    style.map(
        "TButton",
        background=[("disabled", p.background), ("pressed", p.selected), ("active", p.border)],
        lightcolor=[("pressed", p.selected)],
        darkcolor=[("pressed", p.selected)],
    )
    style.map(
        "TCombobox",
        fieldbackground=[("readonly", p.panel), ("disabled", p.background)],
        foreground=[("disabled", p.muted), ("readonly", p.text)],
        selectbackground=[("readonly", p.panel)],
        selectforeground=[("readonly", p.text)],
    )
    style.map(
        "TCheckbutton",
        background=[("active", p.background)],
        indicatorbackground=[("disabled", p.background), ("pressed", p.selected)],
    )
    style.configure("TNotebook", background=p.background, bordercolor=p.border)
    style.configure(
        "TNotebook.Tab",
        background=p.background,
        foreground=p.muted,
        bordercolor=p.border,
        lightcolor=p.background,
        padding=(12, 4),
    )
    style.map(
        "TNotebook.Tab",
        background=[("selected", p.panel), ("active", p.selected)],
        foreground=[("selected", p.text)],
        lightcolor=[("selected", p.panel)],
    )
    style.configure("TLabelframe", background=p.background, bordercolor=p.border)
    style.configure("TLabelframe.Label", background=p.background, foreground=p.text)
    style.configure(
        "Toolbutton", background=p.panel, foreground=p.text, padding=(10, 4), bordercolor=p.border
    )
    style.map(
        "Toolbutton",
        background=[("selected", p.selected), ("active", p.border)],
        foreground=[("selected", p.selected_text)],
    )
    # The classic Tk widgets (tk.Listbox, a combobox's drop-down, a Toplevel) read these.
    for pattern, value in [
        ("*Background", p.background),
        ("*Foreground", p.text),
        ("*Listbox.background", p.panel),
        ("*Listbox.foreground", p.text),
        ("*Listbox.selectBackground", p.selected),
        ("*Listbox.selectForeground", p.selected_text),
        ("*Listbox.highlightColor", p.accent),
        ("*Listbox.highlightBackground", p.border),
        ("*Listbox.disabledForeground", p.muted),
        ("*TCombobox*Listbox.background", p.panel),
        ("*TCombobox*Listbox.foreground", p.text),
    ]:
        root.option_add(pattern, value)
    return style
