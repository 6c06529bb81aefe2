"""The command line of `lensmor-tray guard` (the command itself: cli/commands/guard.py).

    guard [--account A] (--min N | --min-percent P) [--max-age 10m] [--fail-open] [--json]
          [-- COMMAND ...]

Apart from the parser module so that the option types (`--max-age 30s|10m|2h`) are tested
on their own; a bad value is an argparse error, which `guard` ends with exit 64.
"""

from __future__ import annotations

import argparse
import functools
import math
import re
from collections.abc import Callable
from typing import TypeVar

from tray_app.core.language import ENGLISH, Language

_Parser = TypeVar("_Parser", bound=argparse.ArgumentParser)

DEFAULT_MAX_AGE_S = 600.0
_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
#: Far beyond any use: a saved balance a year old is not "fresh".
MAX_AGE_LIMIT_S = 366 * 86400.0


def max_age(text: str, lang: Language = ENGLISH) -> float:
    """`--max-age`: 30s, 10m, 2h, 1d (a bare number is seconds)."""
    match = _AGE_RE.match(text)
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)] if match else math.nan
    if not 0 <= seconds <= MAX_AGE_LIMIT_S:
        raise argparse.ArgumentTypeError(
            lang.gettext(
                "{value} is not an age; use a number with s, m, h or d, like 30s, 10m or 2h"
            ).format(value=repr(text))
        )
    return seconds


def credits_needed(text: str, lang: Language = ENGLISH) -> float:
    """`--min`: a number of credits, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 10**15:
        raise argparse.ArgumentTypeError(
            lang.gettext("{value} is not a number of credits, like 5000").format(value=repr(text))
        )
    return value


def percent_needed(text: str, lang: Language = ENGLISH) -> float:
    """`--min-percent`: a share of the account's totalAmount, 0 to 100."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        value = math.nan
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(
            lang.gettext("{value} is not a percentage from 0 to 100, like 20").format(
                value=repr(text)
            )
        )
    return value


def add_guard_parser(sub: argparse._SubParsersAction[_Parser], lang: Language = ENGLISH) -> _Parser:
    """`guard`, its help in `lang` and its option types' errors too."""
    _ = lang.gettext
    guard = sub.add_parser(
        "guard",
        help=_("exit 0 when an account has enough credits (and run COMMAND), 1 when not"),
        usage=(
            "%(prog)s [-h] [--account NAME] (--min N | --min-percent P) [--max-age AGE] "
            "[--fail-open] [--json] [-- COMMAND ...]"
        ),
        description=_(
            "Exit codes: 0 enough, 1 below, 3 key missing or rejected, 64 bad arguments, "
            "69 cannot tell (offline, no saved state; 0 with --fail-open). With -- COMMAND: "
            "runs it only when there is enough and exits with its status (126 cannot run it, "
            "127 not found)."
        ),
    )
    guard.add_argument(
        "--account", metavar="NAME", help=_("the account to check (needed with several)")
    )
    need = guard.add_mutually_exclusive_group(required=True)
    need.add_argument(
        "--min",
        type=_typed(credits_needed, lang),
        metavar="N",
        help=_("at least N credits (totalBalance)"),
    )
    need.add_argument(
        "--min-percent",
        type=_typed(percent_needed, lang),
        metavar="P",
        help=_("at least P percent of the account's totalAmount"),
    )
    guard.add_argument(
        "--max-age",
        type=_typed(max_age, lang),
        default=DEFAULT_MAX_AGE_S,
        metavar="AGE",
        help=_(
            "use the running app's saved balance when younger than AGE (default 10m), "
            "else ask the API once"
        ),
    )
    guard.add_argument(
        "--fail-open",
        action="store_true",
        help=_("when the balance cannot be known, exit 0 (and run COMMAND) instead of 69"),
    )
    guard.add_argument("--json", action="store_true", help=_("print one JSON object"))
    guard.add_argument(
        "command_argv", nargs="*", metavar="COMMAND", help=_("run this (no shell) when enough")
    )
    return guard


def _typed(parse: Callable[[str, Language], float], lang: Language) -> Callable[[str], float]:
    """An option type that words its errors in `lang` (argparse names a bad value by the
    type's __name__ only for a ValueError; ours raise ArgumentTypeError with the words)."""

    def typed(text: str) -> float:
        return parse(text, lang)

    return functools.update_wrapper(typed, parse)
