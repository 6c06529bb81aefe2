"""`lensmor-tray hooks list` and `hooks test EVENT [--account A]`: what the `[[hooks]]` of the
config are, and what each returns for a sample event (run as the app runs them:
notify/hooks.py, the same JSON, environment and timeout; one at a time, waited for)."""

from __future__ import annotations

import argparse
import shlex
import time

from tray_app.cli.cached_state import CachedStateError, read_saved_state
from tray_app.cli.config_access import load_config, single_account, user_language
from tray_app.cli.exits import EXIT_NO, EXIT_OK, CliError
from tray_app.config.model import Settings
from tray_app.config.paths import AppPaths
from tray_app.core.balance import Balance, parse_balance
from tray_app.core.hook_events import HookEvent
from tray_app.core.language import N_, Language
from tray_app.core.levels import level_for

#: The balance a sample event carries when the app has saved none for the account.
_SAMPLE = Balance(35_000, 4_200, 35_000, 4_200, 0, 0, None)


def cmd_hooks(args: argparse.Namespace) -> int:
    paths, settings = load_config(args)
    lang = user_language()
    if args.hooks_command == "list":
        return _list(settings, lang)
    return _test(args, paths, settings, lang)


def _list(settings: Settings, lang: Language) -> int:
    from tray_app.notify.hooks import program_missing

    _ = lang.gettext
    if not settings.hooks:
        print(_("no hooks: add [[hooks]] tables to the config (see the README)"))
        return EXIT_OK
    for index, hook in enumerate(settings.hooks):
        print(f"hooks[{index}]: {shlex.join(hook.command)}")
        print("  " + _("on: {events}").format(events=", ".join(hook.on)))
        account = hook.account if hook.account is not None else _("every account")
        print("  " + _("account: {name}").format(name=account))
        print("  " + _("timeout: {seconds} s").format(seconds=f"{hook.timeout:g}"))
        if program_missing(hook):
            print("  " + _("program not found: {program}").format(program=hook.command[0]))
    return EXIT_OK


def _test(args: argparse.Namespace, paths: AppPaths, settings: Settings, lang: Language) -> int:
    from tray_app.notify.hooks import matching, run_hook

    _ = lang.gettext
    account = single_account(args, settings).name
    event = sample_event(args.event, account, settings, _saved_balance(paths, account), lang)
    hooks = matching(settings.hooks, event)
    if not hooks:
        raise CliError(
            N_("no hook runs on {event} for {account}; see `lensmor-tray hooks list`"),
            EXIT_NO,
            event=args.event,
            account=account,
        )
    failed = 0
    for hook in hooks:
        index = settings.hooks.index(hook)
        outcome = run_hook(hook, event)
        print(f"hooks[{index}] {outcome.program}: {outcome.describe()} ({outcome.seconds:.1f} s)")
        if outcome.stdout:
            print("  " + _("stdout: {line}").format(line=outcome.stdout))
        if outcome.stderr:
            print("  " + _("stderr: {line}").format(line=outcome.stderr))
        failed += not outcome.ok
    return EXIT_NO if failed else EXIT_OK


def sample_event(
    event: str, account: str, settings: Settings, balance: Balance | None, lang: Language
) -> HookEvent:
    """A made-up `event` for `account`, with its last saved balance when there is one."""
    _ = lang.gettext
    balance = balance or _SAMPLE
    thresholds = settings.alerts_for(account).thresholds
    lines: tuple[str, ...] = ()
    if event == "empty":
        lines = ("depleted",)
    elif event in ("low", "critical") and thresholds:
        ordered = sorted(thresholds, key=lambda t: t.credits(balance.total_amount))
        lines = (str(ordered[0] if event == "critical" else ordered[-1]),)
    now = time.time()
    return HookEvent(
        event,
        account,
        f"test:{event}:t={int(now)}",
        _("Lensmor hook test: {event}").format(event=event),
        _("A sample {event} event sent by `lensmor-tray hooks test`.").format(event=event),
        now,
        balance,
        level_for(balance, thresholds),
        lines,
        test=True,
    )


def _saved_balance(paths: AppPaths, account: str) -> Balance | None:
    try:
        saved = read_saved_state(paths.history_db_for(account)) or {}
    except CachedStateError:
        return None
    monitor = saved.get("monitor")
    data = monitor.get("balance") if isinstance(monitor, dict) else None
    try:
        return parse_balance(data) if data is not None else None
    except ValueError:
        return None
