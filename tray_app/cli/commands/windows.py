"""`lensmor-tray settings` and `lensmor-tray usage`: open one of the app's Tk windows on its
own, without the tray app.

The windows (and Tk) are imported only when one of these commands runs.
"""

from __future__ import annotations

import argparse
import os

from tray_app.cli.config_access import app_paths, load_config
from tray_app.config.model import DEFAULT_ACCOUNT
from tray_app.config.paths import AppPaths


def cmd_settings(args: argparse.Namespace) -> int:
    from tray_app.windows.settings_dialog import run_dialog

    return run_dialog(app_paths(args), dict(os.environ))


def cmd_usage(args: argparse.Namespace) -> int:
    from tray_app.windows.usage_window import run_window

    paths = app_paths(args)
    account = DEFAULT_ACCOUNT
    if args.account is not None or paths.config_file.exists():
        account = args.account or load_config(args)[1].accounts[0].name
    if args.data_dir is not None:
        paths = AppPaths(paths.config_file, args.data_dir, paths.log_dir)
    return run_window(paths, dict(os.environ), account)
