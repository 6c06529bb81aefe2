"""The steps that add, rename and remove an account on disk and in the keyring, in the one
order that never leaves an account in the config without its key nor a key without its
account. `lensmor-tray account ...` (cli/commands/account.py) and the settings window's Accounts
list (windows/account_actions.py) both call these; each words the outcome its own way.

Each step holds the config lock (config_file.py) from its checks to its last write: the rules
(account_rules.py) are checked against the config as it is then, not as the caller read it
earlier, so two changes at once cannot lose one another or leave a key stored for an account
that did not get saved. A config that cannot be written (a full or read-only folder) undoes
what was done before it (a key stored, a history moved), and the error is raised.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tray_app.config.account_rules import account_to_rename, check_new_name, with_new_account
from tray_app.config.config_file import LockedConfig, locked_config
from tray_app.config.model import (
    DEFAULT_ACCOUNT,
    AccountConfig,
    ConfigError,
    Settings,
    with_account_renamed,
    without_account,
)
from tray_app.config.paths import AppPaths
from tray_app.core.language import ENGLISH, Language
from tray_app.keys.key_store import KeySource, KeyStore, StoredKey
from tray_app.support.instance import is_running


def default_is_a_placeholder(
    paths: AppPaths, settings: Settings, environ: Mapping[str, str] | None = None
) -> bool:
    """A config without [[accounts]] means the one account "default". When it has neither a
    stored key nor a history it is only that placeholder: a first named account takes its
    place, so the tray does not show an empty account.

    A key only in LENSMOR_API_KEY does not count: it is stored nowhere (a script's, or the
    README's suggestion for scripts), and a tray started at login without that variable would
    show a keyless "default" beside the new account forever (status exits 3)."""
    if settings.accounts != (AccountConfig(DEFAULT_ACCOUNT),):
        return False
    keys = KeyStore(paths.key_file, DEFAULT_ACCOUNT, environ=environ)
    has_key = keys.load(include_environment=False) is not None
    return not has_key and not paths.history_db.exists()


def add_account(
    paths: AppPaths,
    account: AccountConfig,
    key: str,
    *,
    environ: Mapping[str, str] | None = None,
    lang: Language = ENGLISH,
) -> tuple[StoredKey, Settings]:
    """Store `account`'s key, then save the config with the account added (in place of the
    placeholder "default" when that has no key and no history). A config that cannot be
    saved takes the key back out. Returns where the key went and what the config now says.
    Raises ConfigError (e.g. the name was taken meanwhile) or OSError."""
    with locked_config(paths.config_file) as config:
        current = config.settings
        placeholder = default_is_a_placeholder(paths, current, environ)
        check_new_name(current, account.name, lang, replaces_placeholder=placeholder)
        new = with_new_account(current, account, replaces_placeholder=placeholder)
        store = KeyStore(paths.key_file, account.name)
        stored = store.save(key)
        try:
            config.write(new)
        except BaseException:
            store.clear()
            raise
        return stored, new


@dataclass(frozen=True)
class Renamed:
    """`old` (as the config spelled it) is now `new`; `settings`: what the config says."""

    old: str
    new: str
    settings: Settings


def rename_account(
    paths: AppPaths,
    old: str,
    new: str,
    *,
    tray_running: Callable[[], bool] | None = None,
    lang: Language = ENGLISH,
) -> Renamed | None:
    """Move the key, the config entry and the history of `old` to `new`. None: the account
    is called `new` already. Raises ConfigError (a rule, a history in the way, the tray
    writing the history) or OSError, having undone what it did. `tray_running` (for tests):
    whether the tray app runs; by default, whether it holds the instance lock."""
    _ = lang.gettext
    with locked_config(paths.config_file) as config:
        account = account_to_rename(config.settings, old, new, lang)
        if account is None:
            return None
        source_db, target_db = paths.history_db_for(account.name), paths.history_db_for(new)
        moves_history = source_db != target_db and source_db.exists()
        if source_db != target_db and target_db.exists():
            raise ConfigError(
                _("a history for {name} already exists at {path}; move it away first").format(
                    name=repr(new), path=target_db
                )
            )
        running = tray_running or functools.partial(is_running, paths.lock_file)
        if moves_history and running():
            # The running tray holds the history file open and would keep writing to it.
            raise ConfigError(_("quit the tray app first: it is using this account's history"))
        renamed = with_account_renamed(config.settings, account.name, new)
        _move_account(paths, config, account.name, new, renamed)
        return Renamed(account.name, new, renamed)


def _move_account(
    paths: AppPaths, config: LockedConfig, old: str, new: str, renamed: Settings
) -> None:
    """Copy the key, move the history, save the config; only then forget the old key. A
    failure before that puts the history back and forgets the new copy of the key."""
    from tray_app.history.store import move_history

    old_keys, new_keys = KeyStore(paths.key_file, old), KeyStore(paths.key_file, new)
    stored = old_keys.load(include_environment=False)
    saved = new_keys.save(stored.value) if stored else None
    # A change of case only keeps the same (case-folded) key file: clearing either copy
    # would delete the one key there is.
    same_file = old_keys.key_file == new_keys.key_file
    keeps_one_copy = saved is not None and same_file and saved.source is KeySource.FILE
    source_db, target_db = paths.history_db_for(old), paths.history_db_for(new)
    moved = False
    try:
        if source_db != target_db:
            moved = move_history(source_db, target_db)
        config.write(renamed)
    except BaseException:
        if moved:
            move_history(target_db, source_db)
        if saved is not None and not keeps_one_copy:
            new_keys.clear()
        raise
    if saved is not None and not keeps_one_copy:
        old_keys.clear()


@dataclass(frozen=True)
class Removed:
    """`name` (as the config spelled it) is gone; its key was removed from `sources`."""

    name: str
    sources: list[KeySource]
    settings: Settings


def remove_account(paths: AppPaths, name: str) -> Removed:
    """Save the config without the account, then forget its key; the history file stays.
    Raises ConfigError (no such account, the last one) or OSError before forgetting."""
    with locked_config(paths.config_file) as config:
        account = config.settings.account(name)
        remaining = without_account(config.settings, account.name)  # the last one cannot go
        config.write(remaining)
        return Removed(account.name, KeyStore(paths.key_file, account.name).clear(), remaining)
