"""The commands that error messages tell people to run, spelled so that pasting them works.

One place for the CLI and `doctor`: `--account=NAME` (not `--account NAME`) so that a name
starting with `-` is not read as an option, and the name quoted for the shell."""

from __future__ import annotations

import shlex

from tray_app.config.model import DEFAULT_ACCOUNT


def account_option(name: str) -> str:
    return f"--account={shlex.quote(name)}"


def key_set_command(account: str = DEFAULT_ACCOUNT) -> str:
    """The command that stores `account`'s key."""
    if account == DEFAULT_ACCOUNT:
        return "lensmor-tray key set"
    return f"lensmor-tray key set {account_option(account)}"


def account_add_command(name: str) -> str:
    # `--` ends the options: `account add -- -Ops` adds an account named "-Ops".
    return f"lensmor-tray account add -- {shlex.quote(name)}"
