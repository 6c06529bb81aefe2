"""`lensmor-tray doctor`'s lines for the scripts' side: the `[[hooks]]` (a program that is not
found, an account that does not exist) and what `guard` would answer from (the running app's
saved balance, or a request)."""

from __future__ import annotations

import time

from tray_app.cli.cached_state import CachedStateError, read_saved_state
from tray_app.cli.doctor.context import FAIL, OK, WARN, Context
from tray_app.cli.guard_args import DEFAULT_MAX_AGE_S
from tray_app.core import fmt
from tray_app.core.account_label import name_key
from tray_app.core.doctor import CheckResult
from tray_app.core.language import N_
from tray_app.notify.hooks import program_missing


def check_hooks(context: Context) -> list[CheckResult]:
    _ = context.lang.gettext
    hooks = context.settings.hooks
    name = N_("hooks")
    if not hooks:
        return [CheckResult(name, OK, _("none ([[hooks]] in the config run commands on alerts)"))]
    missing = [
        (
            _("hooks[{index}] runs {program}, which is not found")
            if "/" in hook.command[0]
            else _("hooks[{index}] runs {program}, which is not found on PATH")
        ).format(index=i, program=hook.command[0])
        for i, hook in enumerate(hooks)
        if program_missing(hook)
    ]
    if missing:
        return [
            CheckResult(
                name,
                FAIL,
                "; ".join(missing),
                _("install it, or write its full path as the command's first word"),
            )
        ]
    known = {name_key(account) for account in context.settings.account_names}
    strays = [
        _("hooks[{index}].account {name} names no account").format(index=i, name=repr(hook.account))
        for i, hook in enumerate(hooks)
        if hook.account is not None and name_key(hook.account) not in known
    ]
    if strays:
        names = ", ".join(context.settings.account_names)
        fix = _("use one of: {names}").format(names=names)
        return [CheckResult(name, WARN, "; ".join(strays), fix)]
    described = "; ".join(
        _("hooks[{index}] {program} on {events}").format(
            index=i, program=hook.command[0], events=", ".join(hook.on)
        )
        for i, hook in enumerate(hooks)
    )
    return [CheckResult(name, OK, described)]


def check_guard(context: Context) -> list[CheckResult]:
    """Informational: where `guard` would take each account's balance from right now."""
    _ = context.lang.gettext
    now = time.time()
    parts = []
    for name in context.settings.account_names:
        age = _saved_age(context, name, now)
        if age is not None and age <= DEFAULT_MAX_AGE_S:
            part = _("from the app's saved balance ({age} old)").format(
                age=fmt.duration(age, context.lang)
            )
        else:
            part = _("one request (no saved balance younger than 10 min)")
        label = context.label(name)
        parts.append(f"{label}: {part}" if label else part)
    return [CheckResult(N_("guard"), OK, "; ".join(parts))]


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
