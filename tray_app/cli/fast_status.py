"""`status --cached` without the full CLI: the happy path only, or nothing at all.

A status bar runs `lensmor-tray status --cached --format …` every few seconds; issue 13 wants
the answer in under 100 ms (docs/benchmarks.md). This module does what `cmd_status`
(cli/commands/status.py) does for `--cached` with the same functions (`read_settings`,
`args.selected_accounts`, `status_feed.cached_output`) but imports only those: no keyring, no
account commands, no HTTP client, no logging, no Babel (the cached text is written with the
built-in English formats, as the full CLI writes it).

It never reports a problem itself. A config error, a --config file that is not there, an
unknown --account, a saved state that cannot be read, no saved state at all, or a warning
about the config (a file readable by others): `print_cached_status` then returns None having
printed nothing, and the caller hands the command line to `cli.main`, which says it in its
own words. Nothing here writes a file, so doing the work twice is harmless.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

from tray_app import __version__
from tray_app.cli import status_memo
from tray_app.cli.args import selected_accounts, status_format
from tray_app.cli.cached_state import CachedStateError
from tray_app.cli.status_feed import cached_timeline
from tray_app.config.loading import read_settings
from tray_app.config.model import ConfigError
from tray_app.config.paths import AppPaths
from tray_app.history.state_token import state_token_path
from tray_app.support.i18n import language_from_environ


def print_cached_status(args: argparse.Namespace, argv: Sequence[str]) -> int | None:
    """Print `status --cached` for `args` (read from `argv`) and return its exit code (0);
    None when the full CLI must answer instead (nothing was printed). What it printed, and
    what it would print in the next minutes, is kept for the next run with the same `argv`
    (status_memo.py)."""
    if args.config is not None and not _exists(args.config):
        return None  # cli.config_access.load_config words it
    paths = AppPaths.default(args.config)
    now = time.time()
    try:
        config_inputs = status_memo.Inputs(str(paths.config_file), [])
        settings, warnings = read_settings(paths.config_file)
        if warnings:
            return None  # cli.main logs them in its one-line form
        accounts = selected_accounts(args, settings)
        histories = [paths.history_db_for(account.name) for account in accounts]
        inputs = status_memo.Inputs(
            str(paths.config_file), [(str(db), str(state_token_path(db))) for db in histories]
        )
        timeline = cached_timeline(
            status_format(args),
            paths,
            settings,
            accounts,
            config=args.config,
            now=now,
            lang=language_from_environ(os.environ),  # English: no Babel (i18n.py)
            max_entries=status_memo.MAX_OUTPUTS,
        )
    except (ConfigError, CachedStateError):
        return None
    if timeline is None:
        return None  # no saved state: cli.main prints the hint
    print(timeline[0][2])
    inputs.settle()
    if not args.verbose and inputs.files[:1] == config_inputs.files[:1]:
        # The config's stat before it was read, so that an edit while it was read is seen.
        status_memo.remember(argv, os.environ, __version__, inputs=inputs, outputs=timeline)
    return 0


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long, a folder we may not enter
        return False
