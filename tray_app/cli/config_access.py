"""What a command reads before it acts: the user's language and the pacing from the
environment, the paths, the config file, an account's key store, the one account meant.

Shared by the commands (cli/commands/) and the balance fetch (cli/fetch.py), so that every
command words a missing --config file, an unknown --account and a bad LENSMOR_TRAY_PACING the
same way.
"""

from __future__ import annotations

import argparse
import os

from tray_app.cli.args import selected_accounts
from tray_app.cli.exits import EXIT_USAGE, CliError
from tray_app.config.loading import load_settings
from tray_app.config.model import DEFAULT_ACCOUNT, AccountConfig, ConfigError, Settings
from tray_app.config.paths import AppPaths
from tray_app.core.language import N_, Language
from tray_app.core.pacing import DEMO, PRODUCTION, PacingProfile
from tray_app.keys.key_store import KeyStore
from tray_app.support.i18n import language_from_environ


def user_language() -> Language:
    """The language the environment asks for (LC_ALL, LC_MESSAGES, LANG)."""
    return language_from_environ(os.environ)


def app_paths(args: argparse.Namespace) -> AppPaths:
    return AppPaths.default(args.config)


def load_config(args: argparse.Namespace) -> tuple[AppPaths, Settings]:
    paths = app_paths(args)
    if args.config is not None:
        try:
            exists = args.config.exists()
        except OSError as exc:  # a name too long, a directory we may not enter
            raise ConfigError(
                N_("cannot use --config {path}: {error}"), path=args.config, error=exc.strerror
            ) from None
        if not exists:
            raise CliError(
                N_("config error: the config file {path} does not exist"),
                EXIT_USAGE,
                path=args.config,
            )
    return paths, load_settings(paths.config_file)


def key_store(paths: AppPaths, account: str = DEFAULT_ACCOUNT) -> KeyStore:
    return KeyStore(paths.key_file, account)


def single_account(args: argparse.Namespace, settings: Settings) -> AccountConfig:
    """For commands that act on one account (`key`, `history`): --account, else the only one."""
    accounts = selected_accounts(args, settings)
    if len(accounts) > 1:
        names = ", ".join(a.name for a in accounts)
        raise ConfigError(
            N_("there are several accounts ({names}); choose one with --account NAME"),
            names=names,
        )
    return accounts[0]


def pacing_profile() -> PacingProfile:
    # LENSMOR_TRAY_PACING=demo compresses the timing (seconds instead of minutes, a 4 s request
    # deadline) for demos and the end-to-end tests; it never lowers the rate below what the
    # rate-limit headers allow.
    choice = os.environ.get("LENSMOR_TRAY_PACING", "")
    if choice == "demo":
        return DEMO
    if choice not in ("", "production"):
        raise ConfigError(N_("LENSMOR_TRAY_PACING must be 'demo' or 'production'"))
    return PRODUCTION
