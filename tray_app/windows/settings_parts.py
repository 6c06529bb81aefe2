"""What the boxes of the Settings window share: its look (its ttk styles in the windows'
`palette`, the red error label under a field) and `SettingsHost`, the part of the window a box sees.

Separate so that the boxes (`key_box`, `accounts_box`, `alerts_box`) and the window
(`settings_dialog`) can all use it without importing one another: the window imports the
boxes, and a box reaches the window only through `SettingsHost`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol, TypeVar

from tray_app.config.model import DEFAULT_ACCOUNT, Settings
from tray_app.config.paths import AppPaths
from tray_app.core.language import Language
from tray_app.windows.palette import Palette, apply_palette
from tray_app.windows.tk_base import wrap_to_width

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk

T = TypeVar("T")

BANNER_PADDING = 8
WRAP = 440  # pixels; long messages wrap instead of widening the window


class SettingsHost(Protocol):
    """The Settings window as its boxes see it (`settings_dialog.SettingsDialog`)."""

    root: tk.Tk
    lang: Language
    paths: AppPaths
    environ: Mapping[str, str]
    #: What the config file says (None: it cannot be read; nothing can be edited).
    settings: Settings | None

    @property
    def saved(self) -> bool:
        """Saved: the window only waits to be closed, its inputs stay disabled."""
        ...

    def say(self, kind: str, text: str, *, force: bool = False) -> None: ...

    def show(self, label: ttk.Label, text: str, style: str = "TLabel", kind: str = "") -> None: ...

    def in_background(
        self, work: Callable[[], T], done: Callable[[T], None], name: str
    ) -> None: ...

    def set_status(self, text: str, style: str = "TLabel") -> None:
        """The status line above the buttons."""
        ...

    def status_text(self) -> str: ...

    def accounts_changed(self, settings: Settings) -> None:
        """An account was added, renamed or removed; `settings`: the config file now."""
        ...

    def accounts_error(self, shown: bool) -> None:
        """The Accounts box shows an error (its tab is marked), or no longer does."""
        ...


def key_account(settings: Settings | None) -> str:
    """The account whose key the "API key" box edits: the first one."""
    return settings.accounts[0].name if settings is not None else DEFAULT_ACCOUNT


def style_settings(root: tk.Tk, palette: Palette) -> None:
    """The Settings window in `palette`, with the label colours its messages use."""
    style = apply_palette(root, palette)
    style.configure("Error.TLabel", foreground=palette.error)
    style.configure("Ok.TLabel", foreground=palette.ok)
    style.configure("Hint.TLabel", foreground=palette.muted)
    style.configure("Warn.TLabel", foreground=palette.warn)
    style.configure("Link.TLabel", foreground=palette.link)
    style.configure(
        "Banner.TLabel",
        foreground=palette.error,
        background=palette.banner,
        padding=BANNER_PADDING,
    )


def error_label(parent: tk.Misc, *, row: int, column: int = 0) -> ttk.Label:
    """The red message under a field, hidden (taking no room) until there is one."""
    from tkinter import ttk

    label = ttk.Label(parent, text="", style="Error.TLabel", wraplength=WRAP)
    label.grid(row=row, column=column, columnspan=2, sticky="ew", pady=(2, 0))
    wrap_to_width(label)
    label.grid_remove()
    return label


def show_field_error(host: SettingsHost, label: ttk.Label, field: str, message: str) -> None:
    """Show `message` (or nothing) in a field's error label; the tests hear each message."""
    host.show(label, message, "Error.TLabel")
    if message:
        host.say(f"error {field}", message, force=True)
