"""The command line of `lensmor-tray guard` (the command itself: cli/commands/guard.py).

    guard [--account A] (--min N | --min-percent P) [--max-age 10m] [--fail-open] [--json]
          [-- COMMAND ...]

Apart from the parser module so that the option types (`--max-age 30s|10m|2h`) are tested
on their own; a bad value is an argparse error, which `guard` ends with exit 64.
"""

from __future__ import annotations

import argparse
import math
import re
from typing import TypeVar

_Parser = TypeVar("_Parser", bound=argparse.ArgumentParser)

DEFAULT_MAX_AGE_S = 600.0
_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
#: Far beyond any use: a saved balance a year old is not "fresh".
MAX_AGE_LIMIT_S = 366 * 86400.0


def max_age(text: str) -> float:
    """`--max-age`: 30s, 10m, 2h, 1d (a bare number is seconds)."""
    match = _AGE_RE.match(text)
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)] if match else math.nan
    if not 0 <= seconds <= MAX_AGE_LIMIT_S:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an age; use a number with s, m, h or d, like 30s, 10m or 2h"
        )
    return seconds


def credits_needed(text: str) -> float:
    """`--min`: a number of credits, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 10**15:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of credits, like 5000")
    return value


def percent_needed(text: str) -> float:
    """`--min-percent`: a share of the account's totalAmount, 0 to 100."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        value = math.nan
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage from 0 to 100, like 20")
    return value


def add_guard_parser(sub: argparse._SubParsersAction[_Parser]) -> _Parser:
    guard = sub.add_parser(
        "guard",
        help="exit 0 when an account has enough credits (and run COMMAND), 1 when not",
        usage=(
            "%(prog)s [-h] [--account NAME] (--min N | --min-percent P) [--max-age AGE] "
            "[--fail-open] [--json] [-- COMMAND ...]"
        ),
        description=(
            "Exit codes: 0 enough, 1 below, 3 key missing or rejected, 64 bad arguments, "
            "69 cannot tell (offline, no saved state; 0 with --fail-open). With -- COMMAND: "
            "runs it only when there is enough and exits with its status (126 cannot run it, "
            "127 not found)."
        ),
    )
    guard.add_argument(
        "--account", metavar="NAME", help="the account to check (needed with several)"
    )
    need = guard.add_mutually_exclusive_group(required=True)
    need.add_argument(
        "--min", type=credits_needed, metavar="N", help="at least N credits (totalBalance)"
    )
    need.add_argument(
        "--min-percent",
        type=percent_needed,
        metavar="P",
        help="at least P percent of the account's totalAmount",
    )
    guard.add_argument(
        "--max-age",
        type=max_age,
        default=DEFAULT_MAX_AGE_S,
        metavar="AGE",
        help="use the running app's saved balance when younger than AGE (default 10m), "
        "else ask the API once",
    )
    guard.add_argument(
        "--fail-open",
        action="store_true",
        help="when the balance cannot be known, exit 0 (and run COMMAND) instead of 69",
    )
    guard.add_argument("--json", action="store_true", help="print one JSON object")
    guard.add_argument(
        "command_argv", nargs="*", metavar="COMMAND", help="run this (no shell) when enough"
    )
    return guard
