"""The settings model: what a config says, as frozen dataclasses, and the checks every
Settings passes on construction (account names unique, the pinned account exists)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tray_app.core import account_label
from tray_app.core.account_label import name_key
from tray_app.core.badge import BadgeStyle
from tray_app.core.hook_names import ANY_EVENT
from tray_app.core.language import ENGLISH, N_, Language, Phrase, worded
from tray_app.core.levels import DEFAULT_THRESHOLDS, Threshold

APP_NAME = "lensmor-tray"
DEFAULT_BASE_URL = "https://platform.lensmor.com"
DASHBOARD_URL = "https://app.lensmor.com"
# The API keys live under Settings -> API Keys in the web app; the spec documents no deeper
# link, so the button opens the web app and the notification names the place.
API_KEYS_URL = DASHBOARD_URL
MIN_POLL_INTERVAL_S = 30
MAX_POLL_INTERVAL_S = 86_400  # a day: a monitor that looks less often is not monitoring
DEFAULT_POLL_INTERVAL_S = 300


class ConfigError(Exception):
    """The configuration (file, environment or option) is not usable. Exit code 2.

    `message` is English, marked with `N_` where it is written, with {named} placeholders
    filled from `values`; `text(lang)` words it in the user's language, a value that is itself
    a ConfigError (the detail under "<file>: ...") in the same language. `str()` is the
    English line (logs). A message worded already (in the user's language) is passed as is."""

    def __init__(self, message: str, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(self.text(ENGLISH))

    def text(self, lang: Language) -> str:
        if not self.values:
            return lang.gettext(self.message)
        filled = {name: _worded(value, lang) for name, value in self.values.items()}
        return lang.gettext(self.message).format(**filled)


def _worded(value: object, lang: Language) -> object:
    if isinstance(value, ConfigError):
        return value.text(lang)
    return worded(value, lang)  # a Message or a Phrase in `lang` too


@dataclass(frozen=True)
class AlertSettings:
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS
    expiring_hours: float = 48
    large_spend: float = 0  # off: "unusual spend" (core/alerts) is relative to the user
    offline_minutes: float = 60
    notifications: bool = True


#: The account of a config without [[accounts]]: core's spelling (core/account_label.py shows
#: it as "Main"), here with the rest of the settings model for the config's users.
DEFAULT_ACCOUNT = account_label.DEFAULT_ACCOUNT
MAX_ACCOUNT_NAME = 40
#: The keyring user name of the default account before issue 12; other accounts use their
#: own name, so no account may be called this (it would read the default account's key).
RESERVED_ACCOUNT_NAMES = frozenset({"api-key"})


@dataclass(frozen=True)
class AccountConfig:
    """One Lensmor account: its name, and what it overrides of the global settings."""

    name: str
    base_url: str | None = None  # None: the global base_url
    alerts: AlertSettings | None = None  # None: the global [alerts]


@dataclass(frozen=True)
class IntegrationSettings:
    """Feed files the running app rewrites after each poll (`tray_app.runtime.feeds`); None: off."""

    prometheus_textfile: Path | None = None
    waybar_file: Path | None = None


DEFAULT_HOOK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class HookConfig:
    """One `[[hooks]]` table (config/hooks.py parses it, notify/hooks.py runs it)."""

    on: tuple[str, ...]  # event names (core/hook_events.py), or ("*",)
    command: tuple[str, ...]  # argv; command[0] is looked up on PATH when it has no "/"
    account: str | None = None  # None: every account
    timeout: float = DEFAULT_HOOK_TIMEOUT_S

    def wants(self, event: str, account: str) -> bool:
        """Whether this hook runs for `event` of `account`."""
        if self.account is not None and name_key(self.account) != name_key(account):
            return False
        return ANY_EVENT in self.on or event in self.on


@dataclass(frozen=True)
class Settings:
    base_url: str = DEFAULT_BASE_URL
    poll_interval: int = DEFAULT_POLL_INTERVAL_S
    alerts: AlertSettings = field(default_factory=AlertSettings)
    badge_style: BadgeStyle = BadgeStyle.NUMBER
    integrations: IntegrationSettings = field(default_factory=IntegrationSettings)
    #: Never empty: a config without [[accounts]] is the one account "default".
    accounts: tuple[AccountConfig, ...] = (AccountConfig(DEFAULT_ACCOUNT),)
    #: The account the tray badge shows, pinned from the menu; None: the one closest to
    #: running out.
    badge_account: str | None = None
    #: Commands run on alert events ([[hooks]]), in config order.
    hooks: tuple[HookConfig, ...] = ()

    def __post_init__(self) -> None:
        if not self.accounts:
            raise ConfigError(N_("at least one account is needed"))
        check_account_names([a.name for a in self.accounts], "accounts")
        if self.badge_account is not None and self.badge_account not in self.account_names:
            raise ConfigError(
                N_("badge_account {name} names no account; use one of: {names}"),
                name=repr(self.badge_account),
                names=", ".join(self.account_names),
            )

    @property
    def account_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.accounts)

    def account(self, name: str) -> AccountConfig:
        """The account called `name` (exact, or else case-insensitive); ConfigError if none."""
        for account in self.accounts:
            if account.name == name:
                return account
        for account in self.accounts:
            if name_key(account.name) == name_key(name):
                return account
        raise ConfigError(
            N_("no account named {name}; accounts: {names}"),
            name=repr(name),
            names=", ".join(self.account_names),
        )

    def alerts_for(self, name: str) -> AlertSettings:
        return self.account(name).alerts or self.alerts

    def base_url_for(self, name: str) -> str:
        return self.account(name).base_url or self.base_url


def validate_account_name(name: object, where: str = N_("the account name")) -> str:
    """Return `name` if it can name an account, else raise a one-line ConfigError. `where`:
    the key in the file ("accounts[0].name") or words marked with `N_` ("the new name")."""
    place = Phrase(where)
    if not isinstance(name, str):
        raise ConfigError(
            N_("{where} must be a string, got {value}"), where=place, value=short_repr(name)
        )
    if not name.strip():
        raise ConfigError(N_("{where} is empty; give the account a name"), where=place)
    if name != name.strip():
        raise ConfigError(
            N_("{where} {name} starts or ends with spaces"), where=place, name=repr(name)
        )
    if len(name) > MAX_ACCOUNT_NAME:
        raise ConfigError(
            N_("{where} {name} is longer than {count} characters"),
            where=place,
            name=short_repr(name),
            count=MAX_ACCOUNT_NAME,
        )
    if any(not c.isprintable() for c in name):
        raise ConfigError(
            N_("{where} {name} contains control characters"), where=place, name=repr(name)
        )
    if name.casefold() in RESERVED_ACCOUNT_NAMES:
        raise ConfigError(
            N_("{where} {name} is reserved; choose another name"), where=place, name=repr(name)
        )
    return name


def check_account_names(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        validate_account_name(name, f"{where}[{index}].name")
        folded = name_key(name)
        if folded in seen:
            raise ConfigError(
                N_("{where} {name} is used twice; names must be unique"),
                where=f"{where}[{index}].name",
                name=repr(name),
            )
        seen.add(folded)


def without_account(settings: Settings, name: str) -> Settings:
    """`settings` with account `name` removed (and unpinned); the last one cannot go."""
    remaining = tuple(a for a in settings.accounts if a.name != name)
    if len(remaining) == len(settings.accounts):
        raise ConfigError(N_("no account named {name}"), name=repr(name))
    if not remaining:
        raise ConfigError(
            N_("{name} is the only account; add another before removing it"), name=repr(name)
        )
    badge = None if settings.badge_account == name else settings.badge_account
    return dataclasses.replace(settings, accounts=remaining, badge_account=badge)


def with_account_renamed(settings: Settings, old: str, new: str) -> Settings:
    validate_account_name(new, N_("the new name"))
    accounts = tuple(
        dataclasses.replace(a, name=new) if a.name == old else a for a in settings.accounts
    )
    if accounts == settings.accounts:
        raise ConfigError(N_("no account named {name}"), name=repr(old))
    badge = new if settings.badge_account == old else settings.badge_account
    return dataclasses.replace(settings, accounts=accounts, badge_account=badge)


def with_account_added(settings: Settings, account: AccountConfig) -> Settings:
    """Add `account`. The implicit "default" account of a config without [[accounts]] stays
    only if it has a key or history: the caller says so by keeping it in `settings`."""
    return dataclasses.replace(settings, accounts=(*settings.accounts, account))


def short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
