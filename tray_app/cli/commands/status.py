"""`lensmor-tray status`: the balance fetched now (text, JSON or a status-bar feed), or with
`--cached` what the running app last saved.

With several accounts one account's failure does not hide the others; the exit code is the
worst of them (cli.exits.worst_exit). The happy `--cached` case is usually answered before this
module is imported (entry.py, cli/fast_status.py); this is the full path with every message.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

from tray_app.cli.args import selected_accounts, status_format
from tray_app.cli.config_access import load_config, user_language
from tray_app.cli.exits import EXIT_NO, EXIT_OK, EXIT_UNAVAILABLE, CliError, print_error, worst_exit
from tray_app.cli.fetch import fetch_balance_of
from tray_app.cli.status_text import status_json, status_text
from tray_app.config.model import AccountConfig, Settings
from tray_app.config.paths import AppPaths
from tray_app.core.state import PollResult


def cmd_status(args: argparse.Namespace) -> int:
    paths, settings = load_config(args)
    out_format = status_format(args)
    accounts = selected_accounts(args, settings)
    if args.cached:
        return _status_cached(args, paths, settings, out_format, accounts)
    if out_format not in ("text", "json"):
        return _status_live_feed(args, paths, settings, out_format, accounts)
    if len(accounts) == 1:
        # One account: exactly the output of the single-account app.
        balance, fetched_at = fetch_balance_of(paths, settings, accounts[0].name)
        alerts = settings.alerts_for(accounts[0].name)
        if out_format == "json":
            print(json.dumps(status_json(balance, alerts, fetched_at)))
        else:
            print(status_text(balance, alerts, fetched_at, user_language()))
        return EXIT_OK
    return _status_of_several(args, paths, settings, accounts)


def _status_of_several(
    args: argparse.Namespace,
    paths: AppPaths,
    settings: Settings,
    accounts: Sequence[AccountConfig],
) -> int:
    """One block (or JSON object) per account; one account's failure does not hide the
    others. The exit code is the worst of them (exits.EXIT_SEVERITY)."""
    codes: list[int] = []
    objects: list[dict[str, object]] = []
    blocks: list[str] = []
    lang = user_language()
    for account in accounts:
        alerts = settings.alerts_for(account.name)
        try:
            balance, fetched_at = fetch_balance_of(paths, settings, account.name)
        except CliError as exc:
            codes.append(exc.code)
            print_error(f"{account.name}: {exc.text(lang)}")
            # JSON stays English: scripts read it.
            objects.append({"account": account.name, "error": str(exc), "exitCode": exc.code})
            blocks.append(
                f"{account.name}\n  "
                + lang.gettext("error: {message}").format(message=exc.text(lang))
            )
            continue
        codes.append(EXIT_OK)
        objects.append({"account": account.name, **status_json(balance, alerts, fetched_at)})
        text = status_text(balance, alerts, fetched_at, lang)
        blocks.append(f"{account.name}\n" + "\n".join(f"  {line}" for line in text.splitlines()))
    if args.json:
        print(json.dumps({"accounts": objects}))
    else:
        print("\n\n".join(blocks))
    return worst_exit(codes)


def _status_live_feed(
    args: argparse.Namespace,
    paths: AppPaths,
    settings: Settings,
    out: str,
    accounts: Sequence[AccountConfig],
) -> int:
    """`status --format waybar|...`: fetch each account once; an account that fails is told
    on stderr and left out of the feed (the exit code is the worst of them)."""
    from tray_app.cli import status_feed

    snapshots = []
    codes: list[int] = []
    now = time.time()
    for account in accounts:
        try:
            balance, fetched_at = fetch_balance_of(paths, settings, account.name)
        except CliError as exc:
            if len(accounts) == 1:
                raise
            codes.append(exc.code)
            print_error(f"{account.name}: {exc.text(user_language())}")
            continue
        codes.append(EXIT_OK)
        state = status_feed.fetched_state(PollResult(fetched_at, balance=balance))
        snapshots += status_feed.live_accounts(
            state, settings, fetched_at, account.name, user_language()
        )
    if not snapshots:
        return worst_exit(codes)
    refresh = status_feed.refresh_argv(args.config) if out == "xbar" else []
    print(status_feed.render(out, snapshots, settings, now, refresh_command=refresh))
    return worst_exit(codes)


def _status_cached(
    args: argparse.Namespace,
    paths: AppPaths,
    settings: Settings,
    out: str,
    accounts: Sequence[AccountConfig],
) -> int:
    """`status --cached`: the running app's last saved state; no request, no key."""
    from tray_app.cli import status_feed
    from tray_app.cli.cached_state import CachedStateError

    lang = user_language()
    unreadable: list[str] = []  # of several accounts: listed as such, said on stderr, exit 4
    try:
        output = status_feed.cached_output(
            out,
            paths,
            settings,
            accounts,
            config=args.config,
            now=time.time(),
            lang=lang,
            on_unreadable=lambda name, exc: unreadable.append(f"{name}: {exc.text(lang)}"),
        )
    except CachedStateError as exc:
        raise CliError("{problem}", EXIT_UNAVAILABLE, problem=exc.text) from None
    if output is None:
        raise CliError(status_feed.NEVER_RAN_HINT, EXIT_NO)
    print(output)
    for line in unreadable:
        print_error(line)
    return EXIT_UNAVAILABLE if unreadable else EXIT_OK
