"""Decoded TOML -> `Settings`, every key checked: ConfigError names the key and what is allowed."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

from tray_app.config.feed_settings import parse_integrations
from tray_app.config.hooks import parse_hooks
from tray_app.config.model import (
    MAX_POLL_INTERVAL_S,
    MIN_POLL_INTERVAL_S,
    AccountConfig,
    AlertSettings,
    ConfigError,
    Settings,
    check_account_names,
    short_repr,
    validate_account_name,
)
from tray_app.config.urls import validate_base_url
from tray_app.core.badge import BadgeStyle
from tray_app.core.language import N_, Phrase
from tray_app.core.levels import Threshold, ThresholdError

_TOP_KEYS = {
    "base_url",
    "poll_interval",
    "alerts",
    "badge_style",
    "integrations",
    "accounts",
    "badge_account",
    "hooks",
}
_ALERT_KEYS = {f.name for f in dataclasses.fields(AlertSettings)}
_ACCOUNT_KEYS = {"name", "base_url", "alerts"}
_UNKNOWN_KEY = N_("{origin}: unknown key {key}; allowed: {keys}")
#: "<file>: <what is wrong>" (the detail is worded in the message's language).
_IN_FILE = "{origin}: {detail}"


def parse_settings(data: Mapping[str, Any], origin: str = "config") -> Settings:
    """Build Settings from decoded TOML; raise ConfigError naming the key on any problem."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(
            _UNKNOWN_KEY,
            origin=origin,
            key=repr(sorted(unknown)[0]),
            keys=", ".join(sorted(_TOP_KEYS)),
        )
    kwargs: dict[str, Any] = {}
    if "base_url" in data:
        value = data["base_url"]
        if not isinstance(value, str):
            raise ConfigError(N_("{origin}: base_url must be a string URL"), origin=origin)
        try:
            kwargs["base_url"] = validate_base_url(value)
        except ConfigError as exc:
            raise ConfigError(_IN_FILE, origin=origin, detail=exc) from None
    if "poll_interval" in data:
        kwargs["poll_interval"] = _int_between(
            data["poll_interval"],
            MIN_POLL_INTERVAL_S,
            MAX_POLL_INTERVAL_S,
            f"{origin}: poll_interval",
            SECONDS,
        )
    # In this order: a config with several mistakes is told about the same one first.
    parts: tuple[tuple[str, Callable[[Any, str], object]], ...] = (
        ("alerts", _parse_alerts),
        ("accounts", _parse_accounts),
        ("badge_account", _parse_badge_account),
        ("badge_style", lambda value, where: parse_badge_style(value, f"{where}: badge_style")),
        ("integrations", parse_integrations),
        ("hooks", parse_hooks),
    )
    for key, parse_part in parts:
        if key in data:
            kwargs[key] = parse_part(data[key], origin)
    try:
        return Settings(**kwargs)
    except ConfigError as exc:
        raise ConfigError(_IN_FILE, origin=origin, detail=exc) from None


