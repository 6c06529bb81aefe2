"""`lensmor-tray guard`: may a script spend credits now? For batch jobs:

    lensmor-tray guard --min 5000 -- ./unlock-batch.sh

The balance comes from the running app's saved state when it is younger than `--max-age`
(no request, no key: what `status --cached` reads), else from one request with the stored key
(what `status` does). A saved state whose last poll found the key rejected is not trusted:
the key may have been replaced since, so one request decides.

Exit codes (cli/exits.py): 0 enough · 1 below · 3 key missing or rejected · 64 bad arguments
· 69 cannot tell (offline, rate limited, no config), 0 instead with `--fail-open`. With
`-- COMMAND` the command replaces this process (exec, no shell) only when the answer is 0,
so its status is the exit status (126: it cannot be run, 127: not found); otherwise one line
on stderr says why it was not run. The command gets this environment without LENSMOR_API_KEY,
and SIGPIPE/SIGXFSZ back at their defaults (Python ignores them; exec would keep that).
`--min-percent` of an account whose totalAmount is 0 cannot tell (69): there is no share.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from dataclasses import dataclass

from tray_app.cli.cached_state import CachedStateError, read_saved_state
from tray_app.cli.config_access import load_config, user_language
from tray_app.cli.exits import (
    EXIT_CANNOT_RUN,
    EXIT_GUARD_UNKNOWN,
    EXIT_GUARD_USAGE,
    EXIT_KEY,
    EXIT_NO,
    EXIT_NOT_FOUND,
    EXIT_OK,
    CliError,
    print_error,
)
from tray_app.cli.fetch import fetch_balance_of
from tray_app.config.model import ConfigError, Settings
from tray_app.config.paths import AppPaths
from tray_app.core import fmt
from tray_app.core.balance import Balance
from tray_app.core.language import N_, Language
from tray_app.core.state import Problem
from tray_app.keys.key_store import ENV_VAR as KEY_ENV_VAR


@dataclass(frozen=True)
class Verdict:
    """The answer: an exit code, the balance it was based on, and why in one line."""

    code: int
    account: str
    balance: Balance | None = None
    need: float | None = None
    source: str | None = None  # "saved" (the running app's state) or "request"
    age: float | None = None  # seconds, of the balance used
    reason: str = ""  # English, for --json
    line: str = ""  # the same in the user's language


def cmd_guard(args: argparse.Namespace) -> int:
    lang = user_language()
    verdict = _verdict(args, lang, time.time())
    code = verdict.code
    if code == EXIT_GUARD_UNKNOWN and args.fail_open:
        code = EXIT_OK
    command = list(args.command_argv)
    if command[:1] == ["--"]:  # argparse keeps it in some Python versions
        command = command[1:]
    _report(args, verdict, code, command, lang)
    if not command or code != EXIT_OK:
        return code
    sys.stdout.flush()
    sys.stderr.flush()
    _restore_default_signals()
    try:
        os.execvpe(command[0], command, _child_environment())  # noqa: S606 - no shell
    except FileNotFoundError:
        print_error(lang.gettext("{program}: command not found").format(program=command[0]))
        return EXIT_NOT_FOUND
    except OSError as exc:
        print_error(
            lang.gettext("{program}: cannot run it ({reason})").format(
                program=command[0], reason=exc.strerror or exc
            )
        )
        return EXIT_CANNOT_RUN
    return EXIT_OK  # pragma: no cover - exec does not return


def _restore_default_signals() -> None:
    """Python ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across exec:
    `guard ... -- yes | head -1` would end in "Broken pipe" errors instead of quietly."""
    for name in ("SIGPIPE", "SIGXFSZ"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_DFL)


def _child_environment() -> dict[str, str]:
    """This process's environment without the API key: the command never gets the secret."""
    env = dict(os.environ)
    env.pop(KEY_ENV_VAR, None)
    return env


