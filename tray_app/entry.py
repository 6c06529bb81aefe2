"""The `lensmor-tray` command (and `python -m tray_app`): `status --cached` fast, the rest in cli.

Importing the full CLI (settings, keyring, the account commands, the API's error mapping…)
takes longer than the 100 ms that issue 13 allows `status --cached`, which a status bar runs
every few seconds. So the command line is read here first, by a parser built from the same
definitions as the full one (`cli/args.py`): the same options, abbreviations and choices. When it
is `status --cached` the fast path (`cli/fast_status.py`) answers. Everything else goes to
`cli.main` with the command line untouched: other commands, `-h`, anything this parser
rejects, and every case the fast path declines (errors, warnings, no saved state), so each
message the user can see is written by the CLI alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from tray_app.cli.args import add_global_options, add_status_parser


class _NotFastPath(Exception):
    """The command line is not one the fast path serves."""


class _FastPathParser(argparse.ArgumentParser):
    """Raises instead of printing a usage error and exiting: cli.main reports it."""

    def error(self, message: str) -> NoReturn:
        raise _NotFastPath(message)


def parse_fast_path(argv: Sequence[str]) -> argparse.Namespace | None:
    """`argv` read as `[global options] status --cached …`; None when it is anything else."""
    # No -h here (add_help=False): help is the full parser's, with every command in it.
    parser = _FastPathParser(prog="lensmor-tray", add_help=False)
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_status_parser(sub, add_help=False)
    try:
        args = parser.parse_args(argv)
    except _NotFastPath:
        return None
    if args.command != "status" or not args.cached:
        return None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = parse_fast_path(arguments)
    if args is not None:
        from tray_app.cli.fast_status import print_cached_status

        try:
            code = print_cached_status(args)
        except KeyboardInterrupt:
            return 130  # as cli.main
        if code is not None:
            return code
    from tray_app.cli.main import main as full_main

    return full_main(argv)
