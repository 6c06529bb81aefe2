"""The full command line of `lensmor-tray`: every command, its options and its help text.

`lensmor-tray --help` and each command's `--help` are printed from here. The parts that the
`status --cached` fast path reads too (the global options, `status`) come from cli/args.py,
which must stay cheap to import; this module is not on that path (it is only imported with
cli/main.py), so the rest of the parser lives here rather than in args.py.

Every help text is in the user's language, and so are argparse's own words ("usage:",
"options:", its error lines): the parsers are `TranslatedParser`s (cli/argparse_language.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from tray_app.cli.argparse_language import TranslatedParser, speaking
from tray_app.cli.args import add_account_option, add_global_options, add_status_parser
from tray_app.cli.exits import EXIT_GUARD_USAGE, EXIT_USAGE
from tray_app.cli.guard_args import add_guard_parser
from tray_app.core.hook_names import EVENT_NAMES
from tray_app.core.language import ENGLISH, Language

if TYPE_CHECKING:
    _Sub = argparse._SubParsersAction[argparse.ArgumentParser]


class CommandParser(TranslatedParser):
    """argparse's parser in the user's language, with the exit code of a usage error chosen
    per command: 2 for all but `guard`, whose scripts tell "bad arguments" (64) from "not
    enough credits" (1). Its sub-commands' parsers are CommandParsers too."""

    usage_exit = EXIT_USAGE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The parser of each command whose usage errors have their own exit code.
        self.commands: dict[str, CommandParser] = {}

    def error(self, message: str) -> NoReturn:
        # argparse's own error(), but with this command's exit code; its words translated.
        with speaking(self.words):
            self.print_usage(sys.stderr)
            line = self.argparse_text("%(prog)s: error: %(message)s\n")
            self.exit(self.usage_exit, line % {"prog": self.prog, "message": message})

    def unrecognized(self, command: str | None, extras: list[str]) -> NoReturn:
        """Arguments no parser took: the error of the command's own parser (its exit code)."""
        culprit = self.commands.get(command or "", self)
        culprit.error(self.argparse_text("unrecognized arguments: %s") % " ".join(extras))


def parse_command_line(parser: CommandParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """`parser.parse_args(argv)`, except that arguments nobody took are the error of the
    command they were given to (so `guard --bogus` exits 64, `status --bogus` 2)."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        parser.unrecognized(args.command, extras)
    return args


def build_parser(lang: Language = ENGLISH) -> CommandParser:
    """The whole command line, its help and argparse's own words in `lang`."""
    _ = lang.gettext
    parser = CommandParser(
        prog="lensmor-tray",
        description=_("Shows your Lensmor API credits in the system tray."),
        epilog=_("With no command, starts the tray app."),
        lang=lang,
    )
    add_global_options(parser, lang)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_status_parser(sub, lang=lang)  # shared with the `status --cached` fast path (entry.py)
    sub.add_parser("refresh", help=_("ask the running tray app to refresh now"))
    doctor = sub.add_parser("doctor", help=_("check the key, API, tray, notifications and files"))
    doctor.add_argument("--json", action="store_true", help=_("print one JSON object"))
    _add_key_parser(sub, lang)
    sub.add_parser("paths", help=_("print where the config, data and logs live"))
    run = sub.add_parser("run", help=_("start the tray app (the default)"))
    run.add_argument(
        "--autostart", action="store_true", help=_("started at login: wait for the tray to appear")
    )
    run.add_argument(
        "--demo-without-key",
        action="store_true",
        help=_("run the demo instead when no API key is configured (what `make run` does)"),
    )
    sub.add_parser("demo", help=_("run the tray app against a simulated account (no key needed)"))
    sub.add_parser("settings", help=_("open the settings window"))
    autostart = sub.add_parser("autostart", help=_("start the tray app at login (or not)"))
    autostart.add_argument(
        "action", choices=("enable", "disable", "status"), help=_("enable, disable or status")
    )
    _add_history_parser(sub, lang)
    _add_account_parser(sub, lang)
    usage = sub.add_parser("usage", help=_("open the Usage window (charts of the history)"))
    usage.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)  # the demo's history
    add_account_option(usage, _history_of_account(lang))
    _add_hooks_parser(sub, lang)
    guard = add_guard_parser(sub, lang)
    guard.usage_exit = EXIT_GUARD_USAGE
    parser.commands["guard"] = guard
    return parser


