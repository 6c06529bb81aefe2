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
from pathlib import Path

from tray_app.cli.args import selected_accounts, status_format
from tray_app.cli.cached_state import CachedStateError
from tray_app.cli.status_feed import cached_output
from tray_app.config.loading import read_settings
from tray_app.config.model import ConfigError
from tray_app.config.paths import AppPaths
from tray_app.support.i18n import language_from_environ


def print_cached_status(args: argparse.Namespace) -> int | None:
    """Print `status --cached` for `args` and return its exit code (0); None when the full CLI
    must answer instead (nothing was printed)."""
    if args.config is not None and not _exists(args.config):
        return None  # cli.config_access.load_config words it
    paths = AppPaths.default(args.config)
    try:
        settings, warnings = read_settings(paths.config_file)
        if warnings:
            return None  # cli.main logs them in its one-line form
        accounts = selected_accounts(args, settings)
        output = cached_output(
            status_format(args),
            paths,
            settings,
            accounts,
            config=args.config,
            now=time.time(),
            lang=language_from_environ(os.environ),  # English: no Babel (i18n.py)
        )
    except (ConfigError, CachedStateError):
        return None
    if output is None:
        return None  # no saved state: cli.main prints the hint
    print(output)
    return 0


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long, a folder we may not enter
        return False
