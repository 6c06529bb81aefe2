"""`lensmor-tray run` (and no command at all) and `lensmor-tray demo`: start the tray app, on
the user's accounts or on a simulated Lensmor API.

The app, the demo server and their libraries (pystray, Tk, APScheduler…) are imported only
when one of these commands runs. Both end with a bounded exit (`_bounded_exit`): a thread that
never finishes must not keep a logging-out desktop waiting.
"""

from __future__ import annotations

import argparse

from tray_app.cli.config_access import (
    app_paths,
    key_store,
    load_config,
    pacing_profile,
    user_language,
)
from tray_app.support.log_setup import configure_logging


def cmd_run(args: argparse.Namespace) -> int:
    from tray_app.app.options import AppOptions
    from tray_app.app.tray_app import TrayApp

    paths, _settings = load_config(args)  # a broken config stops here with exit 2
    if getattr(args, "demo_without_key", False) and not any(
        key_store(paths, account.name).load() for account in _settings.accounts
    ):
        print(
            user_language().gettext(
                "No API key is configured: starting the demo (see README: 'Give it your key')."
            )
        )
        return cmd_demo(args)  # which sets up logging itself (once: handlers would double)
    configure_logging(args.verbose, paths.log_file)
    options = AppOptions(
        paths=paths, autostart=getattr(args, "autostart", False), pacing=pacing_profile()
    )
    code = TrayApp(options).run()
    _bounded_exit()
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from tray_app.app.options import demo_options
    from tray_app.app.tray_app import TrayApp
    from tray_app.demo.demo_accounts import DEMO_ACCOUNTS, demo_runners, simulated_demo_accounts
    from tray_app.demo.server import SimulatedLensmorServer

    paths = app_paths(args)
    configure_logging(args.verbose, paths.log_file)
    # Two simulated accounts with their own keys and stories (issue 12): Work and Personal.
    with SimulatedLensmorServer(accounts=simulated_demo_accounts()) as server:
        runners = demo_runners(server.accounts)
        for runner in runners:
            runner.start()
        names = " and ".join(demo.name for demo in DEMO_ACCOUNTS)
        print(
            f"demo: simulated Lensmor API at {server.url} with the accounts {names}; "
            "a full cycle takes about 2 minutes"
        )
        keys = {demo.name: demo.key for demo in DEMO_ACCOUNTS}
        try:
            code = TrayApp(demo_options(paths, server.url, keys)).run()
        finally:
            for runner in runners:
                runner.stop()
    _bounded_exit()
    return code


def _bounded_exit(seconds: float = 10) -> None:
    """The app has stopped and saved its state; Python now joins the remaining non-daemon
    threads (e.g. a library's worker stuck in a system call). A desktop session waits for us
    at logout, so if that takes longer than `seconds`, print every thread's stack (for the
    bug report) and exit anyway."""
    import faulthandler

    faulthandler.dump_traceback_later(seconds, exit=True)
