"""The Accounts list of the Settings window, pure: what Add, Rename and Remove would change.

No Tk and no I/O here. Each `plan_*` function takes the settings as they are and what the user
typed, and returns either an `AccountPlan` (the `Settings` to save, the account it is about,
the key to store) or one message per bad field; `account_actions` carries a plan out (key
store, config file, history), and the Tk view only shows the results.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import NamedTuple

from tray_app.config.account_rules import account_to_rename, check_new_name, with_new_account
from tray_app.config.model import (
    AccountConfig,
    ConfigError,
    Settings,
    with_account_renamed,
    without_account,
)
from tray_app.config.urls import validate_base_url
from tray_app.core import account_label
from tray_app.core.language import ENGLISH, Language
from tray_app.keys.key_store import InvalidKey, StoredKey, normalise_key


def shown_name(name: str, settings: Settings | None, lang: Language = ENGLISH) -> str:
    """The account's name as the window shows it (core/account_label.py: "Main" for the
    unnamed "default" account, as the tray menu shows it too)."""
    names = settings.account_names if settings is not None else ()
    return account_label.shown_name(name, names, lang)


class AccountField(str, enum.Enum):
    """The Accounts inputs that can carry an error message."""

    NAME = "account_name"
    KEY = "account_key"
    BASE_URL = "account_base_url"


@dataclass(frozen=True)
class NewAccountFields:
    """The Add inputs as the user left them (raw strings)."""

    name: str = ""
    key: str = dataclasses.field(default="", repr=False)
    base_url: str = ""


@dataclass(frozen=True)
class AccountPlan:
    """What one Add/Rename/Remove will do: save `settings`; for an add, store `key` for
    `name`; for a rename, move `old_name`'s key (and history) to `name`."""

    settings: Settings
    name: str
    key: str | None = dataclasses.field(default=None, repr=False)
    old_name: str | None = None


class PlanResult(NamedTuple):
    """`plan` is None exactly when `errors` is not empty."""

    plan: AccountPlan | None
    errors: dict[AccountField, str]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def plan_add(
    settings: Settings,
    fields: NewAccountFields,
    *,
    replace_placeholder: bool = False,
    lang: Language = ENGLISH,
) -> PlanResult:
    """Validate the Add inputs. `replace_placeholder`: the implicit "default" account has no
    key and no history, so the first named account takes its place instead of joining it.
    Messages in `lang`, those of the config package and keys/key_store.py too."""
    _ = lang.gettext
    errors: dict[AccountField, str] = {}
    name = fields.name.strip()
    try:
        check_new_name(settings, name, lang, replaces_placeholder=replace_placeholder)
    except ConfigError as exc:
        errors[AccountField.NAME] = _sentence(exc.text(lang))
    key: str | None = None
    if not fields.key.strip():
        errors[AccountField.KEY] = _("Paste the account's API key")
    else:
        try:
            key = normalise_key(fields.key)
        except InvalidKey as exc:
            errors[AccountField.KEY] = _sentence(exc.text(lang))
    base_url: str | None = None
    if fields.base_url.strip():
        try:
            base_url = validate_base_url(fields.base_url.strip())
        except ConfigError as exc:
            errors[AccountField.BASE_URL] = _sentence(exc.text(lang))
    if errors:
        return PlanResult(None, errors)
    account = AccountConfig(name, base_url)
    new = with_new_account(settings, account, replaces_placeholder=replace_placeholder)
    return PlanResult(AccountPlan(new, name, key), {})


def plan_rename(
    settings: Settings, old: str, new_text: str, lang: Language = ENGLISH
) -> PlanResult:
    """Validate a rename of `old` to `new_text` (a change of case only is allowed)."""
    new = new_text.strip()
    try:
        account = account_to_rename(settings, old, new, lang)
    except ConfigError as exc:
        return PlanResult(None, {AccountField.NAME: _sentence(exc.text(lang))})
    if account is None:  # nothing to do: keep the prompt open for a new name
        return PlanResult(
            None, {AccountField.NAME: lang.gettext("Type a new name for the account")}
        )
    renamed = with_account_renamed(settings, account.name, new)
    return PlanResult(AccountPlan(renamed, new, old_name=account.name), {})


def plan_remove(settings: Settings, name: str, lang: Language = ENGLISH) -> PlanResult:
    """Validate removing `name` (the last account cannot go)."""
    try:
        remaining = without_account(settings, name)
    except ConfigError as exc:
        return PlanResult(None, {AccountField.NAME: _sentence(exc.text(lang))})
    return PlanResult(AccountPlan(remaining, name), {})


def account_line(
    account: AccountConfig,
    stored: StoredKey | None,
    *,
    loaded: bool = True,
    lang: Language = ENGLISH,
    name: str | None = None,
) -> str:
    """One row of the list: the name (`name`: as shown, default the account's own), the
    masked key and where it lives, an own base URL."""
    if not loaded:
        key = lang.gettext("key: checking…")
    elif stored is None:
        key = lang.gettext("no key")
    else:
        key = f"{stored.masked} ({stored.source.text(lang)})"
    parts = [account.name if name is None else name, key]
    if account.base_url:
        parts.append(account.base_url)
    return " — ".join(parts)
