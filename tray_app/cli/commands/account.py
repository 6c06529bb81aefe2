"""`lensmor-tray account add|list|remove|rename`: the accounts in the config, with their keys.

An account is its `[[accounts]]` entry in the config, its key (keyring user name = the account
name, see keys/key_store.py) and its history file (AppPaths.history_db_for). `add` tests the key
against the API before anything is saved; `remove` forgets the key and the entry but keeps
the history file (it says where); `rename` moves all three. The parser is cli/parser.py's;
`--account NAME` of the other commands is read by cli.args.selected_accounts.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass

from tray_app.cli.commands.key import read_key_input
from tray_app.cli.commands.running_app import tell_the_running_app
from tray_app.cli.config_access import load_config, user_language
from tray_app.cli.exits import print_error
from tray_app.cli.fetch import fetch_with_key
from tray_app.cli.hints import account_add_command
from tray_app.config.account_rules import check_new_name, with_new_account
from tray_app.config.model import AccountConfig, ConfigError, Settings
from tray_app.config.paths import AppPaths
from tray_app.config.urls import effective_base_url, validate_base_url
from tray_app.core import fmt
from tray_app.core.balance import Balance
from tray_app.core.language import ENGLISH, Language
from tray_app.keys.account_files import add_account, default_is_a_placeholder, remove_account
from tray_app.keys.account_files import rename_account as rename_account_files
from tray_app.keys.key_store import InvalidKey, KeyStore, looks_like_lensmor_key, normalise_key


def cmd_account(args: argparse.Namespace) -> int:
    paths, settings = load_config(args)
    commands = AccountCommands(
        paths=paths,
        settings=settings,
        read_key=lambda: read_key_input(account_add_command(args.name)),
        test_key=fetch_with_key,
        warn=print_error,
        lang=user_language(),
    )
    code = commands.run(args)
    return code if args.account_command == "list" else tell_the_running_app(paths, code)


# -- add, list, remove, rename ---------------------------------------------------------------


@dataclass(frozen=True)
class AccountCommands:
    """The account commands with what they read, print and call passed in: `cmd_account` passes
    the CLI's own (a prompt or stdin, a request to the API, stderr)."""

    paths: AppPaths
    settings: Settings
    read_key: Callable[[], str]  # hidden prompt or stdin; raises CliError
    test_key: Callable[[str, str], Balance]  # (base_url, key) -> balance; raises CliError
    warn: Callable[[str], None]
    lang: Language = ENGLISH  # what the commands print, in the user's language

    def run(self, args: argparse.Namespace) -> int:
        if args.account_command == "add":
            return self.add(args.name, args.base_url)
        if args.account_command == "list":
            return self.list()
        if args.account_command == "remove":
            return self.remove(args.name)
        return self.rename(args.old, args.new)

    def add(self, name: str, base_url: str | None) -> int:
        _ = self.lang.gettext
        # Checked before the key is asked for, and again under the config lock when it is
        # saved (account_files.add_account): another `account add` may take the name meanwhile.
        placeholder = default_is_a_placeholder(self.paths, self.settings)
        check_new_name(self.settings, name, self.lang, replaces_placeholder=placeholder)
        if base_url is not None:
            base_url = validate_base_url(base_url)
        text = self.read_key()
        try:
            key = normalise_key(text)
        except InvalidKey as exc:
            raise ConfigError(
                _("{problem}; paste the key exactly as the Lensmor app showed it").format(
                    problem=exc.text(self.lang)
                )
            ) from None
        if not looks_like_lensmor_key(key):
            self.warn(
                _("warning: this does not look like a Lensmor key (they start with uak_ or sk_)")
            )
        new = AccountConfig(name, base_url)
        candidate = with_new_account(self.settings, new, replaces_placeholder=placeholder)
        url = effective_base_url(candidate, os.environ, name)
        balance = self.test_key(url, key)  # raises: nothing has been saved yet
        stored, _saved = add_account(self.paths, new, key, lang=self.lang)
        print(
            _("added {name}: {key} in the {place}; {balance} of {total} credits").format(
                name=name,
                key=stored.masked,
                place=stored.source.text(self.lang),
                balance=fmt.credits(balance.total_balance, self.lang),
                total=fmt.credits(balance.total_amount, self.lang),
            )
        )
        return 0

    def list(self) -> int:
        for account in self.settings.accounts:
            stored = KeyStore(self.paths.key_file, account.name).load()
            key = (
                f"{stored.masked} ({stored.source.text(self.lang)})"
                if stored
                else self.lang.gettext("no key")
            )
            pinned = " [badge]" if self.settings.badge_account == account.name else ""
            print(f"{account.name}{pinned}\t{key}\t{self._last_balance(account.name)}")
        return 0

    def _last_balance(self, name: str) -> str:
        _ = self.lang.gettext
        path = self.paths.history_db_for(name)
        if not path.exists():
            return _("no balance yet")
        from tray_app.history.store import HistoryStore

        with HistoryStore.open(path) as store:
            last = store.last_recorded()
        if last is None:
            return _("no balance yet")
        ts, balance = last
        return _("{balance} of {total} credits ({time})").format(
            balance=fmt.credits(balance.total_balance, self.lang),
            total=fmt.credits(balance.total_amount, self.lang),
            time=fmt.iso_utc(ts),
        )

    def remove(self, name: str) -> int:
        removed = remove_account(self.paths, name)
        _ = self.lang.gettext
        if removed.sources:
            where = ", ".join(source.text(self.lang) for source in removed.sources)
            print(
                _("removed {name}; its key was removed from: {places}").format(
                    name=removed.name, places=where
                )
            )
        else:
            print(_("removed {name}; it had no stored key").format(name=removed.name))
        history = self.paths.history_db_for(removed.name)
        if history.exists():
            print(
                _("its history is kept in {path} (delete that file to forget it)").format(
                    path=history
                )
            )
        if KeyStore(self.paths.key_file, removed.name).environment_overrides:
            self.warn(_("warning: LENSMOR_API_KEY is still set in the environment"))
        return 0

    def rename(self, old: str, new: str) -> int:
        _ = self.lang.gettext
        renamed = rename_account_files(self.paths, old, new, lang=self.lang)
        if renamed is None:
            print(_("{name} is called {name} already; nothing to change").format(name=new))
            return 0
        print(
            _("renamed {old} to {new} (key and history moved)").format(
                old=renamed.old, new=renamed.new
            )
        )
        return 0
