"""`lensmor-tray doctor`'s lines for the scripts' side: the `[[hooks]]` (a program that is not
found, an account that does not exist) and what `guard` would answer from (the running app's
saved balance, or a request)."""

from __future__ import annotations

import time

from tray_app.cli.cached_state import CachedStateError, read_saved_state
from tray_app.cli.doctor.context import FAIL, OK, WARN, Context
from tray_app.cli.guard_args import DEFAULT_MAX_AGE_S
from tray_app.config.account_names import name_key
from tray_app.core import fmt
from tray_app.core.doctor import CheckResult
from tray_app.notify.hooks import program_missing


def check_hooks(context: Context) -> list[CheckResult]:
    hooks = context.settings.hooks
    if not hooks:
        return [CheckResult("hooks", OK, "none ([[hooks]] in the config run commands on alerts)")]
    missing = [
        f"hooks[{i}] runs {hook.command[0]}, which is not found"
        + ("" if "/" in hook.command[0] else " on PATH")
        for i, hook in enumerate(hooks)
        if program_missing(hook)
    ]
    if missing:
        return [
            CheckResult(
                "hooks",
                FAIL,
                "; ".join(missing),
                "install it, or write its full path as the command's first word",
            )
        ]
    known = {name_key(name) for name in context.settings.account_names}
    strays = [
        f"hooks[{i}].account {hook.account!r} names no account"
        for i, hook in enumerate(hooks)
        if hook.account is not None and name_key(hook.account) not in known
    ]
    if strays:
        names = ", ".join(context.settings.account_names)
        return [CheckResult("hooks", WARN, "; ".join(strays), f"use one of: {names}")]
    described = "; ".join(
        f"hooks[{i}] {hook.command[0]} on {', '.join(hook.on)}" for i, hook in enumerate(hooks)
    )
    return [CheckResult("hooks", OK, described)]


def check_guard(context: Context) -> list[CheckResult]:
    """Informational: where `guard` would take each account's balance from right now."""
    now = time.time()
    parts = []
    for name in context.settings.account_names:
        age = _saved_age(context, name, now)
        label = context.label(name)
        prefix = f"{label}: " if label else ""
        if age is not None and age <= DEFAULT_MAX_AGE_S:
            parts.append(f"{prefix}from the app's saved balance ({fmt.duration(age)} old)")
        else:
            parts.append(f"{prefix}one request (no saved balance younger than 10 min)")
    return [CheckResult("guard", OK, "; ".join(parts))]


def _saved_age(context: Context, account: str, now: float) -> float | None:
    try:
        saved = read_saved_state(context.paths.history_db_for(account)) or {}
    except CachedStateError:
        return None
    monitor = saved.get("monitor")
    fetched = monitor.get("fetchedAt") if isinstance(monitor, dict) else None
    if not isinstance(fetched, int | float) or isinstance(fetched, bool):
        return None
    return max(0.0, now - fetched)
