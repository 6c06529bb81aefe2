"""`lensmor-tray history`: one account's recorded balance changes and daily usage, as a text
report, JSON, CSV (every change) or sparkline charts.

It reads the history file the tray app writes (history/store.py); the history modules are
imported when the command runs, so the other commands do not load them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from tray_app.cli.config_access import app_paths, load_config, single_account, user_language
from tray_app.cli.exits import EXIT_NO, EXIT_OK, EXIT_USAGE, CliError
from tray_app.config.model import DEFAULT_ACCOUNT
from tray_app.core.language import N_

MAX_HISTORY_DAYS = 3660  # ten years: more than the history keeps, and a sane amount to print


def cmd_history(args: argparse.Namespace) -> int:
    from tray_app.cli.history_report import history_json, history_report
    from tray_app.history.store import HistoryStore

    paths = app_paths(args)
    if not 1 <= args.days <= MAX_HISTORY_DAYS:
        raise CliError(N_("--days must be from 1 to {most}"), EXIT_USAGE, most=MAX_HISTORY_DAYS)
    account = DEFAULT_ACCOUNT
    if args.account is not None or paths.config_file.exists():
        account = single_account(args, load_config(args)[1]).name
    history_db = paths.history_db_for(account)
    if not history_db.exists():
        raise CliError(
            N_("no history yet: start the tray app (`lensmor-tray`) and it records changes"),
            EXIT_NO,
        )
    with HistoryStore.open(history_db) as store:
        now = time.time()
        if args.json:
            print(json.dumps(history_json(store, now, None, days=args.days)))
        elif args.csv:
            from tray_app.history.export import write_csv

            try:
                write_csv(sys.stdout, store.records(0), account)
                sys.stdout.flush()
            except BrokenPipeError:
                # `history --csv | head`: the reader has what it wanted. Point stdout at
                # devnull so the flush at exit does not complain a second time.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        elif args.chart:
            from tray_app.history.export import chart_text
            from tray_app.history.usage_data import load_series

            series = load_series(store, now, args.days)
            print(chart_text(series, lang=user_language()), end="")
        else:
            print(history_report(store, now, None, days=args.days, lang=user_language()))
    return EXIT_OK
