"""The `lensmor-tray` command: parse the command line, run the command, and turn every failure
the user can cause into one line on stderr and an exit code (cli/exits.py lists them).

The parser is cli/parser.py's; each command is a `cmd_*` function of cli/commands/. Reached
from entry.py for everything but the happy `status --cached` (cli/fast_status.py).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from tray_app.cli.config_access import user_language
from tray_app.cli.exits import EXIT_OK, EXIT_USAGE, CliError, print_error
from tray_app.cli.parser import build_parser, parse_command_line
from tray_app.config.model import ConfigError
from tray_app.core.language import N_, Message
from tray_app.keys.key_store import KeyStoreFailed

#: The module and function each command name runs (None: no command, which starts the tray
#: app). Imported only when chosen: the tray app, running for days, then does not keep the
#: other commands' code (and what they import: getpass, termios, shlex) in memory (issue 20).
HANDLERS: dict[str | None, tuple[str, str]] = {
    None: ("run", "cmd_run"),
    "run": ("run", "cmd_run"),
    "demo": ("run", "cmd_demo"),
    "settings": ("windows", "cmd_settings"),
    "usage": ("windows", "cmd_usage"),
    "history": ("history", "cmd_history"),
    "autostart": ("autostart", "cmd_autostart"),
    "status": ("status", "cmd_status"),
    "key": ("key", "cmd_key"),
    "paths": ("setup_info", "cmd_paths"),
    "refresh": ("running_app", "cmd_refresh"),
    "doctor": ("setup_info", "cmd_doctor"),
    "account": ("account", "cmd_account"),
    "hooks": ("hooks", "cmd_hooks"),
    "guard": ("guard", "cmd_guard"),
}


def handler_for(command: str | None) -> Callable[[argparse.Namespace], int]:
    """The function that runs `command` (a name the parser accepted)."""
    module, function = HANDLERS[command]
    handler: Callable[[argparse.Namespace], int] = getattr(
        importlib.import_module(f"tray_app.cli.commands.{module}"), function
    )
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(user_language())
    args = parse_command_line(parser, argv)
    handler = handler_for(args.command)
    # A warning logged before (or without) configure_logging, e.g. "the key file is readable
    # by others", reaches the user as one prefixed line (logging's own last resort prints the
    # bare message).
    logging.lastResort = _OneLineLastResort()
    try:
        return handler(args)
    except CliError as exc:
        print_error(exc.text(user_language()))
        return exc.code
    except ConfigError as exc:
        lang = user_language()
        print_error(lang.gettext("config error: {detail}").format(detail=exc.text(lang)))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `lensmor-tray ... | head`: the reader has what it wanted; no second complaint at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        # A full or read-only disk, a file where a folder should be: one line, like a config
        # error. The code that wrote has rolled back its own half (atomic writes, account_files).
        # A KeyStoreFailed (an OSError too) is worded whole by keys/key_store.py.
        from tray_app.support.file_problems import one_line

        lang = user_language()
        print_error(exc.text(lang) if isinstance(exc, KeyStoreFailed) else one_line(exc, lang))
        return EXIT_USAGE


class _OneLineLastResort(logging.Handler):
    """A warning logged without a log file, as one line in the user's language: a `Message`
    logged (`log.warning("%s", message)`, English for the log) is worded here in theirs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        lang = user_language()
        detail = record.getMessage()
        if isinstance(record.args, tuple) and any(isinstance(a, Message) for a in record.args):
            worded = tuple(a.text(lang) if isinstance(a, Message) else a for a in record.args)
            detail = str(record.msg) % worded
        error = record.levelno >= logging.ERROR
        print_error(lang.gettext(_ERROR if error else _WARNING).format(message=detail))


_WARNING, _ERROR = N_("warning: {message}"), N_("error: {message}")
