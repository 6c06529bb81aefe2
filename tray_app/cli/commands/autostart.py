"""`lensmor-tray autostart enable|disable|status`: start the tray app at login, or not.

The exit code answers the question: 0 when it is enabled (or was disabled as asked), 1 when it
is not enabled, 4 when enabling did not work. The desktop-specific work is tray_app.autostart's,
imported when the command runs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tray_app.cli.config_access import user_language
from tray_app.cli.exits import EXIT_NO, EXIT_OK, EXIT_UNAVAILABLE


def cmd_autostart(args: argparse.Namespace) -> int:
    from tray_app.autostart import autostart_for, resolve_launch_command

    autostart = autostart_for(
        environ=os.environ, home=Path.home(), launcher=resolve_launch_command()
    )
    if args.action == "enable":
        status = autostart.enable()
    elif args.action == "disable":
        status = autostart.disable()
    else:
        status = autostart.status()
    _ = user_language().gettext
    if status.enabled:
        print(_("start at login: enabled ({location})").format(location=status.location))
    else:
        print(_("start at login: not enabled ({location})").format(location=status.location))
    if status.detail:
        print(status.detail)
    if args.action == "enable" and not status.enabled:
        return EXIT_UNAVAILABLE
    return EXIT_OK if status.enabled or args.action == "disable" else EXIT_NO
