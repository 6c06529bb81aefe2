"""The Settings… window: API key, accounts, alert thresholds, poll interval, notifications.

It runs as its own process (`python -m tray_app.windows.settings_dialog --config PATH`, also wired
as `lensmor-tray settings`) so tkinter never competes with the tray's main loop. Exit codes,
which the tray reads to decide whether to reload the config and the key:

    0  saved (the tray reloads)      1  cancelled, nothing written
    2  nothing could be edited: the config file is broken (it is never overwritten), or there
       is no display / no tkinter

This module is the window, `SettingsDialog` (the config-error banner, Save, Cancel, the
status line), and the entry points. Its four tabs (`settings_pages`) hold one box each, their
own modules: `key_box`, `accounts_box`, `alerts_box` and `appearance_box` (what they share:
`settings_parts`; the scaffolding every window of the app shares: `tk_base`; the colours,
light or dark as the desktop prefers: `palette`). The buttons are below the tabs, so they are
on screen whichever tab is shown and however long its messages are (issue 23). What it
shows and saves is decided elsewhere, without Tk: `settings_form` parses and validates the
fields into a `Settings` (pure), `settings_actions` does the Test and Save buttons' I/O,
`accounts_form` plans the Accounts list's Add/Rename/Remove (pure) and `account_actions`
carries them out (key store, config, history) and tests an account's key.

Accounts (issue 12): the list shows every account with its masked key. Add takes a name, a
key and an optional base URL; the key is tested against the API before anything is saved.
Rename, Remove and Test act on the selected account. Account changes are saved at once (like
`lensmor-tray account ...`), and the window then exits with 0 so the tray reloads.

Threads: everything that can block (the keyring read at start, the Test request, the keyring
write on Save) runs in a daemon worker (`TkWindow.in_background`); its result is queued and
picked up on the Tk thread by an `after` poll, because Tk may only be touched from the thread
that created it.

The key is never printed, logged, put on a command line or into an environment: the window
shows it masked (`fmt.mask_key`) unless the user ticks "Show". With
LENSMOR_TRAY_DIALOG_ECHO=1 the window prints each status change as one `kind: text` line on
stdout for the desktop tests; those texts never contain the key either.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app.config.loading import load_settings
from tray_app.config.model import ConfigError, Settings
from tray_app.config.paths import AppPaths
from tray_app.core.language import N_
from tray_app.keys.key_store import KeyStore
from tray_app.support.i18n import language_from_environ
from tray_app.support.instance import ask_to_reload
from tray_app.windows.accounts_box import AccountsBox
from tray_app.windows.alerts_box import AlertsBox
from tray_app.windows.appearance_box import AppearanceBox
from tray_app.windows.key_box import KeyBox
from tray_app.windows.palette import LIGHT, Palette, desktop_palette
from tray_app.windows.settings_actions import SaveOutcome, save_form
from tray_app.windows.settings_form import FormField, FormFields, parse_form, sentence
from tray_app.windows.settings_pages import Page, SettingsPages
from tray_app.windows.settings_parts import (
    BANNER_PADDING,
    WRAP,
    key_account,
    show_field_error,
    style_settings,
)
from tray_app.windows.tk_base import (
    TkWindow,
    echo_requested,
    main_loop,
    open_root,
    place,
    set_icon,
    wrap_to_width,
)

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk


EXIT_SAVED = 0
EXIT_CANCELLED = 1
EXIT_CANNOT_EDIT = 2

# Words are marked with N_ and translated where they are shown (self.lang, from the
# environment the window was started with: LC_ALL, LC_MESSAGES, LANG).
TITLE = N_("Lensmor tray — Settings")


class SettingsDialog(TkWindow):
    """The window. Build it on a fresh `tk.Tk`, run `root.mainloop()`, then read `exit_code`."""

    def __init__(
        self,
        root: tk.Tk,
        paths: AppPaths,
        environ: Mapping[str, str],
        *,
        echo: bool = False,
        palette: Palette = LIGHT,
    ) -> None:
        super().__init__(root, language_from_environ(environ), echo=echo)
        self.palette = palette
        self.paths = paths
        self.environ = environ
        self.exit_code = EXIT_CANCELLED
        self.saved = False
        self._saving = False
        try:
            self.settings: Settings | None = load_settings(paths.config_file)
            self.config_error: str | None = None
        except ConfigError as exc:
            self.settings = None
            self.config_error = exc.text(self.lang)  # read in the banner: the user's language
            self.exit_code = EXIT_CANNOT_EDIT
        self._env_overrides = KeyStore(
            paths.key_file, key_account(self.settings), environ=environ
        ).environment_overrides
        self._build()
        self.key_box.load()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        from tkinter import ttk

        _ = self.lang.gettext
        root = self.root
        root.title(_(TITLE))
        root.resizable(False, False)
        style_settings(root, self.palette)
        self.say("colours", "dark" if self.palette.dark else "light")

        outer = ttk.Frame(root, padding=16)
        outer.grid(sticky="nsew")
        root.columnconfigure(0, weight=1)
        root.rowconfigure(0, weight=1)
        outer.columnconfigure(0, weight=1)
        outer.rowconfigure(1, weight=1)  # on a screen too small, the tabs give, not the buttons
        if self.config_error:
            banner = ttk.Label(
                outer,
                text=_("The config file cannot be used, so nothing will be saved.")
                + f"\n\n{sentence(self.config_error)}",
                style="Banner.TLabel",
                wraplength=WRAP,
            )
            banner.grid(row=0, column=0, sticky="ew", pady=(0, 12))
            wrap_to_width(banner, padding=BANNER_PADDING)
            self.say("config-error", self.config_error)
        # Creation order is the Tab order: the tabs, the shown tab's fields (key, Show, Test;
        # the accounts list and its inputs; thresholds, interval, notifications; badge style),
        # Cancel, Save.
        self.pages = SettingsPages(self.lang, outer, row=1, say=self.say)
        settings = self.settings or Settings()
        self.key_box = KeyBox(
            self, self.pages.frame(Page.KEY), row=0, env_overrides=self._env_overrides
        )
        self.accounts = AccountsBox(self, self.pages.frame(Page.ACCOUNTS), row=0)
        self.alerts = AlertsBox(
            root, self.lang, self.pages.frame(Page.ALERTS), row=0, settings=settings
        )
        self.appearance = AppearanceBox(
            root, self.lang, self.pages.frame(Page.APPEARANCE), row=0, settings=settings
        )
        self._build_buttons(outer, row=2)
        self._inputs = [*self.key_box.inputs, *self.alerts.inputs, *self.appearance.inputs]
        self._errors: dict[FormField, tuple[ttk.Label, ttk.Widget]] = {
            FormField.KEY: (self.key_box.key_error, self.key_box.key_entry),
            **self.alerts.errors,
            **self.appearance.errors,
        }

        if self.config_error:
            self.save_button.state(["disabled"])
            self.key_box.test_button.state(["disabled"])
            self.accounts.set_enabled(False)
        if self.echo:
            # The tab row: Tk binds no <FocusIn> for a move from a field inside it (an X
            # "NotifyInferior" event), so the tests hear the Tab key's arrival instead.
            self.pages.notebook.bind(
                "<<TraverseIn>>", lambda _event: self.say("focus", "tabs", force=True), add=True
            )
            self.echo_focus(
                {
                    **self.key_box.focusable,
                    **self.accounts.focusable,
                    **self.alerts.focusable,
                    **self.appearance.focusable,
                    "cancel": self.cancel_button,
                    "save": self.save_button,
                }
            )
            # Where the buttons are on the screen, each time that changes: the tests check
            # that they are inside it, whatever the language and the messages shown.
            self.buttons.bind("<Configure>", lambda _event: self._say_buttons(), add=True)
            root.bind("<Configure>", self._root_moved, add=True)
        self.bind_common_keys()
        root.bind("<KP_Enter>", self._on_return)
        set_icon(root)
        place(root)

    def _root_moved(self, event: tk.Event[tk.Misc]) -> None:
        if event.widget is self.root:
            self._say_buttons()

    def _say_buttons(self) -> None:
        buttons = self.buttons
        left, top = buttons.winfo_rootx(), buttons.winfo_rooty()
        right, bottom = left + buttons.winfo_width(), top + buttons.winfo_height()
        screen = f"{buttons.winfo_screenwidth()}x{buttons.winfo_screenheight()}"
        self.say("buttons", f"{left},{top},{right},{bottom} on {screen}")

    def _build_buttons(self, outer: ttk.Frame, row: int) -> None:
        from tkinter import ttk

        _ = self.lang.gettext
        self.status = ttk.Label(outer, text="", wraplength=WRAP)
        self.status.grid(row=row, column=0, sticky="ew", pady=(10, 0))
        wrap_to_width(self.status)
        self.status.grid_remove()
        buttons = ttk.Frame(outer)
        buttons.grid(row=row + 1, column=0, sticky="e", pady=(12, 0))
        self.buttons = buttons
        self.cancel_button = ttk.Button(buttons, text=_("Cancel"), command=self.close)
        self.cancel_button.grid(row=0, column=0, padx=(0, 8))
        self.save_button = ttk.Button(buttons, text=_("Save"), command=self.save, default="active")
        self.save_button.grid(row=0, column=1)

    def _shown(self) -> None:
        self.key_box.key_entry.focus_set()
        self.root.after_idle(self.announce_ready)

    # -- what the boxes see (settings_parts.SettingsHost) ------------------------------------

    def set_status(self, text: str, style: str = "TLabel") -> None:
        self.show(self.status, text, style, kind="status")

    def status_text(self) -> str:
        return str(self.status.cget("text"))

    def accounts_changed(self, settings: Settings) -> None:
        before = key_account(self.settings)
        self.settings = settings
        # The config and keys changed on disk: the running tray reloads now (as after the
        # CLI's `account` commands), and again when the window closes, even after Cancel.
        self.exit_code = EXIT_SAVED
        ask_to_reload(self.paths.lock_file)
        if key_account(settings) != before:
            self.key_box.account_changed()

    def accounts_error(self, shown: bool) -> None:
        self.pages.flag(Page.ACCOUNTS, shown)

    def _show_errors(self, errors: Mapping[FormField, str]) -> None:
        """Mark every field: its message in red under it, or nothing; mark the tabs with an
        error, bring the first of them to the front if the shown one has none, and focus the
        first bad field there."""
        for field in FormField:
            show_field_error(self, self._errors[field][0], field.value, errors.get(field, ""))
        pages = {self.pages.page_of(self._errors[f][1]) for f in errors}
        self.pages.show_errors_on([page for page in Page if page in pages])
        shown = self.pages.shown()
        first = next(
            (
                f
                for f in FormField
                if f in errors and self.pages.page_of(self._errors[f][1]) is shown
            ),
            None,
        )
        if first is not None:
            self._errors[first][1].focus_set()

    def _worker_failed(self, message: str) -> None:
        # Unexpected, but the window must stay usable: Save/Test can be retried, Cancel works.
        self._saving = False
        editable = not self.saved and self.settings is not None
        if editable:
            self.save_button.state(["!disabled"])
            self.cancel_button.state(["!disabled"])
        self.key_box.after_failure(editable=editable)
        self.accounts.after_failure(editable=editable)
        self.set_status(message, "Error.TLabel")

    # -- Save and close ----------------------------------------------------------------------

    def form_fields(self) -> FormFields:
        return self.alerts.form_fields(self.key_box.key_var.get(), self.appearance.badge_style())

    def save(self) -> None:
        _ = self.lang.gettext
        if self.saved:
            self.close()
            return
        if self.settings is None:
            self.set_status(
                _("Nothing can be saved until the config file is fixed (see above)"),
                "Error.TLabel",
            )
            return
        if self._saving:
            return
        if self.accounts.busy:
            # The account change is writing the config file too: one writer at a time.
            self.set_status(_("Wait until the account change has finished"), "Hint.TLabel")
            return
        result = parse_form(self.form_fields(), self.settings, self.lang)
        self._show_errors(result.errors)
        if result.settings is None:
            self.set_status(_("Not saved: correct the fields marked in red"), "Error.TLabel")
            return
        shown, settings, key = self.settings, result.settings, result.key
        self._saving = True
        self.save_button.state(["disabled"])
        self.cancel_button.state(["disabled"])
        self.set_status(_("Saving…"), "Hint.TLabel")
        store = KeyStore(self.paths.key_file, key_account(shown), environ=self.environ)
        self.in_background(
            lambda: save_form(
                self.paths.config_file, settings, key, store, shown=shown, lang=self.lang
            ),
            self._on_saved,
            "save",
        )

    def _on_saved(self, outcome: SaveOutcome) -> None:
        self._saving = False
        self.saved = outcome.saved
        if outcome.saved:
            self.exit_code = EXIT_SAVED
        if outcome.stored is not None and not self._env_overrides:
            self.key_box.stored_changed(outcome.stored)
        if outcome.saved and not outcome.error and not outcome.warnings:
            self.say("saved", "settings saved", force=True)
            self.close()
            return
        if not outcome.saved:
            # Keep everything the user typed; they can fix the file and press Save again.
            self.save_button.state(["!disabled"])
            self.cancel_button.state(["!disabled"])
            self.set_status(outcome.error or self.lang.gettext("Not saved"), "Error.TLabel")
            return
        # Saved, with something the user should read before the window goes away.
        message = "\n".join(filter(None, [outcome.error, *outcome.warnings]))
        self.say("saved", "settings saved", force=True)
        saved = self.lang.gettext("Saved. {details}").format(details=message)
        self.set_status(saved, "Error.TLabel" if outcome.error else "Warn.TLabel")
        for widget in [*self._inputs, self.key_box.test_button, self.cancel_button]:
            widget.state(["disabled"])
        self.save_button.configure(text=self.lang.gettext("Close"))
        self.save_button.state(["!disabled"])
        self.save_button.focus_set()

    def close(self) -> None:
        if self._saving or self.accounts.busy:
            return  # a half-done save would leave the key and the config out of step
        super().close()

    def _return_elsewhere(self, widget: tk.Misc) -> None:
        if widget in self.accounts.add_fields:
            self.accounts.add()  # Return in the Add fields adds the account, it does not Save
        else:
            self.save()


# -- entry points ----------------------------------------------------------------------------


def run_dialog(paths: AppPaths, environ: Mapping[str, str]) -> int:
    """Show the window until it is closed. 0 saved, 1 cancelled, 2 cannot edit (see module)."""
    root = open_root(
        "Settings",
        no_tkinter="use `lensmor-tray key set` and edit the config file "
        f"{paths.config_file} instead",
    )
    if root is None:
        return EXIT_CANNOT_EDIT
    dialog = SettingsDialog(
        root, paths, environ, echo=echo_requested(environ), palette=desktop_palette()
    )
    main_loop(root)
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
