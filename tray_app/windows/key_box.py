"""The Settings window's "API key" box: the key entry (masked unless "Show" is ticked), where
the current key is stored, the Test button and the link to where keys are made.

Its own module because it has its own state (the stored key, read from the keyring in the
background; a Test request in flight) apart from the rest of the form. It edits the key of
the first account (`settings_parts.key_account`); the window saves it with the form.
The key is never printed or echoed: the tests hear the hint and the Test result only.
"""

from __future__ import annotations

import webbrowser
from typing import TYPE_CHECKING

from tray_app.config.model import DASHBOARD_URL, DEFAULT_ACCOUNT, ConfigError
from tray_app.config.urls import effective_base_url
from tray_app.core.language import N_
from tray_app.keys.key_store import KeyStore, StoredKey
from tray_app.windows.settings_actions import check_key
from tray_app.windows.settings_form import (
    ENV_OVERRIDE_NOTE,
    FormField,
    Outcome,
    key_hint,
    parse_key,
    sentence,
)
from tray_app.windows.settings_parts import (
    WRAP,
    SettingsHost,
    error_label,
    key_account,
    show_field_error,
)
from tray_app.windows.tk_base import wrap_to_width

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk

KEY_HELP = N_("Create a key in the Lensmor app: Settings → API Keys")