def _verdict(args: argparse.Namespace, lang: Language, now: float) -> Verdict:
    name = args.account or ""
    try:
        paths, settings = load_config(args)
    except ConfigError as exc:
        return Verdict(EXIT_GUARD_UNKNOWN, name, reason=str(exc), line=exc.text(lang))
    except CliError as exc:  # --config names no file
        return Verdict(EXIT_GUARD_USAGE, name, reason=str(exc), line=exc.text(lang))
    try:
        name = _account(args, settings)
    except ConfigError as exc:
        return Verdict(EXIT_GUARD_USAGE, name, reason=str(exc), line=exc.text(lang))
    saved = _saved_balance(paths, name, now, args.max_age)
    source = "saved" if saved is not None else "request"
    if saved is not None:
        balance, age = saved
    else:
        try:
            balance, fetched_at = fetch_balance_of(paths, settings, name)
        except CliError as exc:
            code = EXIT_KEY if exc.code == EXIT_KEY else EXIT_GUARD_UNKNOWN
            return Verdict(code, name, source=source, reason=str(exc), line=exc.text(lang))
        age = max(0.0, time.time() - fetched_at)
    if args.min is None and balance.total_amount <= 0:
        # A share of nothing is 0, and "0 left >= 0 needed" would say yes with no credits.
        return Verdict(
            EXIT_GUARD_UNKNOWN,
            name,
            balance,
            source=source,
            age=age,
            reason=(
                "the account's totalAmount is 0, so --min-percent has nothing to measure; "
                "use --min N"
            ),
            line=lang.gettext(
                "{account}: the account's totalAmount is 0, so --min-percent has nothing to "
                "measure; use --min N"
            ).format(account=name),
        )
    need = args.min if args.min is not None else args.min_percent * balance.total_amount / 100
    enough = balance.total_balance >= need
    left = fmt.credits(balance.total_balance, lang)
    needed = fmt.credits(need, lang)
    if enough:
        reason = f"{balance.total_balance:g} credits left, at least {need:g} needed"
        line = lang.gettext("{account}: {left} credits left, at least {need} needed").format(
            account=name, left=left, need=needed
        )
    else:
        reason = f"{balance.total_balance:g} credits left, below the {need:g} needed"
        line = lang.gettext("{account}: {left} credits left, below the {need} needed").format(
            account=name, left=left, need=needed
        )
    code = EXIT_OK if enough else EXIT_NO
    return Verdict(code, name, balance, need, source, age, reason, line)


def _account(args: argparse.Namespace, settings: Settings) -> str:
    if args.account is not None:
        return settings.account(args.account).name
    if len(settings.accounts) > 1:
        names = ", ".join(settings.account_names)
        raise ConfigError(
            N_("there are several accounts ({names}); choose one with --account NAME"),
            names=names,
        )
    return settings.accounts[0].name


def _saved_balance(
    paths: AppPaths, account: str, now: float, max_age: float
) -> tuple[Balance, float] | None:
    """The running app's balance and its age, when younger than `max_age` and trusted."""
    from tray_app.core.feed import state_from_saved

    try:
        saved = read_saved_state(paths.history_db_for(account)) or {}
    except CachedStateError:
        return None
    monitor = saved.get("monitor")
    if not isinstance(monitor, dict) or monitor.get("version") != 1:
        return None
    state = state_from_saved(monitor)
    if state.balance is None or state.fetched_at is None or state.problem is Problem.KEY_REJECTED:
        return None
    age = now - state.fetched_at
    if max_age <= 0:  # --max-age 0: always ask the API
        return None
    if not -60 <= age <= max_age:  # from the future: a clock that jumped; ask the API
        return None
    return state.balance, max(0.0, age)


def _report(
    args: argparse.Namespace, verdict: Verdict, code: int, command: list[str], lang: Language
) -> None:
    if args.json:
        data = {
            "account": verdict.account,
            "enough": None if verdict.code not in (EXIT_OK, EXIT_NO) else verdict.code == EXIT_OK,
            "exitCode": code,
            "totalBalance": None if verdict.balance is None else verdict.balance.total_balance,
            "totalAmount": None if verdict.balance is None else verdict.balance.total_amount,
            "need": verdict.need,
            "source": verdict.source,
            "age": None if verdict.age is None else round(verdict.age, 1),
            "reason": verdict.reason,
            "command": command[0] if command else None,
            "run": bool(command) and code == EXIT_OK,
        }
        # With a command, stdout is the command's: the JSON goes to stderr.
        print(json.dumps(data), file=sys.stderr if command else sys.stdout)
        return
    if code == EXIT_OK and verdict.code == EXIT_OK:
        if not command:
            print(verdict.line)
        return
    if code == EXIT_OK:  # cannot tell, --fail-open
        print_error(
            lang.gettext("cannot tell ({reason}); going ahead (--fail-open)").format(
                reason=verdict.line
            )
        )
        return
    if command:
        print_error(
            lang.gettext("not running {program}: {reason}").format(
                program=command[0], reason=verdict.line
            )
        )
    elif verdict.code == EXIT_GUARD_UNKNOWN:
        print_error(lang.gettext("cannot tell: {reason}").format(reason=verdict.line))
    else:
        print_error(verdict.line)
