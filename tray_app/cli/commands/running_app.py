"""Talking to the tray app that is already running: `lensmor-tray refresh`, and the reload a
command asks for after it changed the config or a key (`key`, `account`).

Both go through support/instance.py (the lock file names the app's pid; a signal asks it),
imported when used: most commands never talk to the app.
"""

from __future__ import annotations

import argparse

from tray_app.cli.config_access import app_paths, user_language
from tray_app.cli.exits import EXIT_NO, EXIT_OK, CliError
from tray_app.config.paths import AppPaths
from tray_app.core.language import N_


def cmd_refresh(args: argparse.Namespace) -> int:
    from tray_app.support.instance import ask_to_refresh, running_pid

    pid = running_pid(app_paths(args).lock_file)
    if pid is None or not ask_to_refresh(pid):
        raise CliError(N_("the tray app is not running; start it with `lensmor-tray`"), EXIT_NO)
    print(user_language().gettext("asked the running app (pid {pid}) to refresh").format(pid=pid))
    return EXIT_OK


def tell_the_running_app(paths: AppPaths, code: int) -> int:
    """After a command changed the config or a key (`code` 0): the running tray app reloads
    them now, not at its next start, and the user is told so in one line."""
    from tray_app.support.instance import ask_to_reload

    pid = ask_to_reload(paths.lock_file) if code == EXIT_OK else None
    if pid is not None:
        message = user_language().gettext(
            "asked the running app (pid {pid}) to reload the config and keys"
        )
        print(message.format(pid=pid))
    return code
