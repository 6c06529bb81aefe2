"""Bad command lines (issue 6, "Bad input"): a named corpus of bad argument lists run
through the real `lensmor-tray` in a child process (exit 2, one error line, no traceback),
then generated argument lists through `build_parser().parse_args` in-process (a Namespace, or
SystemExit 0/2; nothing else). The generator's COMMANDS list is checked against the parser.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Home, make_home, run_cli
from tests.scenarios.bad_input_rig import REPRODUCIBLE
from tray_app.cli.parser import build_parser, parse_command_line
from tray_app.core.balance import Balance
from tray_app.history.store import HistoryStore

# --- command lines: the named corpus ------------------------------------------------------


@dataclass(frozen=True)
class BadArgs:
    name: str
    args: tuple[str, ...]
    #: Words the error line must contain.
    words: str
    code: int = 2


ARGS: tuple[BadArgs, ...] = (
    BadArgs("unknown_command", ("frobnicate",), "invalid choice"),
    BadArgs("empty_command", ("",), "invalid choice"),
    BadArgs("upper_case_command", ("STATUS",), "invalid choice"),
    BadArgs("non_utf8_command", ("\udcff",), "invalid choice"),
    BadArgs("unknown_option", ("status", "--bogus"), "unrecognized arguments"),
    BadArgs("extra_positional", ("status", "now"), "unrecognized arguments"),
    BadArgs("config_without_a_value", ("--config",), "expected one argument"),
    BadArgs("verbose_with_a_value", ("--verbose=yes",), "ignored explicit argument"),
    BadArgs("json_with_a_value", ("status", "--json=1"), "ignored explicit argument"),
    BadArgs("ambiguous_abbreviation", ("--ver",), "ambiguous option"),
    BadArgs("key_without_an_action", ("key",), "required"),
    BadArgs("key_unknown_action", ("key", "rotate"), "invalid choice"),
    BadArgs("key_set_with_the_key_as_an_argument", ("key", "set", "uak_x"), "unrecognized"),
    BadArgs("autostart_without_an_action", ("autostart",), "required"),
    BadArgs("autostart_unknown_action", ("autostart", "maybe"), "invalid choice"),
    BadArgs("days_not_a_number", ("history", "--days", "abc"), "invalid int value"),
    BadArgs("days_a_fraction", ("history", "--days", "1.5"), "invalid int value"),
    BadArgs("days_zero", ("history", "--days", "0"), "--days must be from 1 to 3660"),
    BadArgs("days_negative", ("history", "--days", "-5"), "--days must be from 1 to 3660"),
    BadArgs("days_without_a_value", ("history", "--days"), "expected one argument"),
    BadArgs("days_of_5000_digits", ("history", "--days", "9" * 5000), "invalid int value"),
    BadArgs("config_file_missing", ("--config", "/nonexistent/c.toml", "status"), "not exist"),
    BadArgs("config_is_a_directory", ("--config", ".", "status"), "cannot read config"),
    BadArgs("config_empty_path", ("--config", "", "status"), "cannot read config"),
    BadArgs(
        "config_name_too_long",
        ("--config", "c" * 5000, "status"),
        "config",
    ),
    BadArgs("hooks_without_an_action", ("hooks",), "required"),
    BadArgs("hooks_test_unknown_event", ("hooks", "test", "sunny"), "invalid choice"),
    BadArgs("guard_without_a_minimum", ("guard",), "is required", 64),
    BadArgs("guard_two_minimums", ("guard", "--min", "1", "--min-percent", "1"), "not allowed", 64),
    BadArgs("guard_minimum_not_a_number", ("guard", "--min", "x"), "number of credits", 64),
    BadArgs(
        "guard_age_without_a_unit_it_knows", ("guard", "--min", "1", "--max-age", "3w"), "age", 64
    ),
    BadArgs("guard_unknown_option", ("guard", "--min", "1", "--bogus"), "unrecognized", 64),
    BadArgs(
        "days_beyond_the_calendar",
        ("history", "--days", "10000000"),
        "--days",
    ),
)


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """One HOME for the whole corpus (nothing here writes to it), with a history to read."""
    home = make_home(tmp_path_factory.mktemp("cli") / "home")
    home.data_dir.mkdir(parents=True)
    balance = Balance(1000, 500, 1000, 500, 0, 0, None)
    with HistoryStore.open(home.data_dir / "history.sqlite3") as store:
        store.record_balance(time.time() - 3600, balance)
    return home


@pytest.mark.parametrize("bad", [pytest.param(a, id=a.name) for a in ARGS])
def test_bad_arguments_exit_2_with_one_error_line_and_no_traceback(
    cli_home: Home, bad: BadArgs
) -> None:
    result = run_cli(cli_home, *bad.args, timeout=30)
    assert "Traceback" not in result.err, result.err[-2000:]
    assert result.code == bad.code, result.err
    assert result.out == ""
    lines = [line for line in result.err.splitlines() if line.strip()]
    # argparse puts its one-line usage synopsis before the error line; nothing else may come.
    assert 1 <= len(lines) <= 2, result.err
    if len(lines) == 2:
        assert lines[0].startswith("usage: lensmor-tray")
    assert lines[-1].startswith("lensmor-tray")
    assert bad.words in lines[-1]


def test_the_args_corpus_is_named_and_large_enough() -> None:
    names = [a.name for a in ARGS]
    assert len(names) >= 20
    assert len(set(names)) == len(names)


# --- command lines: generated argument lists ----------------------------------------------

#: Every command `--help` lists (a command added to the CLI must be added here too: the test
#: generates free text as well, which found "refresh" missing here).
COMMANDS = {
    None, "status", "refresh", "doctor", "key", "paths", "run", "demo", "settings", "autostart",
    "history", "account", "usage", "hooks", "guard",
}  # fmt: skip
tokens = st.one_of(
    st.sampled_from(
        ["status", "key", "set", "show", "clear", "paths", "run", "demo", "settings",
         "autostart", "enable", "disable", "history", "--json", "--days", "--config", "-v",
         "--verbose", "--autostart", "--demo-without-key", "-h", "--help", "--version", "--",
         "-", "--v", "--con", "-5", "0", "1e3", "=", "--days=", "--config=", "-vv", "refresh",
         "doctor", "account", "add", "list", "remove", "rename", "usage", "--account", "-Ops",
         "--account=-Ops", "--base-url", "--cached", "--format", "waybar", "hooks", "test",
         "low", "guard", "--min", "--min-percent", "--max-age", "10m", "--fail-open"]
    ),
    st.text(max_size=12),
)  # fmt: skip


@contextlib.contextmanager
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def test_the_generated_argument_lists_know_every_command() -> None:
    [commands] = [
        action.choices
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    ]
    assert set(commands) == COMMANDS - {None}


def test_generated_argument_lists_parse_or_exit_0_or_2_or_64_for_guard() -> None:
    @settings(REPRODUCIBLE, max_examples=1000)
    @given(argv=st.lists(tokens, max_size=6))
    def check(argv: list[str]) -> None:
        parser = build_parser()
        code: int | str | None = None
        with captured() as (out, err):
            try:
                args = parse_command_line(parser, argv)
            except SystemExit as exc:
                code = exc.code
        if code is not None:
            assert code in ((0, 2, 64) if "guard" in argv else (0, 2)), code
            if code in (2, 64):
                assert "error:" in err.getvalue()
            else:
                assert out.getvalue()  # help or version text
            return
        assert "Traceback" not in err.getvalue()
        assert args.command in COMMANDS
        assert args.config is None or isinstance(args.config, os.PathLike)
        if args.command == "history":
            assert isinstance(args.days, int)
        if args.command == "autostart":
            assert args.action in ("enable", "disable", "status")
        if args.command == "key":
            assert args.key_command in ("set", "show", "clear")
        if args.command == "guard":
            assert (args.min is None) != (args.min_percent is None)

    check()