def _add_hooks_parser(sub: _Sub, lang: Language) -> None:
    _ = lang.gettext
    hooks = sub.add_parser("hooks", help=_("list the [[hooks]] of the config, or test them"))
    actions = hooks.add_subparsers(dest="hooks_command", metavar="ACTION", required=True)
    actions.add_parser("list", help=_("list the hooks: events, account, timeout, command"))
    test = actions.add_parser(
        "test",
        help=_("run the hooks of EVENT with a sample event and print what each returned"),
        usage="%(prog)s [-h] EVENT [--account NAME]",
    )
    test.add_argument("event", metavar="EVENT", choices=EVENT_NAMES, help=", ".join(EVENT_NAMES))
    add_account_option(test, _("a sample event of this account (see `lensmor-tray account list`)"))


def _history_of_account(lang: Language) -> str:
    return lang.gettext("the history of this account (see `lensmor-tray account list`)")


def _add_key_parser(sub: _Sub, lang: Language) -> None:
    _ = lang.gettext
    key = sub.add_parser("key", help=_("set, show or clear the API key"))
    key_of_account = _("the key of this account (see `lensmor-tray account list`)")
    add_account_option(key, key_of_account)
    key_sub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    for action, text in (
        ("set", _("store a key (reads stdin when piped, else prompts)")),
        ("show", _("show the key masked, and where it comes from")),
        ("clear", _("remove the stored key")),
    ):
        # `key --account W show` and `key show --account W` both work; SUPPRESS keeps the
        # sub-command's default from overwriting a value given before it.
        add_account_option(key_sub.add_parser(action, help=text), key_of_account, argparse.SUPPRESS)


def _add_history_parser(sub: _Sub, lang: Language) -> None:
    _ = lang.gettext
    history = sub.add_parser(
        "history",
        help=_("print recent balance changes and daily usage"),
        # Written out: argparse's own synopsis wraps onto a second line with --account, and
        # an error is the synopsis plus one line.
        usage="%(prog)s [-h] [--json | --csv | --chart] [--days N] [--account NAME]",
    )
    shape = history.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help=_("print one JSON object"))
    shape.add_argument(
        "--csv", action="store_true", help=_("print every recorded change as CSV (all of it)")
    )
    shape.add_argument(
        "--chart", action="store_true", help=_("draw the balance and daily spending (sparklines)")
    )
    history.add_argument(
        "--days", type=int, default=14, metavar="N", help=_("days of usage to show (14)")
    )
    add_account_option(history, _history_of_account(lang))


def _add_account_parser(sub: _Sub, lang: Language) -> None:
    _ = lang.gettext
    account = sub.add_parser("account", help=_("add, list, remove or rename Lensmor accounts"))
    actions = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help=_("add an account (reads its key from stdin when piped, else prompts)")
    )
    add.add_argument("name", metavar="NAME", help=_("the new account's name"))
    add.add_argument("--base-url", metavar="URL", help=_("this account's API address"))
    actions.add_parser("list", help=_("list the accounts with their masked keys and last balances"))
    remove = actions.add_parser("remove", help=_("remove an account and forget its key"))
    remove.add_argument("name", metavar="NAME", help=_("the account to remove"))
    rename = actions.add_parser("rename", help=_("rename an account (keeps its key and history)"))
    rename.add_argument("old", metavar="OLD", help=_("the account's name now"))
    rename.add_argument("new", metavar="NEW", help=_("its new name"))