def _parse_badge_account(value: Any, origin: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(
            N_("{origin}: badge_account must be the name of an account"), origin=origin
        )
    return value


def parse_badge_style(value: Any, name: str = "badge_style") -> BadgeStyle:
    """A `BadgeStyle` from its config name, or ConfigError naming the key and the choices."""
    choices = ", ".join(style.value for style in BadgeStyle)
    if isinstance(value, str):
        try:
            return BadgeStyle(value.strip().lower())
        except ValueError:
            pass
    raise ConfigError(
        N_("{name} must be one of {choices}, got {value}"),
        name=name,
        choices=choices,
        value=short_repr(value),
    )


def _parse_accounts(data: Any, origin: str) -> tuple[AccountConfig, ...]:
    if not isinstance(data, list) or not data or not all(isinstance(t, dict) for t in data):
        raise ConfigError(
            N_("{origin}: accounts must be one or more [[accounts]] tables, each with a name"),
            origin=origin,
        )
    accounts: list[AccountConfig] = []
    for index, table in enumerate(data):
        where = f"accounts[{index}]"
        unknown = set(table) - _ACCOUNT_KEYS
        if unknown:
            raise ConfigError(
                _UNKNOWN_KEY,
                origin=origin,
                key=repr(where + "." + sorted(unknown)[0]),
                keys=", ".join(sorted(_ACCOUNT_KEYS)),
            )
        if "name" not in table:
            raise ConfigError(
                N_("{origin}: {key} is missing; every account needs a name"),
                origin=origin,
                key=f"{where}.name",
            )
        try:
            name = validate_account_name(table["name"], f"{where}.name")
        except ConfigError as exc:
            raise ConfigError(_IN_FILE, origin=origin, detail=exc) from None
        base_url = None
        if "base_url" in table:
            value = table["base_url"]
            if not isinstance(value, str):
                raise ConfigError(
                    N_("{origin}: {key} must be a string URL"),
                    origin=origin,
                    key=f"{where}.base_url",
                )
            try:
                base_url = validate_base_url(value)
            except ConfigError as exc:
                raise ConfigError(
                    "{origin}: {where}.{detail}", origin=origin, where=where, detail=exc
                ) from None
        alerts = None
        if "alerts" in table:
            alerts = _parse_alerts(table["alerts"], origin, prefix=f"{where}.alerts")
        accounts.append(AccountConfig(name, base_url, alerts))
    try:
        check_account_names([a.name for a in accounts], "accounts")
    except ConfigError as exc:
        raise ConfigError(_IN_FILE, origin=origin, detail=exc) from None
    return tuple(accounts)


def _parse_alerts(data: Any, origin: str, prefix: str = "alerts") -> AlertSettings:
    if not isinstance(data, dict):
        raise ConfigError(
            N_("{origin}: {key} must be a table ([{key}])"), origin=origin, key=prefix
        )
    unknown = set(data) - _ALERT_KEYS
    if unknown:
        raise ConfigError(
            _UNKNOWN_KEY,
            origin=origin,
            key=repr(prefix + "." + sorted(unknown)[0]),
            keys=", ".join(sorted(_ALERT_KEYS)),
        )
    kwargs: dict[str, Any] = {}
    if "thresholds" in data:
        raw = data["thresholds"]
        if not isinstance(raw, list) or not raw:
            raise ConfigError(
                N_('{origin}: {key} must be a non-empty list like ["20%", "5%", 500]'),
                origin=origin,
                key=f"{prefix}.thresholds",
            )
        parsed = []
        for item in raw:
            try:
                parsed.append(Threshold.parse(item))
            except ThresholdError as exc:
                raise ConfigError(
                    "{origin}: {key}: {detail}",
                    origin=origin,
                    key=f"{prefix}.thresholds",
                    detail=exc.words,  # worded in the language the ConfigError is shown in
                ) from None
        kwargs["thresholds"] = tuple(parsed)
    for name, unit in (
        ("expiring_hours", HOURS),
        ("large_spend", CREDITS),
        ("offline_minutes", MINUTES),
    ):
        if name in data:
            kwargs[name] = float(
                _number_at_least(data[name], 0, f"{origin}: {prefix}.{name}", unit)
            )
    if "notifications" in data:
        if not isinstance(data["notifications"], bool):
            raise ConfigError(
                N_("{origin}: {key} must be true or false"),
                origin=origin,
                key=f"{prefix}.notifications",
            )
        kwargs["notifications"] = data["notifications"]
    return AlertSettings(**kwargs)


#: Upper bound for every number in the config: far beyond any sensible value, and small
#: enough that no later arithmetic (float conversion, a scheduler date) can overflow.
MAX_CONFIG_NUMBER = 10**15


#: The units of numbers in the config, as "must be a number of {unit}" says them.
SECONDS, MINUTES, HOURS, CREDITS = N_("seconds"), N_("minutes"), N_("hours"), N_("credits")


def _number_at_least(value: Any, minimum: float, name: str, unit: str) -> float:
    def wrong(got: str) -> ConfigError:
        return ConfigError(
            N_("{name} must be a number of {unit} from {minimum} to {maximum}, got {value}"),
            name=name,
            unit=Phrase(unit),
            minimum=f"{minimum:g}",
            maximum=f"{MAX_CONFIG_NUMBER:,}",
            value=Phrase(got),
        )

    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong(short_repr(value))
    if isinstance(value, int) and abs(value) > MAX_CONFIG_NUMBER:
        raise wrong(N_("a number that large"))
    if not math.isfinite(value) or not minimum <= value <= MAX_CONFIG_NUMBER:
        raise wrong(short_repr(value))
    return float(value)


def _int_between(value: Any, minimum: int, maximum: int, name: str, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(
            N_("{name} must be a whole number of {unit} from {minimum} to {maximum}, got {value}"),
            name=name,
            unit=Phrase(unit),
            minimum=minimum,
            maximum=maximum,
            value=short_repr(value),
        )
    if not minimum <= value <= maximum:
        raise ConfigError(
            N_("{name} must be from {minimum} to {maximum} {unit}, got {value}"),
            name=name,
            unit=Phrase(unit),
            minimum=minimum,
            maximum=maximum,
            value=short_repr(value),
        )
    return value
