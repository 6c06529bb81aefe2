"""The `lensmor-tray` command: parse the command line, run the command, and turn every failure
the user can cause into one line on stderr and an exit code (cli/exits.py lists them).

The parser is cli/parser.py's; each command is a `cmd_*` function of cli/commands/. Reached
from entry.py for everything but the happy `status --cached` (cli/fast_status.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from tray_app.cli.commands.account import cmd_account
from tray_app.cli.commands.autostart import cmd_autostart
from tray_app.cli.commands.guard import cmd_guard
from tray_app.cli.commands.history import cmd_history
from tray_app.cli.commands.hooks import cmd_hooks
from tray_app.cli.commands.key import cmd_key
from tray_app.cli.commands.run import cmd_demo, cmd_run
from tray_app.cli.commands.running_app import cmd_refresh
from tray_app.cli.commands.setup_info import cmd_doctor, cmd_paths
from tray_app.cli.commands.status import cmd_status
from tray_app.cli.commands.windows import cmd_settings, cmd_usage
from tray_app.cli.config_access import user_language
from tray_app.cli.exits import EXIT_OK, EXIT_USAGE, CliError, print_error
from tray_app.cli.parser import build_parser, parse_command_line
from tray_app.config.model import ConfigError
from tray_app.core.language import N_, Message
from tray_app.keys.key_store import KeyStoreFailed


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(user_language())
    args = parse_command_line(parser, argv)
    # The command each name runs (None: no command, which starts the tray app).
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        None: cmd_run,
        "run": cmd_run,
        "demo": cmd_demo,
        "settings": cmd_settings,
        "usage": cmd_usage,
        "history": cmd_history,
        "autostart": cmd_autostart,
        "status": cmd_status,
        "key": cmd_key,
        "paths": cmd_paths,
        "refresh": cmd_refresh,
        "doctor": cmd_doctor,
        "account": cmd_account,
        "hooks": cmd_hooks,
        "guard": cmd_guard,
    }
    handler = handlers[args.command]
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
