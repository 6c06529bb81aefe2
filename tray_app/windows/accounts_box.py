"""The Settings window's "Accounts" box (issue 12): the list of accounts with their masked
keys, Test / Rename… / Remove… for the selected one, and the Add inputs (name, key, optional
base URL).

Its own module because its changes do not wait for Save: each is planned by `accounts_form`
(pure), carried out at once in the background by `account_actions` (key store, config,
history, as `lensmor-tray account ...` does), and then reported to the window
(`SettingsHost.accounts_changed`), which has the tray reload. While one runs, the box's
inputs are disabled and the window neither saves nor closes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tray_app.config.model import Settings
from tray_app.keys.key_store import StoredKey
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
    shown_name,
)
from tray_app.windows.modal_prompt import ModalPrompt
from tray_app.windows.settings_parts import WRAP, SettingsHost, error_label
from tray_app.windows.tk_base import wrap_to_width

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk


class AccountsBox:
    """Build it into `outer` at `row`; it lists the accounts and reads their keys at once."""

    def __init__(self, host: SettingsHost, outer: ttk.Frame, row: int) -> None:
        self.host = host
        self.busy = False  # an Add/Rename/Remove/Test is running
        self._prompt_open = False
        self._keys: dict[str, StoredKey | None] = {}
        self._keys_loaded = False
        # What the box shows in red: the Add inputs' messages, the last action's failure. The
        # Accounts tab is marked while either is shown (the host's `accounts_error`).
        self._input_error = False
        self._result_error = False
        #: The box's widgets that take the focus, by the name the tests hear, in Tab order.
        self.focusable: dict[str, tk.Widget] = {}
        self._build(outer, row)
        self._show_accounts()
        self._load_keys(host.settings)

    def _build(self, outer: ttk.Frame, row: int) -> None:
        import tkinter as tk
        from tkinter import ttk

        _ = self.host.lang.gettext
        root = self.host.root
        box = ttk.LabelFrame(outer, text=_("Accounts"), padding=(12, 8))
        box.grid(row=row, column=0, sticky="ew")
        box.columnconfigure(1, weight=1)

        self.accounts_list = tk.Listbox(
            box, height=3, exportselection=False, activestyle="dotbox", selectmode="browse"
        )
        self.accounts_list.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.accounts_list.bind("<<ListboxSelect>>", lambda _event: self._on_selected())
        actions = ttk.Frame(box)
        actions.grid(row=1, column=0, columnspan=2, sticky="w", pady=(6, 0))
        self.test_button = ttk.Button(actions, text=_("Test"), command=self.test)
        self.test_button.grid(row=0, column=0, padx=(0, 6))
        self.rename_button = ttk.Button(actions, text=_("Rename…"), command=self.rename)
        self.rename_button.grid(row=0, column=1, padx=(0, 6))
        self.remove_button = ttk.Button(actions, text=_("Remove…"), command=self.remove)
        self.remove_button.grid(row=0, column=2)

        # The Add inputs, two to a row to keep the window short: Name, API key / Base URL, Add.
        add = ttk.Frame(box)
        add.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(10, 0))
        add.columnconfigure(1, weight=1)
        add.columnconfigure(3, weight=2)
        self.name_var = tk.StringVar(root)
        self.key_var = tk.StringVar(root)
        self.url_var = tk.StringVar(root)
        entries: dict[AccountField, ttk.Entry] = {}
        for field, label, var, show, line, column, width in [
            (AccountField.NAME, _("Name:"), self.name_var, "", 0, 0, 12),
            (AccountField.KEY, _("API key:"), self.key_var, "•", 0, 2, 22),
            (AccountField.BASE_URL, _("Base URL (optional):"), self.url_var, "", 1, 0, 12),
        ]:
            ttk.Label(add, text=label).grid(
                row=line, column=column, sticky="w", padx=(0 if column == 0 else 8, 4), pady=2
            )
            entry = ttk.Entry(add, textvariable=var, show=show, width=width)
            span = 1 if field is not AccountField.BASE_URL else 2
            entry.grid(row=line, column=column + 1, columnspan=span, sticky="ew", pady=2)
            entries[field] = entry
        self.error = error_label(box, row=3, column=0)
        self._entries = entries
        self.add_button = ttk.Button(add, text=_("Add account"), command=self.add)
        self.add_button.grid(row=1, column=3, sticky="e", padx=(8, 0), pady=2)
        self.result = ttk.Label(box, text="", wraplength=WRAP)
        self.result.grid(row=5, column=0, columnspan=2, sticky="ew", pady=(6, 0))
        wrap_to_width(self.result)
        self.result.grid_remove()

        #: Return in these adds the account; it does not Save.
        self.add_fields: set[tk.Misc] = set(entries.values())
        self.focusable = {
            "accounts": self.accounts_list,
            "account_test": self.test_button,
            "account_rename": self.rename_button,
            "account_remove": self.remove_button,
            "account_name": entries[AccountField.NAME],
            "account_key": entries[AccountField.KEY],
            "account_base_url": entries[AccountField.BASE_URL],
            "account_add": self.add_button,
        }
        self._inputs: list[ttk.Widget] = [
            self.test_button,
            self.rename_button,
            self.remove_button,
            *entries.values(),
            self.add_button,
        ]

    def set_enabled(self, enabled: bool) -> None:
        for widget in self._inputs:
            widget.state(["!disabled" if enabled else "disabled"])

    # -- the list ----------------------------------------------------------------------------

    def _load_keys(self, settings: Settings | None) -> None:
        host = self.host

        def load() -> dict[str, StoredKey | None]:
            if settings is None:
                return {}
            return stored_keys(host.paths, settings, host.environ)

        host.in_background(load, self._on_keys, "account-keys")

    def _on_keys(self, keys: dict[str, StoredKey | None]) -> None:
        self._keys = keys
        self._keys_loaded = True
        self._show_accounts()

    def _show_accounts(self) -> None:
        """Refill the list from the window's settings, keeping the selection by name."""
        selected = self._selected()
        settings = self.host.settings
        accounts = settings.accounts if settings is not None else ()
        lines = [
            account_line(
                a,
                self._keys.get(a.name),
                loaded=self._keys_loaded,
                lang=self.host.lang,
                name=self._shown(a.name),
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
        if self._keys_loaded:
            self.host.say("accounts", " | ".join(lines))

    def _selected(self) -> str | None:
        settings = self.host.settings
        if settings is None:
            return None
        chosen: tuple[int, ...] = self.accounts_list.curselection()  # type: ignore[no-untyped-call]
        if not chosen or chosen[0] >= len(settings.accounts):
            return None
        return settings.accounts[chosen[0]].name

    def _shown(self, name: str) -> str:
        """`name` as the window shows it ("Main" for the unnamed default account)."""
        return shown_name(name, self.host.settings, self.host.lang)

    def _on_selected(self) -> None:
        name = self._selected()
        if name is not None:
            self.host.say("selected", name, force=True)

    # -- showing results ---------------------------------------------------------------------

    def _show_result(self, ok: bool | None, text: str) -> None:
        style = "Hint.TLabel" if ok is None else ("Ok.TLabel" if ok else "Error.TLabel")
        self.host.show(self.result, text, style, kind="account")
        self._result_error = ok is False
        self.host.accounts_error(self._input_error or self._result_error)

    def _show_errors(self, errors: Mapping[AccountField, str]) -> None:
        """All the Add inputs' messages in red under them, and the first bad input focused."""
        messages = [errors[f] for f in AccountField if f in errors]
        self.host.show(self.error, "\n".join(messages), "Error.TLabel")
        self._input_error = bool(messages)
        self.host.accounts_error(self._input_error or self._result_error)
        for field in AccountField:
            if field in errors:
                self.host.say(f"error {field.value}", errors[field], force=True)
        first = next((f for f in AccountField if f in errors), None)
        if first is not None:
            self._entries[first].focus_set()

    # -- the work ----------------------------------------------------------------------------

    def _start(self, busy_text: str, work: Callable[[], AccountOutcome], name: str) -> None:
        self.busy = True
        self.set_enabled(False)
        self._show_result(None, busy_text)
        self.host.in_background(work, self._on_done, name)

    def _on_done(self, outcome: AccountOutcome) -> None:
        self.busy = False
        if not self.host.saved:
            self.set_enabled(True)
        if outcome.ok and outcome.settings is not None:
            settings = outcome.settings
            self.name_var.set("")
            self.key_var.set("")
            self.url_var.set("")
            self._keys_loaded = False
            self._load_keys(settings)
            self.host.accounts_changed(settings)
        self._show_result(outcome.ok, outcome.text)

    def after_failure(self, *, editable: bool) -> None:
        """Background work failed unexpectedly: the buttons can be pressed again."""
        self.busy = False
        if editable:
            self.set_enabled(True)

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
            self.host.root,
            self.host.say,
            title,
            text,
            on_ok,
            initial=initial,
            confirm=confirm,
            cancel=self.host.lang.gettext("Cancel"),
            on_close=closed,
        )

    # -- the buttons -------------------------------------------------------------------------

    def add(self) -> None:
        host = self.host
        if self.busy or host.settings is None:
            return
        settings = host.settings
        fields = NewAccountFields(
            name=self.name_var.get(), key=self.key_var.get(), base_url=self.url_var.get()
        )
        _ = host.lang.gettext

        def work() -> AccountOutcome:
            placeholder = placeholder_is_empty(host.paths, settings, host.environ)
            result = plan_add(settings, fields, replace_placeholder=placeholder, lang=host.lang)
            if result.plan is None:
                problem = next(iter(result.errors.values()))
                return AccountOutcome(False, _("Not added: {problem}").format(problem=problem))
            return add_account(host.paths, result.plan, host.environ, host.lang)

        # The fields are checked here first, so a typo is marked at once, without a request.
        first = plan_add(settings, fields, replace_placeholder=True, lang=host.lang)
        self._show_errors(first.errors)
        if first.errors:
            self._show_result(False, _("Not added: correct the fields marked in red"))
            return
        self._start(
            _("Testing the key of {name}…").format(name=fields.name.strip()), work, "account-add"
        )

    def test(self) -> None:
        host = self.host
        name = self._selected()
        if self.busy or host.settings is None or name is None:
            return
        settings = host.settings
        self._start(
            host.lang.gettext("Testing {name}…").format(name=self._shown(name)),
            lambda: check_account(host.paths, settings, name, host.environ, lang=host.lang),
            "account-test",
        )

    def rename(self) -> None:
        host = self.host
        old = self._selected()
        if self.busy or host.settings is None or old is None:
            return
        settings = host.settings
        _ = host.lang.gettext
        shown = self._shown(old)

        def rename(new: str) -> str | None:
            # OK on the name as shown ("Main" for "default") is no rename either.
            result = plan_rename(settings, old, old if new.strip() == shown else new, host.lang)
            if result.plan is None:
                return result.errors[AccountField.NAME]
            plan = result.plan
            self._start(
                _("Renaming {name}…").format(name=shown),
                lambda: rename_account(host.paths, plan, host.lang),
                "account-rename",
            )
            return None

        self._prompt(
            _("Rename account"),
            _("New name for {name}:").format(name=shown),
            rename,
            initial=shown,
            confirm=_("OK"),
        )

    def remove(self) -> None:
        host = self.host
        name = self._selected()
        if self.busy or host.settings is None or name is None:
            return
        result = plan_remove(host.settings, name, host.lang)
        if result.plan is None:
            self._show_result(False, result.errors[AccountField.NAME])
            return
        plan = result.plan
        _ = host.lang.gettext
        shown = self._shown(name)

        def remove(_text: str) -> str | None:
            self._start(
                _("Removing {name}…").format(name=shown),
                lambda: remove_account(host.paths, plan, host.lang),
                "account-remove",
            )
            return None

        self._prompt(
            _("Remove account"),
            _("Remove {name} and forget its key? Its history file is kept.").format(name=shown),
            remove,
            confirm=_("Remove"),
        )
