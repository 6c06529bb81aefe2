"""The Settings… window: API key, accounts, alert thresholds, poll interval, notifications.

It runs as its own process (`python -m tray_app.windows.settings_dialog --config PATH`, also wired
as `lensmor-tray settings`) so tkinter never competes with the tray's main loop. Exit codes,
which the tray reads to decide whether to reload the config and the key:

    0  saved (the tray reloads)      1  cancelled, nothing written
    2  nothing could be edited: the config file is broken (it is never overwritten), or there
       is no display / no tkinter

This module is the thin tkinter (ttk) view, `SettingsDialog`, and the entry points. What it
shows and saves is decided elsewhere, without Tk: `settings_form` parses and validates the
fields into a `Settings` (pure), `settings_actions` does the Test and Save buttons' I/O,
`accounts_form` plans the Accounts list's Add/Rename/Remove (pure) and `account_actions`
carries them out (key store, config, history) and tests an account's key.

Accounts (issue 12): the list shows every account with its masked key. Add takes a name, a
key and an optional base URL; the key is tested against the API before anything is saved.
Rename, Remove and Test act on the selected account. Account changes are saved at once (like
`lensmor-tray account ...`), and the window then exits with 0 so the tray reloads.

Threads: everything that can block (the keyring read at start, the Test request, the keyring
write on Save) runs in a daemon worker; its result is queued and picked up on the Tk thread by
an `after` poll, because Tk may only be touched from the thread that created it.

The key is never printed, logged, put on a command line or into an environment: the window
shows it masked (`fmt.mask_key`) unless the user ticks "Show". With
LENSMOR_TRAY_DIALOG_ECHO=1 the window prints each status change as one `kind: text` line on
stdout for the desktop tests; those texts never contain the key either.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tray_app.config.loading import load_settings
from tray_app.config.model import (
    DASHBOARD_URL,
    DEFAULT_ACCOUNT,
    MIN_POLL_INTERVAL_S,
    ConfigError,
    Settings,
)
from tray_app.config.paths import AppPaths
from tray_app.config.urls import effective_base_url
from tray_app.core.badge import BadgeStyle
from tray_app.core.language import N_
from tray_app.keys.key_store import KeyStore, StoredKey
from tray_app.support.i18n import language_from_environ
from tray_app.support.instance import ask_to_reload
from tray_app.windows.account_actions import (
    AccountOutcome,
    add_account,
    check_account,
    placeholder_is_empty,
    remove_account,
    rename_account,
    stored_keys,
)
from tray_app.windows.accounts_form import (
    AccountField,
    NewAccountFields,
    account_line,
    plan_add,
    plan_remove,
    plan_rename,
)
from tray_app.windows.modal_prompt import ModalPrompt
from tray_app.windows.settings_actions import SaveOutcome, check_key, save_form
from tray_app.windows.settings_form import (
    ENV_OVERRIDE_NOTE,
    MAX_POLL_INTERVAL_S,
    FormField,
    FormFields,
    Outcome,
    fields_from_settings,
    key_hint,
    parse_form,
    parse_key,
    sentence,
)

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk


T = TypeVar("T")

EXIT_SAVED = 0
EXIT_CANCELLED = 1
EXIT_CANNOT_EDIT = 2

# Words are marked with N_ and translated where they are shown (self.lang, from the
# environment the window was started with: LC_ALL, LC_MESSAGES, LANG).
TITLE = N_("Lensmor tray — Settings")
ECHO_ENV = "LENSMOR_TRAY_DIALOG_ECHO"
KEY_HELP = N_("Create a key in the Lensmor app: Settings → API Keys")
THRESHOLDS_HINT = N_("Percent of your allowance, or credits: e.g. 20%, 5% or 1000")


# -- the window ------------------------------------------------------------------------------

ERROR_COLOUR = "#b3261e"
OK_COLOUR = "#1e7b34"
HINT_COLOUR = "#5f6368"
LINK_COLOUR = "#1a5fb4"
BANNER_BACKGROUND = "#fce8e6"
WARN_COLOUR = "#8a5300"
BANNER_PADDING = 8
WRAP = 440  # pixels; long messages wrap instead of widening the window
POLL_MS = 40  # how often the Tk thread looks for finished background work


class SettingsDialog:
    """The window. Build it on a fresh `tk.Tk`, run `root.mainloop()`, then read `exit_code`."""

    def __init__(
        self, root: tk.Tk, paths: AppPaths, environ: Mapping[str, str], *, echo: bool = False
    ) -> None:
        self.root = root
        self.paths = paths
        self.environ = environ
        self.lang = language_from_environ(environ)
        self.echo = echo
        self.exit_code = EXIT_CANCELLED
        self._saved = False
        self._saving = False
        self._testing = False
        self._stored: StoredKey | None = None
        self._stored_loaded = False
        self._results: queue.Queue[Callable[[], None]] = queue.Queue()
        self._pending = 0
        self._ready = False
        self._echoed: dict[str, str] = {}
        self._account_busy = False
        self._prompt_open = False
        self._account_keys: dict[str, StoredKey | None] = {}
        self._account_keys_loaded = False
        self._account_inputs: list[ttk.Widget] = []
        self._account_entries: dict[AccountField, ttk.Entry] = {}
        self._add_fields: set[ttk.Widget] = set()
        self._focusable: dict[str, tk.Widget] = {}
        self._inputs: list[ttk.Widget] = []
        self._errors: dict[FormField, tuple[ttk.Label, ttk.Widget]] = {}
        try:
            self.settings: Settings | None = load_settings(paths.config_file)
            self.config_error: str | None = None
        except ConfigError as exc:
            self.settings = None
            self.config_error = str(exc)
            self.exit_code = EXIT_CANNOT_EDIT
        self._env_overrides = KeyStore(
            paths.key_file, self._key_account, environ=environ
        ).environment_overrides
        self._build()
        self._in_background(self._load_key, self._on_key_loaded, "keyring-read")

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        from tkinter import ttk

        _ = self.lang.gettext
        root = self.root
        root.title(_(TITLE))
        root.resizable(False, False)
        self._style(root)

        outer = ttk.Frame(root, padding=16)
        outer.grid(sticky="nsew")
        outer.columnconfigure(0, weight=1)
        if self.config_error:
            banner = ttk.Label(
                outer,
                text=_("The config file cannot be used, so nothing will be saved.")
                + f"\n\n{sentence(self.config_error)}",
                style="Banner.TLabel",
                wraplength=WRAP,
            )
            banner.grid(row=0, column=0, sticky="ew", pady=(0, 12))
            self._wrap_to_width(banner, padding=BANNER_PADDING)
            self._say("config-error", self.config_error)
        # Creation order is the Tab order: key, Show, Test, thresholds, interval,
        # notifications, badge style, Cancel, Save.
        self._build_key_box(outer, row=1)
        self._build_accounts_box(outer, row=2)
        self._build_alerts_box(outer, row=3)
        self._build_buttons(outer, row=4)

        if self.config_error:
            self.save_button.state(["disabled"])
            self.test_button.state(["disabled"])
            for account_input in self._account_inputs:
                account_input.state(["disabled"])
        if self.echo:
            # Focus changes are the tests' sync points ("Tab reached the thresholds field").
            for name, widget in self._focusable.items():
                widget.bind("<FocusIn>", self._focus_echo(name))
        root.bind("<Return>", self._on_return)
        root.bind("<KP_Enter>", self._on_return)
        root.bind("<Escape>", lambda _event: self.close())
        root.protocol("WM_DELETE_WINDOW", self.close)
        root.bind("<Map>", self._on_map)
        self._set_icon(root)
        self._place(root)

    def _build_key_box(self, outer: ttk.Frame, row: int) -> None:
        import tkinter as tk
        from tkinter import font as tkfont
        from tkinter import ttk

        _ = self.lang.gettext
        box = ttk.LabelFrame(outer, text=self._key_box_title(), padding=(12, 8))
        self.key_box = box
        box.grid(row=row, column=0, sticky="ew")
        box.columnconfigure(0, weight=1)

        self.key_var = tk.StringVar(self.root)
        self.key_entry = ttk.Entry(box, textvariable=self.key_var, show="•", width=42)
        self.key_entry.grid(row=0, column=0, sticky="ew")
        self.show_var = tk.BooleanVar(self.root, value=False)
        show = ttk.Checkbutton(
            box, text=_("Show"), variable=self.show_var, command=self._toggle_show
        )
        show.grid(row=0, column=1, padx=(8, 0))
        self.key_error = self._error_label(box, row=1)
        self.key_hint = ttk.Label(
            box, text=_("Current key: checking…"), style="Hint.TLabel", wraplength=WRAP
        )
        self.key_hint.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(4, 0))
        self._wrap_to_width(self.key_hint)
        if self._env_overrides:
            note = ttk.Label(box, text=_(ENV_OVERRIDE_NOTE), style="Warn.TLabel", wraplength=WRAP)
            note.grid(row=3, column=0, columnspan=2, sticky="ew", pady=(4, 0))
            self._wrap_to_width(note)
            self._say("key-note", ENV_OVERRIDE_NOTE)

        test_row = ttk.Frame(box)
        test_row.grid(row=4, column=0, columnspan=2, sticky="ew", pady=(8, 0))
        test_row.columnconfigure(1, weight=1)
        self.test_button = ttk.Button(test_row, text=_("Test"), command=self._test)
        self.test_button.grid(row=0, column=0, sticky="w")
        self.test_result = ttk.Label(test_row, text="", wraplength=WRAP - 90)
        self.test_result.grid(row=0, column=1, sticky="ew", padx=(10, 0))
        self._wrap_to_width(self.test_result)

        link_font = tkfont.nametofont("TkDefaultFont").copy()
        link_font.configure(underline=True)
        self._link_font = link_font  # keep a reference: Tk forgets fonts Python drops
        link = ttk.Label(box, text=_(KEY_HELP), style="Link.TLabel", cursor="hand2", font=link_font)
        link.grid(row=5, column=0, columnspan=2, sticky="w", pady=(8, 0))
        link.bind("<Button-1>", lambda _event: self._open_dashboard())

        self._focusable["key"] = self.key_entry
        self._focusable["show"] = show
        self._focusable["test"] = self.test_button
        self._inputs += [self.key_entry, show]

    def _build_alerts_box(self, outer: ttk.Frame, row: int) -> None:
        import tkinter as tk
        from tkinter import ttk

        _ = self.lang.gettext
        box = ttk.LabelFrame(outer, text=_("Alerts and polling"), padding=(12, 8))
        box.grid(row=row, column=0, sticky="ew", pady=(12, 0))
        box.columnconfigure(1, weight=1)
        fields = fields_from_settings(self.settings or Settings())

        ttk.Label(box, text=_("Warn below:")).grid(row=0, column=0, sticky="w", padx=(0, 8))
        self.thresholds_var = tk.StringVar(self.root, value=fields.thresholds)
        self.thresholds_entry = ttk.Entry(box, textvariable=self.thresholds_var, width=24)
        self.thresholds_entry.grid(row=0, column=1, sticky="ew")
        ttk.Label(box, text=_(THRESHOLDS_HINT), style="Hint.TLabel").grid(
            row=1, column=1, sticky="w", pady=(2, 0)
        )
        self.thresholds_error = self._error_label(box, row=2, column=1)

        ttk.Label(box, text=_("Check every:")).grid(
            row=3, column=0, sticky="w", padx=(0, 8), pady=(8, 0)
        )
        interval_row = ttk.Frame(box)
        interval_row.grid(row=3, column=1, sticky="w", pady=(8, 0))
        self.interval_var = tk.StringVar(self.root, value=fields.poll_interval)
        self.interval_spin = ttk.Spinbox(
            interval_row,
            textvariable=self.interval_var,
            from_=MIN_POLL_INTERVAL_S,
            to=MAX_POLL_INTERVAL_S,
            increment=30,
            width=8,
        )
        self.interval_spin.grid(row=0, column=0)
        ttk.Label(
            interval_row,
            text=_("seconds (at least {minimum})").format(minimum=MIN_POLL_INTERVAL_S),
            style="Hint.TLabel",
        ).grid(row=0, column=1, padx=(6, 0))
        self.interval_error = self._error_label(box, row=4, column=1)

        self.notify_var = tk.BooleanVar(self.root, value=fields.notifications)
        notify = ttk.Checkbutton(
            box, text=_("Show desktop notifications"), variable=self.notify_var
        )
        notify.grid(row=5, column=0, columnspan=2, sticky="w", pady=(8, 0))

        # Read-only: only the four styles can be chosen; arrow keys change it, Tab moves on.
        ttk.Label(box, text=_("Tray badge:")).grid(
            row=6, column=0, sticky="w", padx=(0, 8), pady=(8, 0)
        )
        self.badge_style_var = tk.StringVar(self.root, value=fields.badge_style)
        self.badge_style_box = ttk.Combobox(
            box,
            textvariable=self.badge_style_var,
            values=[style.value for style in BadgeStyle],
            state="readonly",
            width=12,
        )
        self.badge_style_box.grid(row=6, column=1, sticky="w", pady=(8, 0))
        self.badge_style_error = self._error_label(box, row=7, column=1)

        self._focusable["thresholds"] = self.thresholds_entry
        self._focusable["poll_interval"] = self.interval_spin
        self._focusable["notifications"] = notify
        self._focusable["badge_style"] = self.badge_style_box
        self._inputs += [self.thresholds_entry, self.interval_spin, notify, self.badge_style_box]
        self._errors = {
            FormField.KEY: (self.key_error, self.key_entry),
            FormField.THRESHOLDS: (self.thresholds_error, self.thresholds_entry),
            FormField.POLL_INTERVAL: (self.interval_error, self.interval_spin),
            FormField.BADGE_STYLE: (self.badge_style_error, self.badge_style_box),
        }

    def _build_buttons(self, outer: ttk.Frame, row: int) -> None:
        from tkinter import ttk

        _ = self.lang.gettext
        self.status = ttk.Label(outer, text="", wraplength=WRAP)
        self.status.grid(row=row, column=0, sticky="ew", pady=(10, 0))
        self._wrap_to_width(self.status)
        self.status.grid_remove()
        buttons = ttk.Frame(outer)
        buttons.grid(row=row + 1, column=0, sticky="e", pady=(12, 0))
        self.cancel_button = ttk.Button(buttons, text=_("Cancel"), command=self.close)
        self.cancel_button.grid(row=0, column=0, padx=(0, 8))
        self.save_button = ttk.Button(buttons, text=_("Save"), command=self.save, default="active")
        self.save_button.grid(row=0, column=1)
        self._focusable["cancel"] = self.cancel_button
        self._focusable["save"] = self.save_button

    def _focus_echo(self, name: str) -> Callable[[tk.Event[tk.Misc]], None]:
        def echo(_event: tk.Event[tk.Misc]) -> None:
            self._say("focus", name, force=True)

        return echo

    def _style(self, root: tk.Tk) -> None:
        from tkinter import ttk

        style = ttk.Style(root)
        # The X11 "default" theme looks like 1995; "clam" is the tidy built-in one. Windows and
        # macOS keep their native themes.
        if root.tk.call("tk", "windowingsystem") == "x11" and "clam" in style.theme_names():
            style.theme_use("clam")
        style.configure("Error.TLabel", foreground=ERROR_COLOUR)
        style.configure("Ok.TLabel", foreground=OK_COLOUR)
        style.configure("Hint.TLabel", foreground=HINT_COLOUR)
        style.configure("Warn.TLabel", foreground=WARN_COLOUR)
        style.configure("Link.TLabel", foreground=LINK_COLOUR)
        style.configure(
            "Banner.TLabel",
            foreground=ERROR_COLOUR,
            background=BANNER_BACKGROUND,
            padding=BANNER_PADDING,
        )

    def _error_label(self, parent: tk.Misc, *, row: int, column: int = 0) -> ttk.Label:
        from tkinter import ttk

        label = ttk.Label(parent, text="", style="Error.TLabel", wraplength=WRAP)
        label.grid(row=row, column=column, columnspan=2, sticky="ew", pady=(2, 0))
        self._wrap_to_width(label)
        label.grid_remove()  # takes no room until there is something to say
        return label

    @staticmethod
    def _wrap_to_width(label: ttk.Label, padding: int = 0) -> None:
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

    @staticmethod
    def _set_icon(root: tk.Tk) -> None:
        import tkinter as tk

        from tray_app.support import resources

        # A small bundled rendering: decoding the 1024 px master costs a tenth of a second of
        # start-up for a 32 px title-bar icon.
        path = resources.find_app_icon(128)
        if path is not None:
            try:
                icon = tk.PhotoImage(master=root, data=path.read_bytes())
            except (OSError, tk.TclError):
                return  # a missing icon is cosmetic
            if icon.width() > 256:
                icon = icon.subsample(icon.width() // 128)
            root.iconphoto(True, icon)
            root._lensmor_icon = icon  # type: ignore[attr-defined]  # Tk needs it kept alive

    @staticmethod
    def _place(root: tk.Tk) -> None:
        # Centre horizontally, a third down: where a window manager would put a dialog, and
        # a sensible spot on a bare X server that has none.
        root.update_idletasks()
        width, height = root.winfo_reqwidth(), root.winfo_reqheight()
        x = max(0, (root.winfo_screenwidth() - width) // 2)
        y = max(0, (root.winfo_screenheight() - height) // 3)
        root.geometry(f"+{x}+{y}")

    def _on_map(self, event: tk.Event[tk.Misc]) -> None:
        if self._ready or event.widget is not self.root:
            return
        self._ready = True
        # focus_force also works without a window manager (bare X in tests, some kiosks).
        self.root.focus_force()
        self.key_entry.focus_set()
        self.root.after_idle(self._announce_ready)

    def _announce_ready(self) -> None:
        root = self.root
        # The X window of the toplevel (its frame), so tests can find and photograph it.
        self._say("ready", f"window {int(root.wm_frame(), 16)}", force=True)

    # -- accounts ----------------------------------------------------------------------------

    @property
    def _key_account(self) -> str:
        """The account whose key the "API key" box edits: the first one."""
        return self.settings.accounts[0].name if self.settings is not None else DEFAULT_ACCOUNT

    def _key_box_title(self) -> str:
        name = self._key_account
        _ = self.lang.gettext
        return _("API key") if name == DEFAULT_ACCOUNT else _("API key — {name}").format(name=name)

    def _build_accounts_box(self, outer: ttk.Frame, row: int) -> None:
        import tkinter as tk
        from tkinter import ttk

        _ = self.lang.gettext
        box = ttk.LabelFrame(outer, text=_("Accounts"), padding=(12, 8))
        box.grid(row=row, column=0, sticky="ew", pady=(12, 0))
        box.columnconfigure(1, weight=1)

        self.accounts_list = tk.Listbox(
            box, height=3, exportselection=False, activestyle="dotbox", selectmode="browse"
        )
        self.accounts_list.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.accounts_list.bind("<<ListboxSelect>>", lambda _event: self._on_account_selected())
        actions = ttk.Frame(box)
        actions.grid(row=1, column=0, columnspan=2, sticky="w", pady=(6, 0))
        self.account_test_button = ttk.Button(actions, text=_("Test"), command=self._test_account)
        self.account_test_button.grid(row=0, column=0, padx=(0, 6))
        self.account_rename_button = ttk.Button(
            actions, text=_("Rename…"), command=self._rename_account
        )
        self.account_rename_button.grid(row=0, column=1, padx=(0, 6))
        self.account_remove_button = ttk.Button(
            actions, text=_("Remove…"), command=self._remove_account
        )
        self.account_remove_button.grid(row=0, column=2)

        # The Add inputs, two to a row to keep the window short: Name, API key / Base URL, Add.
        add = ttk.Frame(box)
        add.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(10, 0))
        add.columnconfigure(1, weight=1)
        add.columnconfigure(3, weight=2)
        self.account_name_var = tk.StringVar(self.root)
        self.account_key_var = tk.StringVar(self.root)
        self.account_url_var = tk.StringVar(self.root)
        entries: dict[AccountField, ttk.Entry] = {}
        for field, label, var, show, line, column, width in [
            (AccountField.NAME, _("Name:"), self.account_name_var, "", 0, 0, 12),
            (AccountField.KEY, _("API key:"), self.account_key_var, "•", 0, 2, 22),
            (AccountField.BASE_URL, _("Base URL (optional):"), self.account_url_var, "", 1, 0, 12),
        ]:
            ttk.Label(add, text=label).grid(
                row=line, column=column, sticky="w", padx=(0 if column == 0 else 8, 4), pady=2
            )
            entry = ttk.Entry(add, textvariable=var, show=show, width=width)
            span = 1 if field is not AccountField.BASE_URL else 2
            entry.grid(row=line, column=column + 1, columnspan=span, sticky="ew", pady=2)
            entries[field] = entry
        self.account_error = self._error_label(box, row=3, column=0)
        self._account_entries = entries
        self.account_add_button = ttk.Button(add, text=_("Add account"), command=self._add_account)
        self.account_add_button.grid(row=1, column=3, sticky="e", padx=(8, 0), pady=2)
        self.account_result = ttk.Label(box, text="", wraplength=WRAP)
        self.account_result.grid(row=5, column=0, columnspan=2, sticky="ew", pady=(6, 0))
        self._wrap_to_width(self.account_result)
        self.account_result.grid_remove()

        self._add_fields = set(entries.values())
        self._focusable["accounts"] = self.accounts_list
        self._focusable["account_test"] = self.account_test_button
        self._focusable["account_rename"] = self.account_rename_button
        self._focusable["account_remove"] = self.account_remove_button
        self._focusable["account_name"] = entries[AccountField.NAME]
        self._focusable["account_key"] = entries[AccountField.KEY]
        self._focusable["account_base_url"] = entries[AccountField.BASE_URL]
        self._focusable["account_add"] = self.account_add_button
        self._account_inputs = [
            self.account_test_button,
            self.account_rename_button,
            self.account_remove_button,
            *entries.values(),
            self.account_add_button,
        ]
        self._show_accounts()
        self._in_background(self._load_account_keys, self._on_account_keys, "account-keys")

    def _load_account_keys(self) -> dict[str, StoredKey | None]:
        if self.settings is None:
            return {}
        return stored_keys(self.paths, self.settings, self.environ)

    def _on_account_keys(self, keys: dict[str, StoredKey | None]) -> None:
        self._account_keys = keys
        self._account_keys_loaded = True
        self._show_accounts()

    def _show_accounts(self) -> None:
        """Refill the list from self.settings, keeping the selection by name."""
        selected = self._selected_account()
        accounts = self.settings.accounts if self.settings is not None else ()
        lines = [
            account_line(
                a, self._account_keys.get(a.name), loaded=self._account_keys_loaded, lang=self.lang
            )
            for a in accounts
        ]
        self.accounts_list.delete(0, "end")
        for line in lines:
            self.accounts_list.insert("end", line)
        names = [a.name for a in accounts]
        index = names.index(selected) if selected in names else 0
        if names:
            self.accounts_list.selection_set(index)
            self.accounts_list.activate(index)
        if self._account_keys_loaded:
            self._say("accounts", " | ".join(lines))

    def _selected_account(self) -> str | None:
        if self.settings is None:
            return None
        chosen: tuple[int, ...] = self.accounts_list.curselection()  # type: ignore[no-untyped-call]
        if not chosen or chosen[0] >= len(self.settings.accounts):
            return None
        return self.settings.accounts[chosen[0]].name

    def _on_account_selected(self) -> None:
        name = self._selected_account()
        if name is not None:
            self._say("selected", name, force=True)

    def _show_account_result(self, ok: bool | None, text: str) -> None:
        style = "Hint.TLabel" if ok is None else ("Ok.TLabel" if ok else "Error.TLabel")
        self._show(self.account_result, text, style, kind="account")

    def _account_fields(self) -> NewAccountFields:
        return NewAccountFields(
            name=self.account_name_var.get(),
            key=self.account_key_var.get(),
            base_url=self.account_url_var.get(),
        )

    def _show_account_errors(self, errors: Mapping[AccountField, str]) -> None:
        """All the Add inputs' messages in red under them, and the first bad input focused."""
        messages = [errors[f] for f in AccountField if f in errors]
        self._show(self.account_error, "\n".join(messages), "Error.TLabel")
        for field in AccountField:
            if field in errors:
                self._say(f"error {field.value}", errors[field], force=True)
        first = next((f for f in AccountField if f in errors), None)
        if first is not None:
            self._account_entries[first].focus_set()

    def _start_account_work(
        self, busy_text: str, work: Callable[[], AccountOutcome], name: str
    ) -> None:
        self._account_busy = True
        for widget in self._account_inputs:
            widget.state(["disabled"])
        self._show_account_result(None, busy_text)
        self._in_background(work, self._on_account_done, name)

    def _on_account_done(self, outcome: AccountOutcome) -> None:
        self._account_busy = False
        if not self._saved:
            for widget in self._account_inputs:
                widget.state(["!disabled"])
        if outcome.ok and outcome.settings is not None:
            key_account = self._key_account
            self.settings = outcome.settings
            # The config and keys changed on disk: the running tray reloads now (as after the
            # CLI's `account` commands), and again when the window closes, even after Cancel.
            self.exit_code = EXIT_SAVED
            ask_to_reload(self.paths.lock_file)
            self.account_name_var.set("")
            self.account_key_var.set("")
            self.account_url_var.set("")
            self._account_keys_loaded = False
            self._in_background(self._load_account_keys, self._on_account_keys, "account-keys")
            if self._key_account != key_account:
                self.key_box.configure(text=self._key_box_title())
                self._stored_loaded = False
                self._in_background(self._load_key, self._on_key_loaded, "keyring-read")
        self._show_account_result(outcome.ok, outcome.text)

    def _prompt(
        self,
        title: str,
        text: str,
        on_ok: Callable[[str], str | None],
        *,
        initial: str | None = None,
        confirm: str = "OK",
    ) -> None:
        if self._prompt_open:
            return
        self._prompt_open = True

        def closed() -> None:
            self._prompt_open = False
            self.accounts_list.focus_set()

        ModalPrompt(
            self.root,
            self._say,
            title,
            text,
            on_ok,
            initial=initial,
            confirm=confirm,
            cancel=self.lang.gettext("Cancel"),
            on_close=closed,
        )

    def _add_account(self) -> None:
        if self._account_busy or self.settings is None:
            return
        settings = self.settings
        fields = self._account_fields()
        _ = self.lang.gettext

        def work() -> AccountOutcome:
            placeholder = placeholder_is_empty(self.paths, settings, self.environ)
            result = plan_add(settings, fields, replace_placeholder=placeholder, lang=self.lang)
            if result.plan is None:
                problem = next(iter(result.errors.values()))
                return AccountOutcome(False, _("Not added: {problem}").format(problem=problem))
            return add_account(self.paths, result.plan, self.environ)

        # The fields are checked here first, so a typo is marked at once, without a request.
        first = plan_add(settings, fields, replace_placeholder=True, lang=self.lang)
        self._show_account_errors(first.errors)
        if first.errors:
            self._show_account_result(False, _("Not added: correct the fields marked in red"))
            return
        self._start_account_work(
            _("Testing the key of {name}…").format(name=fields.name.strip()), work, "account-add"
        )

    def _test_account(self) -> None:
        name = self._selected_account()
        if self._account_busy or self.settings is None or name is None:
            return
        settings = self.settings
        self._start_account_work(
            self.lang.gettext("Testing {name}…").format(name=name),
            lambda: check_account(self.paths, settings, name, self.environ),
            "account-test",
        )

    def _rename_account(self) -> None:
        old = self._selected_account()
        if self._account_busy or self.settings is None or old is None:
            return
        settings = self.settings
        _ = self.lang.gettext

        def rename(new: str) -> str | None:
            result = plan_rename(settings, old, new, self.lang)
            if result.plan is None:
                return result.errors[AccountField.NAME]
            plan = result.plan
            self._start_account_work(
                _("Renaming {name}…").format(name=old),
                lambda: rename_account(self.paths, plan),
                "account-rename",
            )
            return None

        self._prompt(
            _("Rename account"),
            _("New name for {name}:").format(name=old),
            rename,
            initial=old,
            confirm=_("OK"),
        )

    def _remove_account(self) -> None:
        name = self._selected_account()
        if self._account_busy or self.settings is None or name is None:
            return
        result = plan_remove(self.settings, name)
        if result.plan is None:
            self._show_account_result(False, result.errors[AccountField.NAME])
            return
        plan = result.plan
        _ = self.lang.gettext

        def remove(_text: str) -> str | None:
            self._start_account_work(
                _("Removing {name}…").format(name=name),
                lambda: remove_account(self.paths, plan),
                "account-remove",
            )
            return None

        self._prompt(
            _("Remove account"),
            _("Remove {name} and forget its key? Its history file is kept.").format(name=name),
            remove,
            confirm=_("Remove"),
        )

    # -- showing things ----------------------------------------------------------------------

    def _say(self, kind: str, text: str, *, force: bool = False) -> None:
        """Echo a status change on stdout for tests (LENSMOR_TRAY_DIALOG_ECHO=1). Never the key."""
        if not self.echo or (not force and self._echoed.get(kind) == text):
            return
        self._echoed[kind] = text
        print(f"{kind}: {text}", flush=True)

    def _show(self, label: ttk.Label, text: str, style: str = "TLabel", kind: str = "") -> None:
        label.configure(text=text, style=style)
        if text:
            label.grid()
        else:
            label.grid_remove()
        if kind:
            self._say(kind, text)

    def _show_errors(self, errors: Mapping[FormField, str]) -> None:
        """Mark every field: its message in red under it, or nothing. Focus the first bad one."""
        for field in FormField:
            self._show_field_error(field, errors.get(field, ""))
        first = next((f for f in FormField if f in errors), None)
        if first is not None:
            self._errors[first][1].focus_set()

    def _show_field_error(self, field: FormField, message: str) -> None:
        self._show(self._errors[field][0], message, "Error.TLabel")
        if message:
            self._say(f"error {field.value}", message, force=True)

    def _set_status(self, text: str, style: str = "TLabel") -> None:
        self._show(self.status, text, style, kind="status")

    def _toggle_show(self) -> None:
        self.key_entry.configure(show="" if self.show_var.get() else "•")

    def _open_dashboard(self) -> None:
        try:
            webbrowser.open(DASHBOARD_URL)
        except webbrowser.Error:
            self._set_status(
                self.lang.gettext("Open {url} in your browser").format(url=DASHBOARD_URL),
                "Hint.TLabel",
            )

    # -- background work ---------------------------------------------------------------------

    def _in_background(self, work: Callable[[], T], done: Callable[[T], None], name: str) -> None:
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
        # Unexpected, but the window must stay usable: Save/Test can be retried, Cancel works.
        self._saving = self._testing = self._account_busy = False
        if not self._saved and self.settings is not None:
            for button in (self.save_button, self.cancel_button, self.test_button):
                button.state(["!disabled"])
            for account_input in self._account_inputs:
                account_input.state(["!disabled"])
        self._stored_loaded = True
        self._set_status(message, "Error.TLabel")

    def _load_key(self) -> tuple[StoredKey | None, list[str]]:
        # Its own KeyStore: a Save running at the same time must not share the warnings list.
        store = KeyStore(self.paths.key_file, self._key_account, environ=self.environ)
        stored = store.load()
        return stored, list(store.warnings)

    def _on_key_loaded(self, loaded: tuple[StoredKey | None, list[str]]) -> None:
        stored, warnings = loaded
        self._stored = stored
        self._stored_loaded = True
        self._show(self.key_hint, key_hint(stored, self.lang), "Hint.TLabel", kind="key-hint")
        if warnings and not self.status.cget("text"):
            self._set_status(sentence(warnings[0]), "Warn.TLabel")

    # -- Test --------------------------------------------------------------------------------

    def _test(self) -> None:
        if self._testing or self.settings is None:
            return
        key, error = parse_key(self.key_var.get())
        self._show_field_error(FormField.KEY, error or "")
        if error:
            return
        if key is None:
            if not self._stored_loaded:
                self._show(
                    self.test_result,
                    self.lang.gettext("Still reading the stored key…"),
                    "Hint.TLabel",
                    "test",
                )
                return
            if self._stored is None:
                self._show(
                    self.test_result, self.lang.gettext("Type a key first"), "Error.TLabel", "test"
                )
                self.key_entry.focus_set()
                return
            key = self._stored.value
        try:
            base_url = effective_base_url(self.settings, self.environ, self._key_account)
        except ConfigError as exc:
            self._show(self.test_result, str(exc), "Error.TLabel", "test")
            return
        self._testing = True
        self.test_button.state(["disabled"])
        self._show(self.test_result, self.lang.gettext("Testing…"), "Hint.TLabel", "test")
        self._in_background(
            lambda: check_key(base_url, key, self.lang), self._on_tested, "key-test"
        )

    def _on_tested(self, outcome: Outcome) -> None:
        self._testing = False
        if not self._saved:
            self.test_button.state(["!disabled"])
        style = "Ok.TLabel" if outcome.ok else "Error.TLabel"
        self._show(self.test_result, outcome.text, style, "test")

    # -- Save and close ----------------------------------------------------------------------

    def form_fields(self) -> FormFields:
        return FormFields(
            key=self.key_var.get(),
            thresholds=self.thresholds_var.get(),
            poll_interval=self.interval_var.get(),
            notifications=bool(self.notify_var.get()),
            badge_style=self.badge_style_var.get(),
        )

    def save(self) -> None:
        if self._saved:
            self.close()
            return
        if self.settings is None:
            self._set_status(
                self.lang.gettext(
                    "Nothing can be saved until the config file is fixed (see above)"
                ),
                "Error.TLabel",
            )
            return
        if self._saving:
            return
        if self._account_busy:
            # The account change is writing the config file too: one writer at a time.
            self._set_status(
                self.lang.gettext("Wait until the account change has finished"), "Hint.TLabel"
            )
            return
        result = parse_form(self.form_fields(), self.settings, self.lang)
        self._show_errors(result.errors)
        if result.settings is None:
            self._set_status(
                self.lang.gettext("Not saved: correct the fields marked in red"), "Error.TLabel"
            )
            return
        shown, settings, key = self.settings, result.settings, result.key
        self._saving = True
        self.save_button.state(["disabled"])
        self.cancel_button.state(["disabled"])
        self._set_status(self.lang.gettext("Saving…"), "Hint.TLabel")
        store = KeyStore(self.paths.key_file, self._key_account, environ=self.environ)
        self._in_background(
            lambda: save_form(self.paths.config_file, settings, key, store, shown=shown),
            self._on_saved,
            "save",
        )

    def _on_saved(self, outcome: SaveOutcome) -> None:
        self._saving = False
        self._saved = outcome.saved
        if outcome.saved:
            self.exit_code = EXIT_SAVED
        if outcome.stored is not None and not self._env_overrides:
            self._stored = outcome.stored
            self._show(
                self.key_hint, key_hint(outcome.stored, self.lang), "Hint.TLabel", kind="key-hint"
            )
        if outcome.saved and not outcome.error and not outcome.warnings:
            self._say("saved", "settings saved", force=True)
            self.close()
            return
        if not outcome.saved:
            # Keep everything the user typed; they can fix the file and press Save again.
            self.save_button.state(["!disabled"])
            self.cancel_button.state(["!disabled"])
            self._set_status(outcome.error or self.lang.gettext("Not saved"), "Error.TLabel")
            return
        # Saved, with something the user should read before the window goes away.
        message = "\n".join(filter(None, [outcome.error, *outcome.warnings]))
        self._say("saved", "settings saved", force=True)
        saved = self.lang.gettext("Saved. {details}").format(details=message)
        self._set_status(saved, "Error.TLabel" if outcome.error else "Warn.TLabel")
        for widget in [*self._inputs, self.test_button, self.cancel_button]:
            widget.state(["disabled"])
        self.save_button.configure(text=self.lang.gettext("Close"))
        self.save_button.state(["!disabled"])
        self.save_button.focus_set()

    def close(self) -> None:
        if self._saving or self._account_busy:
            return  # a half-done save would leave the key and the config out of step
        self._say("exit", str(self.exit_code), force=True)
        self.root.destroy()

    def _on_return(self, event: tk.Event[tk.Misc]) -> str:
        from tkinter import ttk

        # Return on a focused button presses that button (Test, Cancel); anywhere else: Save.
        if isinstance(event.widget, ttk.Button):
            if event.widget.instate(["!disabled"]):
                event.widget.invoke()
        elif event.widget in self._add_fields:
            self._add_account()  # Return in the Add fields adds the account, it does not Save
        else:
            self.save()
        return "break"


