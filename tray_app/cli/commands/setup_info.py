"""`lensmor-tray paths` and `lensmor-tray doctor`: where the config, key file, data and logs
live, and whether the key, the API, the tray, notifications and those files work.

Both only look; neither changes anything. The doctor's checks are cli/doctor/'s, imported when
the command runs.
"""

from __future__ import annotations

import argparse

from tray_app.cli.config_access import app_paths, user_language
from tray_app.cli.exits import EXIT_OK
from tray_app.core import fmt


def cmd_paths(args: argparse.Namespace) -> int:
    paths = app_paths(args)
    _ = user_language().gettext
    rows = [
        (_("config:"), str(paths.config_file)),
        (
            _("key file:"),
            _("{path} (used only without an OS keyring)").format(path=paths.key_file),
        ),
        (_("data:"), str(paths.data_dir)),
        (_("logs:"), str(paths.log_file)),
    ]
    width = max(fmt.display_width(label) for label, _value in rows)
    for label, value in rows:
        print(f"{label}{' ' * (width - fmt.display_width(label))} {value}")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from tray_app.cli.doctor.main import run_doctor

    return run_doctor(args.config, json_output=args.json, lang=user_language())
