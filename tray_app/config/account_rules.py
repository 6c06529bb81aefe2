"""What makes an account name usable for a new account or a rename: one set of rules for
`lensmor-tray account add|rename` (cli/commands/account.py), the Settings window's Accounts
list (windows/accounts_form.py) and the locked steps on disk (keys/account_files.py), which
check them again against the config as it is when the change is written.

Pure: settings in, settings or a ConfigError out. The messages are in the caller's language
(the name checks of config/model.py stay English for now).
"""

from __future__ import annotations

import dataclasses

from tray_app.config.model import (
    DEFAULT_ACCOUNT,
    AccountConfig,
    ConfigError,
    Settings,
    validate_account_name,
    with_account_added,
)
from tray_app.core.account_label import name_key
from tray_app.core.language import ENGLISH, Language


def is_placeholder(settings: Settings) -> bool:
    """True for a config without [[accounts]]: its one account "default" is implicit."""
    return settings.accounts == (AccountConfig(DEFAULT_ACCOUNT),)


def name_taken(settings: Settings, name: str, ignore: str | None = None) -> bool:
    """Another account (not `ignore`) has this name, in any case or Unicode spelling."""
    key = name_key(name)
    return any(name_key(a.name) == key and a.name != ignore for a in settings.accounts)


def taken_message(name: str, lang: Language = ENGLISH) -> str:
    return lang.gettext("an account named {name} exists already; choose another name").format(
        name=repr(name)
    )


def check_new_name(
    settings: Settings, name: str, lang: Language = ENGLISH, *, replaces_placeholder: bool = False
) -> str:
    """`name` if a new account may be called so; else ConfigError (one line).
    `replaces_placeholder`: the implicit "default" account (no key, no history) gives way to
    the new one, so its name is free too."""
    validate_account_name(name, "the account name")
    free = replaces_placeholder and is_placeholder(settings)
    if not free and name_taken(settings, name):
        raise ConfigError(taken_message(name, lang))
    return name


def with_new_account(
    settings: Settings, account: AccountConfig, *, replaces_placeholder: bool
) -> Settings:
    """`settings` with `account` added (checked by `check_new_name` first)."""
    if replaces_placeholder and is_placeholder(settings):
        return dataclasses.replace(settings, accounts=(account,), badge_account=None)
    return with_account_added(settings, account)


def account_to_rename(
    settings: Settings, old: str, new: str, lang: Language = ENGLISH
) -> AccountConfig | None:
    """The account `old` names (any case), if it may be renamed to `new`; None when it is
    called `new` already (nothing to do). ConfigError: no such account, a bad new name, or a
    name another account has. A change of case only is a rename."""
    account = settings.account(old)
    if account.name == new:
        return None
    validate_account_name(new, "the new name")
    if name_taken(settings, new, ignore=account.name):
        raise ConfigError(taken_message(new, lang))
    return account
