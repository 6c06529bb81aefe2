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

MIN_HOOK_TIMEOUT_S = 1.0
MAX_HOOK_TIMEOUT_S = 300.0
_KEYS = ("on", "command", "account", "timeout")


def parse_hooks(data: Any, origin: str) -> tuple[HookConfig, ...]:
    """The hooks of a decoded `[[hooks]]` array; ConfigError names the table and the key."""
    if not isinstance(data, list) or not all(isinstance(table, dict) for table in data):
        raise ConfigError(f"{origin}: hooks must be [[hooks]] tables, each with `on` and `command`")
    return tuple(_parse_hook(table, f"{origin}: hooks[{i}]") for i, table in enumerate(data))


def _parse_hook(table: dict[str, Any], where: str) -> HookConfig:
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(_KEYS)}")
    for key in ("on", "command"):
        if key not in table:
            raise ConfigError(f"{where}.{key} is missing; every hook needs `on` and `command`")
    account = None
    if "account" in table:
        try:
            account = validate_account_name(table["account"], f"{where}.account")
        except ConfigError as exc:
            raise ConfigError(str(exc)) from None
    timeout = DEFAULT_HOOK_TIMEOUT_S
    if "timeout" in table:
        timeout = _timeout(table["timeout"], f"{where}.timeout")
    return HookConfig(_events(table["on"], where), _argv(table["command"], where), account, timeout)


def _events(value: Any, where: str) -> tuple[str, ...]:
    allowed = f'{", ".join(EVENT_NAMES)} (or "*" for all)'
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f'{where}.on must be a list of events like ["low", "empty"]: {allowed}')
    for name in value:
        if name != ANY_EVENT and name not in EVENT_NAMES:
            raise ConfigError(f"{where}.on: unknown event {short_repr(name)}; use {allowed}")
    return tuple(dict.fromkeys(value))


def _argv(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ConfigError(
            f'{where}.command must be a list of words, not a shell string: like ["notify-send", '
            '"Lensmor"] (no shell runs it; for pipes, write ["sh", "-c", "..."])'
        )
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f'{where}.command must be a non-empty list of strings, like ["curl", "-d", "@-", "URL"]'
        )
    if not value[0].strip():
        raise ConfigError(f"{where}.command[0] is empty; it must name the program to run")
    if any("\x00" in word for word in value):
        raise ConfigError(f"{where}.command must not contain a NUL character")
    return tuple(value)


def _timeout(value: Any, where: str) -> float:
    allowed = (
        f"{where} must be a number of seconds from {MIN_HOOK_TIMEOUT_S:g} to {MAX_HOOK_TIMEOUT_S:g}"
    )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{allowed}, got {short_repr(value)}")
    if not math.isfinite(value) or not MIN_HOOK_TIMEOUT_S <= value <= MAX_HOOK_TIMEOUT_S:
        raise ConfigError(f"{allowed}, got {short_repr(value)}")
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
