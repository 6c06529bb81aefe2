"""The full command line of `lensmor-tray`: every command, its options and its help text.

`lensmor-tray --help` and each command's `--help` are printed from here. The parts that the
`status --cached` fast path reads too (the global options, `status`) come from cli/args.py,
which must stay cheap to import; this module is not on that path (it is only imported with
cli/main.py), so the rest of the parser lives here rather than in args.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from tray_app.cli.args import add_account_option, add_global_options, add_status_parser
from tray_app.cli.exits import EXIT_GUARD_USAGE, EXIT_USAGE
from tray_app.cli.guard_args import add_guard_parser
from tray_app.core.hook_names import EVENT_NAMES


class CommandParser(argparse.ArgumentParser):
    """argparse's parser, with the exit code of a usage error chosen per command: 2 for all
    but `guard`, whose scripts tell "bad arguments" (64) from "not enough credits" (1)."""

    usage_exit = EXIT_USAGE

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: The parser of each command whose usage errors have their own exit code.
        self.commands: dict[str, CommandParser] = {}

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit, f"{self.prog}: error: {message}\n")

    def unrecognized(self, command: str | None, extras: list[str]) -> NoReturn:
        """Arguments no parser took: the error of the command's own parser (its exit code)."""
        culprit = self.commands.get(command or "", self)
        culprit.error(f"unrecognized arguments: {' '.join(extras)}")


def parse_command_line(parser: CommandParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """`parser.parse_args(argv)`, except that arguments nobody took are the error of the
    command they were given to (so `guard --bogus` exits 64, `status --bogus` 2)."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        parser.unrecognized(args.command, extras)
    return args


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="lensmor-tray",
        description="Shows your Lensmor API credits in the system tray.",
        epilog="With no command, starts the tray app.",
    )
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    add_status_parser(sub)  # shared with the `status --cached` fast path (entry.py)
    sub.add_parser("refresh", help="ask the running tray app to refresh now")
    doctor = sub.add_parser("doctor", help="check the key, API, tray, notifications and files")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    _add_key_parser(sub)
    sub.add_parser("paths", help="print where the config, data and logs live")
    run = sub.add_parser("run", help="start the tray app (the default)")
    run.add_argument(
        "--autostart", action="store_true", help="started at login: wait for the tray to appear"
    )
    run.add_argument(
        "--demo-without-key",
        action="store_true",
        help="run the demo instead when no API key is configured (what `make run` does)",
    )
    sub.add_parser("demo", help="run the tray app against a simulated account (no key needed)")
    sub.add_parser("settings", help="open the settings window")
    autostart = sub.add_parser("autostart", help="start the tray app at login (or not)")
    autostart.add_argument("action", choices=("enable", "disable", "status"))
    _add_history_parser(sub)
    _add_account_parser(sub)
    usage = sub.add_parser("usage", help="open the Usage window (charts of the history)")
    usage.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)  # the demo's history
    add_account_option(usage, "the history")
    _add_hooks_parser(sub)
    guard = add_guard_parser(sub)
    guard.usage_exit = EXIT_GUARD_USAGE
    parser.commands["guard"] = guard
    return parser


def _add_hooks_parser(sub: argparse._SubParsersAction[CommandParser]) -> None:
    hooks = sub.add_parser("hooks", help="list the [[hooks]] of the config, or test them")
    actions = hooks.add_subparsers(dest="hooks_command", metavar="ACTION", required=True)
    actions.add_parser("list", help="list the hooks: events, account, timeout, command")
    test = actions.add_parser(
        "test",
        help="run the hooks of EVENT with a sample event and print what each returned",
        usage="%(prog)s [-h] EVENT [--account NAME]",
    )
    test.add_argument("event", metavar="EVENT", choices=EVENT_NAMES, help=", ".join(EVENT_NAMES))
    add_account_option(test, "a sample event")


def _add_key_parser(sub: argparse._SubParsersAction[CommandParser]) -> None:
    key = sub.add_parser("key", help="set, show or clear the API key")
    add_account_option(key, "the key")
    key_sub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    for action, text in (
        ("set", "store a key (reads stdin when piped, else prompts)"),
        ("show", "show the key masked, and where it comes from"),
        ("clear", "remove the stored key"),
    ):
        # `key --account W show` and `key show --account W` both work; SUPPRESS keeps the
        # sub-command's default from overwriting a value given before it.
        add_account_option(key_sub.add_parser(action, help=text), "the key", argparse.SUPPRESS)


def _add_history_parser(sub: argparse._SubParsersAction[CommandParser]) -> None:
    history = sub.add_parser(
        "history",
        help="print recent balance changes and daily usage",
        # Written out: argparse's own synopsis wraps onto a second line with --account, and
        # an error is the synopsis plus one line.
        usage="%(prog)s [-h] [--json | --csv | --chart] [--days N] [--account NAME]",
    )
    shape = history.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print one JSON object")
    shape.add_argument(
        "--csv", action="store_true", help="print every recorded change as CSV (all of it)"
    )
    shape.add_argument(
        "--chart", action="store_true", help="draw the balance and daily spending (sparklines)"
    )
    history.add_argument(
        "--days", type=int, default=14, metavar="N", help="days of usage to show (14)"
    )
    add_account_option(history, "the history")


def _add_account_parser(sub: argparse._SubParsersAction[CommandParser]) -> None:
    account = sub.add_parser("account", help="add, list, remove or rename Lensmor accounts")
    actions = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="add an account (reads its key from stdin when piped, else prompts)"
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--base-url", metavar="URL", help="this account's API address")
    actions.add_parser("list", help="list the accounts with their masked keys and last balances")
    remove = actions.add_parser("remove", help="remove an account and forget its key")
    remove.add_argument("name", metavar="NAME")
    rename = actions.add_parser("rename", help="rename an account (keeps its key and history)")
    rename.add_argument("old", metavar="OLD")
    rename.add_argument("new", metavar="NEW")
