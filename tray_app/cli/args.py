"""The parts of the command line that the full CLI and the `status --cached` fast path share.

`cli.parser.build_parser` builds every command from these; `entry.parse_fast_path` builds a
parser with only these, so that both read `status --cached …` the same way (the same options,
the same abbreviations, the same choices) from one definition. Importing this module costs argparse
alone: no settings, no keyring, no HTTP client.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tray_app import __version__
from tray_app.core.language import ENGLISH, Language

if TYPE_CHECKING:
    from tray_app.config.model import AccountConfig, Settings

_Parser = TypeVar("_Parser", bound=argparse.ArgumentParser)

STATUS_FORMATS = ("text", "json", "waybar", "i3blocks", "polybar", "xbar", "prometheus")


def add_global_options(parser: argparse.ArgumentParser, lang: Language = ENGLISH) -> None:
    """The options that come before the command: --version, --config, -v. The help texts are
    in `lang` (the fast path, which never prints them, leaves them English)."""
    _ = lang.gettext
    parser.add_argument(
        "--version",
        action="version",
        version=f"lensmor-tray {__version__}",
        # argparse's own default is not marked for translation (Python 3.11).
        help=_("show program's version number and exit"),
    )
    parser.add_argument(
        "--config", metavar="PATH", type=Path, help=_("use this config file instead of the default")
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=_("also log to stderr"))


def add_status_parser(
    sub: argparse._SubParsersAction[_Parser], *, add_help: bool = True, lang: Language = ENGLISH
) -> _Parser:
    """`status [--json] [--format F] [--cached] [--account NAME]`."""
    _ = lang.gettext
    status = sub.add_parser(
        "status",
        help=_("fetch and print the balance once"),
        # One line: argparse wraps its own, and an error must stay one line plus its usage.
        usage="%(prog)s [-h] [--json] [--format F] [--cached] [--account NAME]",
        add_help=add_help,
    )
    status.add_argument("--json", action="store_true", help=_("print one JSON object"))
    status.add_argument(
        "--format",
        choices=STATUS_FORMATS,
        metavar="FORMAT",
        help=_("text (default), json, waybar, i3blocks, polybar, xbar or prometheus"),
    )
    status.add_argument(
        "--cached",
        action="store_true",
        help=_("print what the running app last fetched: no request, no key needed"),
    )
    add_account_option(
        status, _("only the balance of this account (see `lensmor-tray account list`)")
    )
    return status


def add_account_option(
    parser: argparse.ArgumentParser, help_text: str, default: object = None
) -> None:
    """--account NAME, with `help_text` (a whole sentence, in the user's language)."""
    parser.add_argument("--account", metavar="NAME", default=default, help=help_text)


def status_format(args: argparse.Namespace) -> str:
    """The output format `status` was asked for: --json is short for --format json."""
    return "json" if args.json else (args.format or "text")


def selected_accounts(args: argparse.Namespace, settings: Settings) -> tuple[AccountConfig, ...]:
    """The accounts a command acts on: the one named by --account, else all of them."""
    name = getattr(args, "account", None)
    if name is None:
        return settings.accounts
    return (settings.account(name),)  # ConfigError naming the accounts if there is none
