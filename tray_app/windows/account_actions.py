"""The Accounts list's work (I/O, no Tk): carry out an `AccountPlan` from `accounts_form`.

Each function blocks (keyring, network, disk), so the window calls them from a worker thread,
and each returns an `AccountOutcome` whose `text` is the one result line the window shows.
The steps on disk and in the keyring are `account_files`', shared with `lensmor-tray account
add|rename|remove` (cli/commands/account.py): a key is tested before anything is saved; an
account is never left in the config without its key, nor a key stored without its account.
They change the config as it is on disk when they run (the plan's settings may be older: the CLI
can have changed the file while the window was open), and the outcome carries what it says now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tray_app.config.model import ConfigError, Settings
from tray_app.config.paths import AppPaths
from tray_app.config.urls import effective_base_url
from tray_app.keys import account_files
from tray_app.keys.account_files import default_is_a_placeholder
from tray_app.keys.key_store import KeyStore, StoredKey
from tray_app.windows.accounts_form import AccountPlan
from tray_app.windows.settings_actions import check_key


@dataclass(frozen=True)
class AccountOutcome:
    """`ok`: done, and `settings` is what the config file now holds. `text`: one line."""

    ok: bool
    text: str
    settings: Settings | None = None


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc)


def stored_keys(
    paths: AppPaths, settings: Settings, environ: Mapping[str, str]
) -> dict[str, StoredKey | None]:
    """Each account's key as the tray would find it (LENSMOR_API_KEY for the default one)."""
    return {
        account.name: KeyStore(paths.key_file, account.name, environ=environ).load()
        for account in settings.accounts
    }


def placeholder_is_empty(paths: AppPaths, settings: Settings, environ: Mapping[str, str]) -> bool:
    """The implicit "default" account has no key and no history: a first named account may
    take its place (as `account add` does)."""
    return default_is_a_placeholder(paths, settings, environ)


def add_account(paths: AppPaths, plan: AccountPlan, environ: Mapping[str, str]) -> AccountOutcome:
    """Test the key against the API; only if it works, store it and add the account to the
    config as it is on disk now (account_files: the name is checked again there)."""
    if plan.key is None:
        return AccountOutcome(False, "Not added: no key")
    try:
        url = effective_base_url(plan.settings, environ, plan.name)
        account = plan.settings.account(plan.name)
    except ConfigError as exc:
        return AccountOutcome(False, f"Not added: {exc}")
    tested = check_key(url, plan.key)
    if not tested.ok:
        return AccountOutcome(False, f"Not added: {tested.text}")
    try:
        stored, saved = account_files.add_account(paths, account, plan.key, environ=environ)
    except (ConfigError, OSError) as exc:
        return AccountOutcome(False, f"Not added: {_why(exc)}")
    where = f"key {stored.masked} in the {stored.source.value}"
    return AccountOutcome(True, f"Added {plan.name} ({where}): {tested.text}", saved)


def rename_account(paths: AppPaths, plan: AccountPlan) -> AccountOutcome:
    """Move the key, the config entry and the history of `plan.old_name` to `plan.name`."""
    old, new = plan.old_name, plan.name
    if old is None:
        return AccountOutcome(False, "Not renamed: no account chosen")
    try:
        renamed = account_files.rename_account(paths, old, new)
    except (ConfigError, OSError) as exc:
        return AccountOutcome(False, f"Not renamed: {_why(exc)}")
    if renamed is None:
        return AccountOutcome(False, f"Not renamed: {new} has that name already")
    return AccountOutcome(True, f"Renamed {renamed.old} to {new}", renamed.settings)


def remove_account(paths: AppPaths, plan: AccountPlan) -> AccountOutcome:
    """Save the config without the account, then forget its key (the history file stays)."""
    try:
        removed = account_files.remove_account(paths, plan.name)
    except (ConfigError, OSError) as exc:
        return AccountOutcome(False, f"Not removed: {_why(exc)}")
    return AccountOutcome(True, f"Removed {removed.name} and forgot its key", removed.settings)


def check_account(
    paths: AppPaths, settings: Settings, name: str, environ: Mapping[str, str]
) -> AccountOutcome:
    """One balance request with the account's stored key, against its base URL."""
    stored = KeyStore(paths.key_file, name, environ=environ).load()
    if stored is None:
        return AccountOutcome(False, f"{name}: no key is stored")
    try:
        url = effective_base_url(settings, environ, name)
    except ConfigError as exc:
        return AccountOutcome(False, f"{name}: {exc}")
    tested = check_key(url, stored.value)
    return AccountOutcome(tested.ok, f"{name}: {tested.text}", settings)
