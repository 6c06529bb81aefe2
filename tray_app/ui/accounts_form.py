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

from tray_app.core.language import ENGLISH, Language
from tray_app.secrets import InvalidKey, StoredKey, normalise_key
from tray_app.settings import (
    DEFAULT_ACCOUNT,
    AccountConfig,
    ConfigError,
    Settings,
    validate_account_name,
    validate_base_url,
    with_account_added,
    with_account_renamed,
    without_account,
)


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


def is_placeholder(settings: Settings) -> bool:
    """True for a config without [[accounts]]: its one account "default" is implicit."""
    return settings.accounts == (AccountConfig(DEFAULT_ACCOUNT),)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _name_taken(settings: Settings, name: str, ignore: str | None = None) -> bool:
    return any(a.name.casefold() == name.casefold() and a.name != ignore for a in settings.accounts)


def plan_add(
    settings: Settings,
    fields: NewAccountFields,
    *,
    replace_placeholder: bool = False,
    lang: Language = ENGLISH,
) -> PlanResult:
    """Validate the Add inputs. `replace_placeholder`: the implicit "default" account has no
    key and no history, so the first named account takes its place instead of joining it.
    Messages in `lang` (those of settings.py and secrets.py stay English for now)."""
    _ = lang.gettext
    errors: dict[AccountField, str] = {}
    name = fields.name.strip()
    try:
        validate_account_name(name, "the account name")
    except ConfigError as exc:
        errors[AccountField.NAME] = _sentence(str(exc))
    else:
        if _name_taken(settings, name) and not (replace_placeholder and is_placeholder(settings)):
            errors[AccountField.NAME] = _("An account named {name} exists already").format(
                name=repr(name)
            )
    key: str | None = None
    if not fields.key.strip():
        errors[AccountField.KEY] = _("Paste the account's API key")
    else:
        try:
            key = normalise_key(fields.key)
        except InvalidKey as exc:
            errors[AccountField.KEY] = _sentence(str(exc))
    base_url: str | None = None
    if fields.base_url.strip():
        try:
            base_url = validate_base_url(fields.base_url.strip())
        except ConfigError as exc:
            errors[AccountField.BASE_URL] = _sentence(str(exc))
    if errors:
        return PlanResult(None, errors)
    account = AccountConfig(name, base_url)
    if replace_placeholder and is_placeholder(settings):
        new = dataclasses.replace(settings, accounts=(account,), badge_account=None)
    else:
        new = with_account_added(settings, account)
    return PlanResult(AccountPlan(new, name, key), {})


def plan_rename(
    settings: Settings, old: str, new_text: str, lang: Language = ENGLISH
) -> PlanResult:
    """Validate a rename of `old` to `new_text` (a change of case only is allowed)."""
    _ = lang.gettext
    new = new_text.strip()
    if new == old:
        return PlanResult(None, {AccountField.NAME: _("Type a new name for the account")})
    if _name_taken(settings, new, ignore=old):
        taken = _("An account named {name} exists already").format(name=repr(new))
        return PlanResult(None, {AccountField.NAME: taken})
    try:
        renamed = with_account_renamed(settings, old, new)
    except ConfigError as exc:
        return PlanResult(None, {AccountField.NAME: _sentence(str(exc))})
    return PlanResult(AccountPlan(renamed, new, old_name=old), {})


def plan_remove(settings: Settings, name: str) -> PlanResult:
    """Validate removing `name` (the last account cannot go)."""
    try:
        remaining = without_account(settings, name)
    except ConfigError as exc:
        return PlanResult(None, {AccountField.NAME: _sentence(str(exc))})
    return PlanResult(AccountPlan(remaining, name), {})


def account_line(
    account: AccountConfig,
    stored: StoredKey | None,
    *,
    loaded: bool = True,
    lang: Language = ENGLISH,
) -> str:
    """One row of the list: the name, the masked key and where it lives, an own base URL."""
    if not loaded:
        key = lang.gettext("key: checking…")
    elif stored is None:
        key = lang.gettext("no key")
    else:
        key = f"{stored.masked} ({stored.source.value})"
    parts = [account.name, key]
    if account.base_url:
        parts.append(account.base_url)
    return " — ".join(parts)
