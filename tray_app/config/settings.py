"""Settings: one typed dataclass, loaded from TOML, saved atomically; and the app's paths.

The config file lives at the platformdirs config path for `lensmor-tray` (on Linux
`$XDG_CONFIG_HOME/lensmor-tray/config.toml`). Every key is optional. Unknown keys and bad
values raise `ConfigError` naming the key and what is allowed. A file that cannot be read is
never overwritten: the writers (config_file.py) refuse to replace a file they could not parse.

Example::

    base_url = "https://platform.lensmor.com"
    poll_interval = 300            # seconds, 30 to 86400
    badge_style = "number"         # number | percent | gauge | monochrome

    [alerts]
    thresholds = ["20%", "5%"]     # percentages of totalAmount or absolute credits (500)
    expiring_hours = 48            # warn this long before subscription credits expire
    large_spend = 0                # one drop of at least this many credits (0: off)
    offline_minutes = 60           # only an outage this long notifies
    notifications = true

    # Several Lensmor accounts (issue 12). Without [[accounts]] there is one account named
    # "default" that uses the settings above. Keys are never in this file: see secrets.py.
    [[accounts]]
    name = "Work"                  # required, unique (case-insensitive), 1-40 characters
    base_url = "https://platform.lensmor.com"   # optional, default: the base_url above

    [accounts.alerts]              # optional: replaces [alerts] for this account
    thresholds = ["10%"]
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from tray_app.config.account_names import account_slug, name_key
from tray_app.core.badge import BadgeStyle
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
    """The configuration (file, environment or option) is not usable. Exit code 2."""


@dataclass(frozen=True)
class AlertSettings:
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS
    expiring_hours: float = 48
    large_spend: float = 0  # off: "unusual spend" (core/alerts.py) is relative to the user
    offline_minutes: float = 60
    notifications: bool = True


DEFAULT_ACCOUNT = "default"
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

    def __post_init__(self) -> None:
        if not self.accounts:
            raise ConfigError("at least one account is needed")
        check_account_names([a.name for a in self.accounts], "accounts")
        if self.badge_account is not None and self.badge_account not in self.account_names:
            raise ConfigError(
                f"badge_account {self.badge_account!r} names no account; "
                f"use one of: {', '.join(self.account_names)}"
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
        raise ConfigError(f"no account named {name!r}; accounts: {', '.join(self.account_names)}")

    def alerts_for(self, name: str) -> AlertSettings:
        return self.account(name).alerts or self.alerts

    def base_url_for(self, name: str) -> str:
        return self.account(name).base_url or self.base_url


def validate_account_name(name: object, where: str = "account name") -> str:
    """Return `name` if it can name an account, else raise a one-line ConfigError."""
    if not isinstance(name, str):
        raise ConfigError(f"{where} must be a string, got {_short(name)}")
    if not name.strip():
        raise ConfigError(f"{where} is empty; give the account a name")
    if name != name.strip():
        raise ConfigError(f"{where} {name!r} starts or ends with spaces")
    if len(name) > MAX_ACCOUNT_NAME:
        raise ConfigError(f"{where} {_short(name)} is longer than {MAX_ACCOUNT_NAME} characters")
    if any(not c.isprintable() for c in name):
        raise ConfigError(f"{where} {name!r} contains control characters")
    if name.casefold() in RESERVED_ACCOUNT_NAMES:
        raise ConfigError(f"{where} {name!r} is reserved; choose another name")
    return name


def check_account_names(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        validate_account_name(name, f"{where}[{index}].name")
        folded = name_key(name)
        if folded in seen:
            raise ConfigError(f"{where}[{index}].name {name!r} is used twice; names must be unique")
        seen.add(folded)


def without_account(settings: Settings, name: str) -> Settings:
    """`settings` with account `name` removed (and unpinned); the last one cannot go."""
    remaining = tuple(a for a in settings.accounts if a.name != name)
    if len(remaining) == len(settings.accounts):
        raise ConfigError(f"no account named {name!r}")
    if not remaining:
        raise ConfigError(f"{name!r} is the only account; add another before removing it")
    badge = None if settings.badge_account == name else settings.badge_account
    return dataclasses.replace(settings, accounts=remaining, badge_account=badge)


def with_account_renamed(settings: Settings, old: str, new: str) -> Settings:
    validate_account_name(new, "the new name")
    accounts = tuple(
        dataclasses.replace(a, name=new) if a.name == old else a for a in settings.accounts
    )
    if accounts == settings.accounts:
        raise ConfigError(f"no account named {old!r}")
    badge = new if settings.badge_account == old else settings.badge_account
    return dataclasses.replace(settings, accounts=accounts, badge_account=badge)


def with_account_added(settings: Settings, account: AccountConfig) -> Settings:
    """Add `account`. The implicit "default" account of a config without [[accounts]] stays
    only if it has a key or history: the caller says so by keeping it in `settings`."""
    return dataclasses.replace(settings, accounts=(*settings.accounts, account))


@dataclass(frozen=True)
class AppPaths:
    """Where the app keeps its files. Built from platformdirs; nothing is created here."""

    config_file: Path
    data_dir: Path
    log_dir: Path

    @classmethod
    def default(cls, config_file: Path | None = None) -> AppPaths:
        config = config_file or platformdirs.user_config_path(APP_NAME, appauthor=False) / (
            "config.toml"
        )
        return cls(
            config_file=Path(config),
            data_dir=platformdirs.user_data_path(APP_NAME, appauthor=False),
            log_dir=platformdirs.user_log_path(APP_NAME, appauthor=False),
        )

    @property
    def key_file(self) -> Path:
        """Fallback secret store when no OS keyring is available (0600); the default account's."""
        return self.config_file.parent / "api-key"

    def key_file_for(self, account: str) -> Path:
        return account_key_file(self.key_file, account)

    def history_db_for(self, account: str) -> Path:
        """Each account has its own history file; the default account keeps the old one, so a
        store from before issue 12 is the default account's without any conversion."""
        if account == DEFAULT_ACCOUNT:
            return self.history_db
        return self.data_dir / "accounts" / account_slug(account) / "history.sqlite3"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "state.json"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "lensmor-tray.log"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "instance.lock"


