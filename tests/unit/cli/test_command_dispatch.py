"""Each command's code is imported when it is chosen (cli/main.py's HANDLERS, issue 20)."""

from __future__ import annotations

import argparse

from tray_app.cli.main import HANDLERS, handler_for
from tray_app.cli.parser import build_parser


def test_every_command_the_parser_knows_has_a_handler_and_no_other() -> None:
    parser = build_parser()
    commands = next(
        action.choices
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert set(HANDLERS) == {None, *commands}
    for name in HANDLERS:
        handler = handler_for(name)
        assert callable(handler), name
        assert handler.__name__.startswith("cmd_"), name


def test_no_command_means_run() -> None:
    assert handler_for(None) is handler_for("run")
