"""The Accounts list's work (I/O, no Tk): carry out an `AccountPlan` from `accounts_form`.

Each function blocks (keyring, network, disk), so the window calls them from a worker thread,
and each returns an `AccountOutcome` whose `text` is the one result line the window shows.
The steps on disk and in the keyring are `account_files`', shared with `lensmor-tray account
add|rename|remove` (cli/commands/account.py): a key is tested before anything is saved; an
account is never left in the config without its key, nor a key stored without its account.
They change the config as it is on disk when they run (the plan's settings may be older: the CLI
can have changed the file while the window was open), and the outcome carries what it says now.
Each outcome is worded in `lang`, the window's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tray_app.config.model import ConfigError, Settings
from tray_app.config.paths import AppPaths
from tray_app.config.urls import effective_base_url
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.keys import account_files
from tray_app.keys.account_files import default_is_a_placeholder
from tray_app.keys.key_store import KeySource, KeyStore, KeyStoreFailed, StoredKey
from tray_app.support import file_problems
from tray_app.windows.accounts_form import AccountPlan
from tray_app.windows.settings_actions import check_key


@dataclass(frozen=True)
class AccountOutcome:
    """`ok`: done, and `settings` is what the config file now holds. `text`: one line."""

    ok: bool
    text: str
    settings: Settings | None = None


def _why(exc: BaseException, lang: Language) -> str:
    if isinstance(exc, KeyStoreFailed):
        return exc.text(lang)
    if isinstance(exc, OSError) and exc.strerror:
        why = file_problems.reason(exc, lang)
        return f"{exc.filename}: {why}" if exc.filename else why
    if isinstance(exc, ConfigError):
        return exc.text(lang)
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


#: Where an added account's key was stored, as the outcome says it.
_STORED_IN = {
    KeySource.ENVIRONMENT: N_(
        "Added {name} (key {key} in the environment (LENSMOR_API_KEY)): {result}"
    ),
    KeySource.KEYRING: N_("Added {name} (key {key} in the OS keyring): {result}"),
    KeySource.FILE: N_("Added {name} (key {key} in the file): {result}"),
}


def add_account(
    paths: AppPaths, plan: AccountPlan, environ: Mapping[str, str], lang: Language = ENGLISH
) -> AccountOutcome:
    """Test the key against the API; only if it works, store it and add the account to the
    config as it is on disk now (account_files: the name is checked again there)."""
    _ = lang.gettext
    not_added = _("Not added: {reason}")
    if plan.key is None:
        return AccountOutcome(False, not_added.format(reason=_("no key")))
    try:
        url = effective_base_url(plan.settings, environ, plan.name)
        account = plan.settings.account(plan.name)
    except ConfigError as exc:
        return AccountOutcome(False, not_added.format(reason=exc.text(lang)))
    tested = check_key(url, plan.key, lang)
    if not tested.ok:
        return AccountOutcome(False, not_added.format(reason=tested.text))
    try:
        stored, saved = account_files.add_account(paths, account, plan.key, environ=environ)
    except (ConfigError, OSError) as exc:
        return AccountOutcome(False, not_added.format(reason=_why(exc, lang)))
    text = _(_STORED_IN[stored.source]).format(
        name=plan.name, key=stored.masked, result=tested.text
    )
    return AccountOutcome(True, text, saved)


def rename_account(paths: AppPaths, plan: AccountPlan, lang: Language = ENGLISH) -> AccountOutcome:
    """Move the key, the config entry and the history of `plan.old_name` to `plan.name`."""
    _ = lang.gettext
    not_renamed = _("Not renamed: {reason}")
    old, new = plan.old_name, plan.name
    if old is None:
        return AccountOutcome(False, not_renamed.format(reason=_("no account chosen")))
    try:
        renamed = account_files.rename_account(paths, old, new)
    except (ConfigError, OSError) as exc:
        return AccountOutcome(False, not_renamed.format(reason=_why(exc, lang)))
    if renamed is None:
        reason = _("{name} has that name already").format(name=new)
        return AccountOutcome(False, not_renamed.format(reason=reason))
    text = _("Renamed {old} to {new}").format(old=renamed.old, new=new)
    return AccountOutcome(True, text, renamed.settings)


def remove_account(paths: AppPaths, plan: AccountPlan, lang: Language = ENGLISH) -> AccountOutcome:
    """Save the config without the account, then forget its key (the history file stays)."""
    _ = lang.gettext
    try:
        removed = account_files.remove_account(paths, plan.name)
    except (ConfigError, OSError) as exc:
        reason = _why(exc, lang)
        return AccountOutcome(False, _("Not removed: {reason}").format(reason=reason))
    text = _("Removed {name} and forgot its key").format(name=removed.name)
    return AccountOutcome(True, text, removed.settings)


def check_account(
    paths: AppPaths,
    settings: Settings,
    name: str,
    environ: Mapping[str, str],
    lang: Language = ENGLISH,
) -> AccountOutcome:
    """One balance request with the account's stored key, against its base URL."""
    _ = lang.gettext
    stored = KeyStore(paths.key_file, name, environ=environ).load()
    if stored is None:
        return AccountOutcome(False, _("{name}: no key is stored").format(name=name))
    try:
        url = effective_base_url(settings, environ, name)
    except ConfigError as exc:
        return AccountOutcome(False, f"{name}: {exc.text(lang)}")
    tested = check_key(url, stored.value, lang)
    return AccountOutcome(tested.ok, f"{name}: {tested.text}", settings)