# -- entry points ----------------------------------------------------------------------------


def run_dialog(paths: AppPaths, environ: Mapping[str, str]) -> int:
    """Show the window until it is closed. 0 saved, 1 cancelled, 2 cannot edit (see module)."""
    try:
        import tkinter as tk
    except ImportError:
        print(
            "lensmor-tray: the Settings window needs tkinter (on Debian/Ubuntu: "
            "apt install python3-tk); use `lensmor-tray key set` and edit the config file "
            f"{paths.config_file} instead",
            file=sys.stderr,
        )
        return EXIT_CANNOT_EDIT
    try:
        root = tk.Tk(className="lensmor-tray")
    except tk.TclError as exc:
        print(f"lensmor-tray: cannot open the Settings window: {exc}", file=sys.stderr)
        return EXIT_CANNOT_EDIT
    echo = environ.get(ECHO_ENV, "") not in ("", "0")
    dialog = SettingsDialog(root, paths, environ, echo=echo)
    # Ctrl-C in the terminal that started it is the same as closing the window.
    with contextlib.suppress(KeyboardInterrupt):
        root.mainloop()
    return dialog.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tray_app.windows.settings_dialog",
        description="The lensmor-tray Settings window. Exit code 0 saved, 1 cancelled, "
        "2 the config file is broken or no display.",
    )
    parser.add_argument("--config", type=Path, default=None, help="the config file to edit")
    args = parser.parse_args(argv)
    return run_dialog(AppPaths.default(args.config), os.environ)


if __name__ == "__main__":
    raise SystemExit(main())