class KeyBox:
    """Build it into `outer` at `row`; `load()` then reads the stored key in the background."""

    def __init__(
        self, host: SettingsHost, outer: ttk.Frame, row: int, *, env_overrides: bool
    ) -> None:
        self.host = host
        self.env_overrides = env_overrides
        self.stored: StoredKey | None = None
        self.stored_loaded = False
        self.testing = False
        #: The box's widgets that take the focus, by the name the tests hear, in Tab order.
        self.focusable: dict[str, tk.Widget] = {}
        #: What Save disables once saved.
        self.inputs: list[ttk.Widget] = []
        self._build(outer, row)

    def _build(self, outer: ttk.Frame, row: int) -> None:
        import tkinter as tk
        from tkinter import font as tkfont
        from tkinter import ttk

        _ = self.host.lang.gettext
        root = self.host.root
        box = ttk.LabelFrame(outer, text=self.title(), padding=(12, 8))
        self.box = box
        box.grid(row=row, column=0, sticky="ew")
        box.columnconfigure(0, weight=1)

        self.key_var = tk.StringVar(root)
        self.key_entry = ttk.Entry(box, textvariable=self.key_var, show="•", width=42)
        self.key_entry.grid(row=0, column=0, sticky="ew")
        self.show_var = tk.BooleanVar(root, value=False)
        show = ttk.Checkbutton(
            box, text=_("Show"), variable=self.show_var, command=self._toggle_show
        )
        show.grid(row=0, column=1, padx=(8, 0))
        self.key_error = error_label(box, row=1)
        self.key_hint = ttk.Label(
            box, text=_("Current key: checking…"), style="Hint.TLabel", wraplength=WRAP
        )
        self.key_hint.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(4, 0))
        wrap_to_width(self.key_hint)
        if self.env_overrides:
            note = ttk.Label(box, text=_(ENV_OVERRIDE_NOTE), style="Warn.TLabel", wraplength=WRAP)
            note.grid(row=3, column=0, columnspan=2, sticky="ew", pady=(4, 0))
            wrap_to_width(note)
            self.host.say("key-note", ENV_OVERRIDE_NOTE)

        test_row = ttk.Frame(box)
        test_row.grid(row=4, column=0, columnspan=2, sticky="ew", pady=(8, 0))
        test_row.columnconfigure(1, weight=1)
        self.test_button = ttk.Button(test_row, text=_("Test"), command=self.test)
        self.test_button.grid(row=0, column=0, sticky="w")
        self.test_result = ttk.Label(test_row, text="", wraplength=WRAP - 90)
        self.test_result.grid(row=0, column=1, sticky="ew", padx=(10, 0))
        wrap_to_width(self.test_result)

        link_font = tkfont.nametofont("TkDefaultFont").copy()
        link_font.configure(underline=True)
        self._link_font = link_font  # keep a reference: Tk forgets fonts Python drops
        link = ttk.Label(box, text=_(KEY_HELP), style="Link.TLabel", cursor="hand2", font=link_font)
        link.grid(row=5, column=0, columnspan=2, sticky="w", pady=(8, 0))
        link.bind("<Button-1>", lambda _event: self._open_dashboard())

        self.focusable = {"key": self.key_entry, "show": show, "test": self.test_button}
        self.inputs = [self.key_entry, show]

    def title(self) -> str:
        name = key_account(self.host.settings)
        _ = self.host.lang.gettext
        return _("API key") if name == DEFAULT_ACCOUNT else _("API key — {name}").format(name=name)

    # -- the stored key ----------------------------------------------------------------------

    def load(self) -> None:
        """Read the stored key in the background; the hint says where it is when done."""
        account = key_account(self.host.settings)
        self.host.in_background(lambda: self._load_key(account), self._on_loaded, "keyring-read")

    def account_changed(self) -> None:
        """The first account is another one now: show its name and read its key."""
        self.box.configure(text=self.title())
        self.stored_loaded = False
        self.load()

    def _load_key(self, account: str) -> tuple[StoredKey | None, list[str]]:
        # Its own KeyStore: a Save running at the same time must not share the warnings list.
        store = KeyStore(self.host.paths.key_file, account, environ=self.host.environ)
        stored = store.load()
        return stored, [warning.text(self.host.lang) for warning in store.warnings]

    def _on_loaded(self, loaded: tuple[StoredKey | None, list[str]]) -> None:
        stored, warnings = loaded
        self.stored = stored
        self.stored_loaded = True
        self._show_hint()
        if warnings and not self.host.status_text():
            self.host.set_status(sentence(warnings[0]), "Warn.TLabel")

    def stored_changed(self, stored: StoredKey) -> None:
        """Save stored a newly typed key."""
        self.stored = stored
        self._show_hint()

    def _show_hint(self) -> None:
        hint = key_hint(self.stored, self.host.lang)
        self.host.show(self.key_hint, hint, "Hint.TLabel", kind="key-hint")

    def after_failure(self, *, editable: bool) -> None:
        """Background work failed unexpectedly: Test can be pressed again."""
        self.testing = False
        if editable:
            self.test_button.state(["!disabled"])
        self.stored_loaded = True

    # -- the controls ------------------------------------------------------------------------

    def _toggle_show(self) -> None:
        self.key_entry.configure(show="" if self.show_var.get() else "•")

    def _open_dashboard(self) -> None:
        try:
            webbrowser.open(DASHBOARD_URL)
        except webbrowser.Error:
            self.host.set_status(
                self.host.lang.gettext("Open {url} in your browser").format(url=DASHBOARD_URL),
                "Hint.TLabel",
            )

    def test(self) -> None:
        """One balance request with the typed key, or else the stored one."""
        host = self.host
        _ = host.lang.gettext
        if self.testing or host.settings is None:
            return
        key, error = parse_key(self.key_var.get(), host.lang)
        show_field_error(host, self.key_error, FormField.KEY.value, error or "")
        if error:
            return
        if key is None:
            if not self.stored_loaded:
                host.show(
                    self.test_result, _("Still reading the stored key…"), "Hint.TLabel", "test"
                )
                return
            if self.stored is None:
                host.show(self.test_result, _("Type a key first"), "Error.TLabel", "test")
                self.key_entry.focus_set()
                return
            key = self.stored.value
        try:
            base_url = effective_base_url(host.settings, host.environ, key_account(host.settings))
        except ConfigError as exc:
            host.show(self.test_result, sentence(exc.text(host.lang)), "Error.TLabel", "test")
            return
        self.testing = True
        self.test_button.state(["disabled"])
        host.show(self.test_result, _("Testing…"), "Hint.TLabel", "test")
        host.in_background(lambda: check_key(base_url, key, host.lang), self._on_tested, "key-test")

    def _on_tested(self, outcome: Outcome) -> None:
        self.testing = False
        if not self.host.saved:
            self.test_button.state(["!disabled"])
        style = "Ok.TLabel" if outcome.ok else "Error.TLabel"
        self.host.show(self.test_result, outcome.text, style, "test")
