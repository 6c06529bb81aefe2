"""The steps that add, rename and remove an account on disk and in the keyring, in the one
order that never leaves an account in the config without its key nor a key without its
account. `lensmor-tray account ...` (cli_accounts.py) and the settings window's Accounts list
(ui/account_actions.py) both call these; each words the outcome its own way."""

from __future__ import annotations

from collections.abc import Mapping

from tray_app.secrets import KeySource, KeyStore, StoredKey
from tray_app.settings import DEFAULT_ACCOUNT, AccountConfig, AppPaths, Settings, save_settings


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


def store_key_and_save(paths: AppPaths, name: str, key: str, settings: Settings) -> StoredKey:
    """Store `name`'s key, then save `settings` (which list the account). A config that
    cannot be saved takes the key back out: no key without its account. Raises OSError or
    ConfigError."""
    store = KeyStore(paths.key_file, name)
    stored = store.save(key)
    try:
        save_settings(paths.config_file, settings)
    except BaseException:
        store.clear()
        raise
    return stored


def move_account(paths: AppPaths, old: str, new: str, settings: Settings) -> None:
    """Copy `old`'s key to `new`, save `settings` (which rename the account), then forget the
    old key and move the history file. The caller has checked that no history for `new`
    exists and that the tray is not writing `old`'s. Raises OSError or ConfigError before
    anything is forgotten."""
    old_keys, new_keys = KeyStore(paths.key_file, old), KeyStore(paths.key_file, new)
    stored = old_keys.load(include_environment=False)
    saved = new_keys.save(stored.value) if stored else None
    save_settings(paths.config_file, settings)
    # A change of case only keeps the same (case-folded) key file: clearing the old account's
    # copy would delete the one just saved.
    same_file = old_keys.key_file == new_keys.key_file
    if saved is not None and not (same_file and saved.source is KeySource.FILE):
        old_keys.clear()
    source_db, target_db = paths.history_db_for(old), paths.history_db_for(new)
    if source_db != target_db and source_db.exists():
        from tray_app.store import move_history

        move_history(source_db, target_db)


def remove_account_files(paths: AppPaths, name: str, settings: Settings) -> list[KeySource]:
    """Save `settings` (without the account), then forget its key; the history file stays.
    Returns where the key was removed from. Raises OSError or ConfigError before forgetting."""
    save_settings(paths.config_file, settings)
    return KeyStore(paths.key_file, name).clear()