def account_key_file(default_key_file: Path, account: str) -> Path:
    """The 0600 key file of `account`: the old `api-key` for the default account, else one
    file per account in `api-keys/` beside it."""
    if account == DEFAULT_ACCOUNT:
        return default_key_file
    return default_key_file.parent / "api-keys" / account_slug(account)


def validate_base_url(url: str) -> str:
    """Return `url` without a trailing slash, or raise ConfigError.

    https is required, except that plain http is allowed for loopback hosts (the simulated API
    and local proxies): the key must never cross a network in clear text.
    """
    if any(c.isspace() or not c.isprintable() for c in url):
        raise ConfigError(f"base_url {url[:80]!r} contains spaces or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ConfigError(f"base_url {url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(f"base_url {url!r} is not an http(s) URL; use e.g. {DEFAULT_BASE_URL}")
    if parts.username or parts.password:
        raise ConfigError("base_url must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ConfigError(f"base_url {url!r} must not have a query or fragment")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            f"base_url {url!r} uses plain http to a non-loopback host; use https "
            "(plain http is allowed only for 127.0.0.1, ::1 and localhost)"
        )
    return url.rstrip("/")


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_TOP_KEYS = {
    "base_url",
    "poll_interval",
    "alerts",
    "badge_style",
    "integrations",
    "accounts",
    "badge_account",
}
_ALERT_KEYS = {f.name for f in dataclasses.fields(AlertSettings)}
_ACCOUNT_KEYS = {"name", "base_url", "alerts"}


def parse_settings(data: Mapping[str, Any], origin: str = "config") -> Settings:
    """Build Settings from decoded TOML; raise ConfigError naming the key on any problem."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(
            f"{origin}: unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(_TOP_KEYS))}"
        )
    kwargs: dict[str, Any] = {}
    if "base_url" in data:
        value = data["base_url"]
        if not isinstance(value, str):
            raise ConfigError(f"{origin}: base_url must be a string URL")
        try:
            kwargs["base_url"] = validate_base_url(value)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: {exc}") from None
    if "poll_interval" in data:
        kwargs["poll_interval"] = _int_between(
            data["poll_interval"],
            MIN_POLL_INTERVAL_S,
            MAX_POLL_INTERVAL_S,
            f"{origin}: poll_interval",
            "seconds",
        )
    if "alerts" in data:
        kwargs["alerts"] = _parse_alerts(data["alerts"], origin)
    if "accounts" in data:
        kwargs["accounts"] = _parse_accounts(data["accounts"], origin)
    if "badge_account" in data:
        if not isinstance(data["badge_account"], str):
            raise ConfigError(f"{origin}: badge_account must be the name of an account")
        kwargs["badge_account"] = data["badge_account"]
    if "badge_style" in data:
        kwargs["badge_style"] = parse_badge_style(data["badge_style"], f"{origin}: badge_style")
    if "integrations" in data:
        from tray_app.config.feed_settings import parse_integrations

        kwargs["integrations"] = parse_integrations(data["integrations"], origin)
    try:
        return Settings(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None


def parse_badge_style(value: Any, name: str = "badge_style") -> BadgeStyle:
    """A `BadgeStyle` from its config name, or ConfigError naming the key and the choices."""
    choices = ", ".join(style.value for style in BadgeStyle)
    if isinstance(value, str):
        try:
            return BadgeStyle(value.strip().lower())
        except ValueError:
            pass
    raise ConfigError(f"{name} must be one of {choices}, got {_short(value)}")


def _parse_accounts(data: Any, origin: str) -> tuple[AccountConfig, ...]:
    if not isinstance(data, list) or not data or not all(isinstance(t, dict) for t in data):
        raise ConfigError(
            f"{origin}: accounts must be one or more [[accounts]] tables, each with a name"
        )
    accounts: list[AccountConfig] = []
    for index, table in enumerate(data):
        where = f"accounts[{index}]"
        unknown = set(table) - _ACCOUNT_KEYS
        if unknown:
            raise ConfigError(
                f"{origin}: unknown key {where + '.' + sorted(unknown)[0]!r}; allowed: "
                + ", ".join(sorted(_ACCOUNT_KEYS))
            )
        if "name" not in table:
            raise ConfigError(f"{origin}: {where}.name is missing; every account needs a name")
        try:
            name = validate_account_name(table["name"], f"{where}.name")
        except ConfigError as exc:
            raise ConfigError(f"{origin}: {exc}") from None
        base_url = None
        if "base_url" in table:
            value = table["base_url"]
            if not isinstance(value, str):
                raise ConfigError(f"{origin}: {where}.base_url must be a string URL")
            try:
                base_url = validate_base_url(value)
            except ConfigError as exc:
                raise ConfigError(f"{origin}: {where}.{exc}") from None
        alerts = None
        if "alerts" in table:
            alerts = _parse_alerts(table["alerts"], origin, prefix=f"{where}.alerts")
        accounts.append(AccountConfig(name, base_url, alerts))
    try:
        check_account_names([a.name for a in accounts], "accounts")
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    return tuple(accounts)


def _parse_alerts(data: Any, origin: str, prefix: str = "alerts") -> AlertSettings:
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: {prefix} must be a table ([{prefix}])")
    unknown = set(data) - _ALERT_KEYS
    if unknown:
        raise ConfigError(
            f"{origin}: unknown key {prefix + '.' + sorted(unknown)[0]!r}; allowed: "
            + ", ".join(sorted(_ALERT_KEYS))
        )
    kwargs: dict[str, Any] = {}
    if "thresholds" in data:
        raw = data["thresholds"]
        if not isinstance(raw, list) or not raw:
            raise ConfigError(
                f'{origin}: {prefix}.thresholds must be a non-empty list like ["20%", "5%", 500]'
            )
        parsed = []
        for item in raw:
            try:
                parsed.append(Threshold.parse(item))
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{origin}: {prefix}.thresholds: {exc}") from None
        kwargs["thresholds"] = tuple(parsed)
    for name, unit in (
        ("expiring_hours", "hours"),
        ("large_spend", "credits"),
        ("offline_minutes", "minutes"),
    ):
        if name in data:
            kwargs[name] = float(
                _number_at_least(data[name], 0, f"{origin}: {prefix}.{name}", unit)
            )
    if "notifications" in data:
        if not isinstance(data["notifications"], bool):
            raise ConfigError(f"{origin}: {prefix}.notifications must be true or false")
        kwargs["notifications"] = data["notifications"]
    return AlertSettings(**kwargs)


#: Upper bound for every number in the config: far beyond any sensible value, and small
#: enough that no later arithmetic (float conversion, a scheduler date) can overflow.
MAX_CONFIG_NUMBER = 10**15


def _number_at_least(value: Any, minimum: float, name: str, unit: str) -> float:
    allowed = f"{name} must be a number of {unit} from {minimum:g} to {MAX_CONFIG_NUMBER:,}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{allowed}, got {_short(value)}")
    if isinstance(value, int) and abs(value) > MAX_CONFIG_NUMBER:
        raise ConfigError(f"{allowed}, got a number that large")
    if not math.isfinite(value) or not minimum <= value <= MAX_CONFIG_NUMBER:
        raise ConfigError(f"{allowed}, got {_short(value)}")
    return float(value)


def _int_between(value: Any, minimum: int, maximum: int, name: str, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(
            f"{name} must be a whole number of {unit} from {minimum} to {maximum}, "
            f"got {_short(value)}"
        )
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be from {minimum} to {maximum} {unit}, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def load_settings(path: Path) -> Settings:
    """Read settings from `path`; a missing file means defaults. Raises ConfigError; logs
    a warning about a file that others can read."""
    settings, warnings = read_settings(path)
    if warnings:
        import logging

        for warning in warnings:
            logging.getLogger(__name__).warning("%s", warning)
    return settings


def read_settings(path: Path) -> tuple[Settings, list[str]]:
    """`load_settings` without logging: the settings and the warnings about the file. The
    `status --cached` fast path (fast_status.py) uses it to leave those to the full CLI, and so
    to start without the logging module; the heavier parsers are imported here, on use, for
    the same reason (docs/benchmarks.md)."""
    raw = read_config_bytes(path)
    if raw is None:
        return Settings(), []
    return settings_from_bytes(path, *raw)


#: A config is a few KiB; far more is not a config (a log, a device, a wrong --config), and
#: reading or editing it whole would take seconds to minutes (tomlkit: about 1 s per MiB).
MAX_CONFIG_BYTES = 1 << 20


def read_config_bytes(path: Path) -> tuple[bytes, int] | None:
    """The config file's bytes and mode, or None when there is no file. Raises ConfigError
    for anything that is not a readable regular file of at most MAX_CONFIG_BYTES."""
    try:
        # O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode  # of the file read, not a later one
        if not stat.S_ISREG(mode):
            raise ConfigError(
                f"cannot read config {path}: it is not a file (a folder, a device or a pipe); "
                "move it away or point --config at a file"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"config {path} is larger than {MAX_CONFIG_BYTES >> 20} MiB, which no lensmor-tray "
            "config is; check that it is the right file (it was left untouched)"
        )
    return raw, mode


def settings_from_bytes(path: Path, raw: bytes, mode: int) -> tuple[Settings, list[str]]:
    """Parse a config file's bytes (`read_config_bytes`); ConfigError naming what is wrong."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        # utf-8-sig: Windows editors (Notepad before 2019) start the file with a BOM.
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        # TOMLDecodeError is a ValueError; so is tomllib's "integer too long" (over 4,300 digits).
        raise ConfigError(
            f"config {path} is not valid TOML ({_one_line(exc)}); fix or delete it "
            "(it was left untouched)"
        ) from None
    except RecursionError:
        raise ConfigError(
            f"config {path} nests arrays or tables too deeply; fix or delete it "
            "(it was left untouched)"
        ) from None
    settings = parse_settings(data, origin=str(path))
    # We create it 0600 (config_file.py); a looser mode means it was copied in or edited under
    # the umask's default, and it tells others which host gets the key. Warn and carry on;
    # after parsing, so that a broken config still exits with its one error line.
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        return settings, [
            f"the config file {path} is readable by other users; run `chmod 600 {path}`"
        ]
    return settings, []


def settings_to_toml(settings: Settings) -> dict[str, Any]:
    """The plain TOML tables that say `settings` (config_toml.py, imported on use)."""
    from tray_app.config.config_toml import settings_to_toml as to_toml

    return to_toml(settings)


def save_settings(path: Path, settings: Settings) -> None:
    """Make the config file say `settings`: under the config lock, editing the file in place
    (comments and layout kept), through a symlink, atomically, 0600 (config_file.py). Refuses
    to replace a file that does not parse. Writers that change one thing (an account, the
    pinned badge) use `config_file.update_config`, which starts from the file as it is now."""
    from tray_app.config.config_file import update_config

    update_config(path, lambda _current: settings)


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`, readable only by the user (0600), durably."""
    from tray_app.support.atomic_files import replace_atomically

    replace_atomically(path, data, mode=0o600, durable=True, create_folder=True)


def effective_base_url(
    settings: Settings, environ: Mapping[str, str], account: str = DEFAULT_ACCOUNT
) -> str:
    """An account's own base_url wins; else LENSMOR_BASE_URL overrides the config's base_url
    (both validated the same way)."""
    own = next((a.base_url for a in settings.accounts if a.name == account), None)
    if own:
        return own
    override = environ.get("LENSMOR_BASE_URL")
    if override:
        try:
            return validate_base_url(override)
        except ConfigError as exc:
            raise ConfigError(f"LENSMOR_BASE_URL: {exc}") from None
    return settings.base_url
