"""Settings: one typed dataclass, loaded from TOML, saved atomically; and the app's paths.

The config file lives at the platformdirs config path for `lensmor-tray` (on Linux
`$XDG_CONFIG_HOME/lensmor-tray/config.toml`). Every key is optional. Unknown keys and bad
values raise `ConfigError` naming the key and what is allowed. A file that cannot be read is
never overwritten: `save_settings` refuses to replace a file it could not parse.

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
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import math
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs
import tomli_w

from tray_app.core.badge import BadgeStyle
from tray_app.core.levels import DEFAULT_THRESHOLDS, Threshold

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

APP_NAME = "lensmor-tray"
DEFAULT_BASE_URL = "https://platform.lensmor.com"
DASHBOARD_URL = "https://app.lensmor.com"
# The API keys live under Settings -> API Keys in the web app; the spec documents no deeper
# link, so the button opens the web app and the notification names the place.
API_KEYS_URL = DASHBOARD_URL
MIN_POLL_INTERVAL_S = 30
MAX_POLL_INTERVAL_S = 86_400  # a day: a monitor that looks less often is not monitoring
DEFAULT_POLL_INTERVAL_S = 300

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """The configuration (file, environment or option) is not usable. Exit code 2."""


@dataclass(frozen=True)
class AlertSettings:
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS
    expiring_hours: float = 48
    large_spend: float = 0  # off: "unusual spend" (core/alerts.py) is relative to the user
    offline_minutes: float = 60
    notifications: bool = True


@dataclass(frozen=True)
class IntegrationSettings:
    """Feed files the running app rewrites after each poll (`tray_app.feeds`); None: off."""

    prometheus_textfile: Path | None = None
    waybar_file: Path | None = None


@dataclass(frozen=True)
class Settings:
    base_url: str = DEFAULT_BASE_URL
    poll_interval: int = DEFAULT_POLL_INTERVAL_S
    alerts: AlertSettings = field(default_factory=AlertSettings)
    badge_style: BadgeStyle = BadgeStyle.NUMBER
    integrations: IntegrationSettings = field(default_factory=IntegrationSettings)


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
        """Fallback secret store when no OS keyring is available (0600)."""
        return self.config_file.parent / "api-key"

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


_TOP_KEYS = {"base_url", "poll_interval", "alerts", "badge_style", "integrations"}
_ALERT_KEYS = {f.name for f in dataclasses.fields(AlertSettings)}


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
    if "badge_style" in data:
        kwargs["badge_style"] = parse_badge_style(data["badge_style"], f"{origin}: badge_style")
    if "integrations" in data:
        from tray_app.feed_settings import parse_integrations

        kwargs["integrations"] = parse_integrations(data["integrations"], origin)
    return Settings(**kwargs)


def parse_badge_style(value: Any, name: str = "badge_style") -> BadgeStyle:
    """A `BadgeStyle` from its config name, or ConfigError naming the key and the choices."""
    choices = ", ".join(style.value for style in BadgeStyle)
    if isinstance(value, str):
        try:
            return BadgeStyle(value.strip().lower())
        except ValueError:
            pass
    raise ConfigError(f"{name} must be one of {choices}, got {_short(value)}")


def _parse_alerts(data: Any, origin: str) -> AlertSettings:
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: alerts must be a table ([alerts])")
    unknown = set(data) - _ALERT_KEYS
    if unknown:
        raise ConfigError(
            f"{origin}: unknown key {'alerts.' + sorted(unknown)[0]!r}; allowed: "
            + ", ".join(sorted(_ALERT_KEYS))
        )
    kwargs: dict[str, Any] = {}
    if "thresholds" in data:
        raw = data["thresholds"]
        if not isinstance(raw, list) or not raw:
            raise ConfigError(
                f'{origin}: alerts.thresholds must be a non-empty list like ["20%", "5%", 500]'
            )
        parsed = []
        for item in raw:
            try:
                parsed.append(Threshold.parse(item))
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{origin}: alerts.thresholds: {exc}") from None
        kwargs["thresholds"] = tuple(parsed)
    for name, unit in (
        ("expiring_hours", "hours"),
        ("large_spend", "credits"),
        ("offline_minutes", "minutes"),
    ):
        if name in data:
            kwargs[name] = float(_number_at_least(data[name], 0, f"{origin}: alerts.{name}", unit))
    if "notifications" in data:
        if not isinstance(data["notifications"], bool):
            raise ConfigError(f"{origin}: alerts.notifications must be true or false")
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
    """Read settings from `path`; a missing file means defaults. Raises ConfigError."""
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode  # of the file read, not a later one
            raw = handle.read()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
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
    # We create it 0600 (save_settings); a looser mode means it was copied in or edited under
    # the umask's default, and it tells others which host gets the key. Warn and carry on;
    # after parsing, so that a broken config still exits with its one error line.
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        log.warning("the config file %s is readable by other users; run `chmod 600 %s`", path, path)
    return settings


def settings_to_toml(settings: Settings) -> dict[str, Any]:
    alerts = settings.alerts
    return {
        "base_url": settings.base_url,
        "poll_interval": settings.poll_interval,
        "badge_style": settings.badge_style.value,
        "alerts": {
            "thresholds": [str(t) if t.is_percent else _plain(t.value) for t in alerts.thresholds],
            "expiring_hours": _plain(alerts.expiring_hours),
            "large_spend": _plain(alerts.large_spend),
            "offline_minutes": _plain(alerts.offline_minutes),
            "notifications": alerts.notifications,
        },
        **_integrations_toml(settings.integrations),
    }


def _integrations_toml(integrations: IntegrationSettings) -> dict[str, Any]:
    # Written only when set, so a saved config stays as short as the user's.
    table = {
        name: str(getattr(integrations, name))
        for name in ("prometheus_textfile", "waybar_file")
        if getattr(integrations, name) is not None
    }
    return {"integrations": table} if table else {}


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def save_settings(path: Path, settings: Settings) -> None:
    """Write `settings` atomically (0600). Refuses to replace a file that does not parse."""
    if path.exists():
        load_settings(path)  # raises ConfigError: a broken file is the user's, keep it
    write_private_file(path, tomli_w.dumps(settings_to_toml(settings)).encode("utf-8"))


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`, readable only by the user (0600)."""
    # 0700 whatever the umask: a directory others can write to would let them swap in a
    # config pointing base_url (and so the key) at their own server.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def effective_base_url(settings: Settings, environ: Mapping[str, str]) -> str:
    """LENSMOR_BASE_URL overrides the config; both are validated the same way."""
    override = environ.get("LENSMOR_BASE_URL")
    if override:
        try:
            return validate_base_url(override)
        except ConfigError as exc:
            raise ConfigError(f"LENSMOR_BASE_URL: {exc}") from None
    return settings.base_url
