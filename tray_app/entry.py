"""The `lensmor-tray` command (and `python -m tray_app`): `status --cached` fast, the rest in cli.

Importing the full CLI (settings, keyring, the account commands, the API's error mapping…)
takes longer than the 100 ms that issue 13 allows `status --cached`, which a status bar runs
every few seconds. So the command line is read here first, by a parser built from the same
definitions as the full one (`cli/args.py`): the same options, abbreviations and choices. When it
is `status --cached` the fast path (`cli/fast_status.py`) answers. Everything else goes to
`cli.main` with the command line untouched: other commands, `-h`, anything this parser
rejects, and every case the fast path declines (errors, warnings, no saved state), so each
message the user can see is written by the CLI alone.

Before even that parser, a command line with `--cached` in it is looked up in the memo of
what the fast path last printed for it (cli/status_memo.py): a status bar's next run, with
nothing changed since, prints it after reading one file. So this module imports nothing at
load time beyond sys; argparse comes with the parser.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: importing typing costs the memo's reader a few ms
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence


class _NotFastPath(Exception):
    """The command line is not one the fast path serves."""


def parse_fast_path(argv: Sequence[str]) -> argparse.Namespace | None:
    """`argv` read as `[global options] status --cached …`; None when it is anything else."""
    import argparse
    from typing import NoReturn

    from tray_app.cli.args import add_global_options, add_status_parser

    class _FastPathParser(argparse.ArgumentParser):
        """Raises instead of printing a usage error and exiting: cli.main reports it."""

        def error(self, message: str) -> NoReturn:
            raise _NotFastPath(message)

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
    if "status" in arguments:
        remembered = _print_remembered(arguments)
        if remembered is not None:
            return remembered
    args = parse_fast_path(arguments)
    if args is not None:
        from tray_app.cli.fast_status import print_cached_status

        try:
            code = print_cached_status(args, arguments)
        except KeyboardInterrupt:
            return 130  # as cli.main
        if code is not None:
            return code
    from tray_app.cli.main import main as full_main

    return full_main(argv)


def _print_remembered(arguments: list[str]) -> int | None:
    """Print the memo's answer to `arguments` (cli/status_memo.py) and return the exit code;
    None when there is none (only a `status --cached` that was answered before has one)."""
    import os
    import time

    from tray_app import __version__
    from tray_app.cli.status_memo import answer

    try:
        output = answer(arguments, os.environ, time.time(), __version__)
    except KeyboardInterrupt:
        return 130  # as cli.main
    if output is None:
        return None
    print(output)
    return 0
