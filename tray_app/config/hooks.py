"""The `[[hooks]]` tables of config.toml: a command run on alert events (notify/hooks.py runs
them, core/hook_events.py says what they are told).

    [[hooks]]
    on = ["low", "critical", "empty"]      # or ["*"]
    command = ["curl", "-s", "-d", "@-", "https://ntfy.sh/my-topic"]
    account = "Work"                       # optional: only this account's events
    timeout = 10                           # seconds, 1 to 300

`command` is an argv list, never a shell string: nothing is interpreted, so a balance or an
account name can never become shell code. The account is not checked against [[accounts]]
here (removing an account must not make the config invalid); `doctor` names a hook whose
account does not exist.
"""

from __future__ import annotations

import math
from typing import Any

from tray_app.config.model import (
    DEFAULT_HOOK_TIMEOUT_S,
    ConfigError,
    HookConfig,
    short_repr,
    validate_account_name,
)
from tray_app.core.hook_names import ANY_EVENT, EVENT_NAMES
from tray_app.core.language import N_

MIN_HOOK_TIMEOUT_S = 1.0
MAX_HOOK_TIMEOUT_S = 300.0
_KEYS = ("on", "command", "account", "timeout")


def parse_hooks(data: Any, origin: str) -> tuple[HookConfig, ...]:
    """The hooks of a decoded `[[hooks]]` array; ConfigError names the table and the key."""
    if not isinstance(data, list) or not all(isinstance(table, dict) for table in data):
        raise ConfigError(
            N_("{origin}: hooks must be [[hooks]] tables, each with `on` and `command`"),
            origin=origin,
        )
    return tuple(_parse_hook(table, f"{origin}: hooks[{i}]") for i, table in enumerate(data))


def _parse_hook(table: dict[str, Any], where: str) -> HookConfig:
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(
            N_("{where}: unknown key {key}; allowed: {keys}"),
            where=where,
            key=repr(unknown[0]),
            keys=", ".join(_KEYS),
        )
    for key in ("on", "command"):
        if key not in table:
            raise ConfigError(
                N_("{key} is missing; every hook needs `on` and `command`"), key=f"{where}.{key}"
            )
    account = None
    if "account" in table:
        account = validate_account_name(table["account"], f"{where}.account")
    timeout = DEFAULT_HOOK_TIMEOUT_S
    if "timeout" in table:
        timeout = _timeout(table["timeout"], f"{where}.timeout")
    return HookConfig(_events(table["on"], where), _argv(table["command"], where), account, timeout)


def _events(value: Any, where: str) -> tuple[str, ...]:
    events = ", ".join(EVENT_NAMES)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            N_('{key} must be a list of events like ["low", "empty"]: {events} (or "*" for all)'),
            key=f"{where}.on",
            events=events,
        )
    for name in value:
        if name != ANY_EVENT and name not in EVENT_NAMES:
            raise ConfigError(
                N_('{key}: unknown event {name}; use {events} (or "*" for all)'),
                key=f"{where}.on",
                name=short_repr(name),
                events=events,
            )
    return tuple(dict.fromkeys(value))


def _argv(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ConfigError(
            N_(
                '{key} must be a list of words, not a shell string: like ["notify-send", '
                '"Lensmor"] (no shell runs it; for pipes, write ["sh", "-c", "..."])'
            ),
            key=f"{where}.command",
        )
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            N_('{key} must be a non-empty list of strings, like ["curl", "-d", "@-", "URL"]'),
            key=f"{where}.command",
        )
    if not value[0].strip():
        raise ConfigError(
            N_("{key} is empty; it must name the program to run"), key=f"{where}.command[0]"
        )
    if any("\x00" in word for word in value):
        raise ConfigError(N_("{key} must not contain a NUL character"), key=f"{where}.command")
    return tuple(value)


def _timeout(value: Any, where: str) -> float:
    in_range = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and MIN_HOOK_TIMEOUT_S <= value <= MAX_HOOK_TIMEOUT_S
    )
    if not in_range:
        raise ConfigError(
            N_("{key} must be a number of seconds from {minimum} to {maximum}, got {value}"),
            key=where,
            minimum=f"{MIN_HOOK_TIMEOUT_S:g}",
            maximum=f"{MAX_HOOK_TIMEOUT_S:g}",
            value=short_repr(value),
        )
    return float(value)


def hooks_to_toml(hooks: tuple[HookConfig, ...]) -> list[dict[str, Any]]:
    """The `[[hooks]]` tables that say `hooks` (for a config written afresh)."""
    tables: list[dict[str, Any]] = []
    for hook in hooks:
        table: dict[str, Any] = {"on": list(hook.on), "command": list(hook.command)}
        if hook.account is not None:
            table["account"] = hook.account
        if hook.timeout != DEFAULT_HOOK_TIMEOUT_S:
            table["timeout"] = int(hook.timeout) if hook.timeout.is_integer() else hook.timeout
        tables.append(table)
    return tables
