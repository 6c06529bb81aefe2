"""`lensmor-tray key set|show|clear`: one account's API key in the keyring (or the key file).

Also reads a key from the user (`read_key_input`: a hidden prompt, or a piped stdin read in
bounded pieces), which `account add` uses as well. The key is only ever printed masked.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from tray_app.cli.commands.running_app import tell_the_running_app
from tray_app.cli.config_access import (
    app_paths,
    key_store,
    load_config,
    single_account,
    user_language,
)
from tray_app.cli.exits import EXIT_KEY, EXIT_OK, EXIT_USAGE, CliError, print_error
from tray_app.cli.hints import key_set_command
from tray_app.config.model import DEFAULT_ACCOUNT
from tray_app.core.language import N_
from tray_app.keys.key_store import (
    InvalidKey,
    KeyStore,
    KeyStoreFailed,
    looks_like_lensmor_key,
    normalise_key,
)

#: How much of a piped stdin `key set` reads: blank lines before the key, and one line's length.
MAX_KEY_INPUT_LINES = 100
MAX_KEY_INPUT_CHARS = 4096


def cmd_key(args: argparse.Namespace) -> int:
    paths = app_paths(args)
    account = DEFAULT_ACCOUNT
    if args.account is not None or paths.config_file.exists():
        # Without --account the one account is meant (a config with several asks which).
        account = single_account(args, load_config(args)[1]).name
    store = key_store(paths, account)
    lang = user_language()
    _ = lang.gettext
    if args.key_command == "set":
        return tell_the_running_app(paths, _key_set(store))
    if args.key_command == "show":
        stored = store.load()
        if stored is None:
            raise CliError(
                N_("no API key is set; run `{command}`"),
                EXIT_KEY,
                command=key_set_command(account),
            )
        print(
            _("{key} (from {source}: {location})").format(
                key=stored.masked, source=stored.source.text(lang), location=stored.location
            )
        )
        return EXIT_OK
    try:
        removed = store.clear()
    except KeyStoreFailed as exc:
        # Worded by keys/key_store.py, like InvalidKey, in the language CliError is.
        raise CliError(
            N_("the key was not removed: {problem}"), EXIT_USAGE, problem=exc.text
        ) from None
    if removed:
        print(
            _("removed the key from: {places}").format(
                places=", ".join(source.text(lang) for source in removed)
            )
        )
    else:
        print(_("no stored key to remove"))
    if store.environment_overrides:
        print_error(_("warning: LENSMOR_API_KEY is still set in the environment and will be used"))
    return tell_the_running_app(paths, EXIT_OK)


def read_key_input(command: str = "lensmor-tray key set") -> str:
    """The key from a hidden prompt, or the first line of stdin that is not blank when it is
    piped (a password manager's copy may start with an empty line)."""
    if sys.stdin is None:
        raise CliError(
            N_("no input: pipe the key in, e.g. `{command} < keyfile`"), EXIT_USAGE, command=command
        )
    if sys.stdin.isatty():
        return getpass.getpass(user_language().gettext("Lensmor API key (input hidden): "))
    for _ in range(MAX_KEY_INPUT_LINES):
        # Bounded: `key set < /dev/zero` (or any endless stream) is an error, not a hang that
        # eats memory; anything longer than a key is refused by normalise_key anyway.
        line = sys.stdin.readline(MAX_KEY_INPUT_CHARS)
        if not line or line.strip():
            return line
    return ""


def _key_set(store: KeyStore) -> int:
    lang = user_language()
    _ = lang.gettext
    text = read_key_input(key_set_command(store.account))
    try:
        key = normalise_key(text)
    except InvalidKey as exc:
        raise CliError(
            N_("{problem}; paste the key exactly as the Lensmor app showed it"),
            EXIT_USAGE,
            problem=exc.text,  # worded by keys/key_store.py, in the language CliError is
        ) from None
    if not looks_like_lensmor_key(key):
        print_error(
            _("warning: this does not look like a Lensmor key (they start with uak_ or sk_)")
        )
    try:
        stored = store.save(key)
    except KeyStoreFailed as exc:
        raise CliError(
            N_("the key was not saved: {problem}"), EXIT_USAGE, problem=exc.text
        ) from None
    print(_("saved {key} in the {place}").format(key=stored.masked, place=stored.source.text(lang)))
    if store.environment_overrides:
        print_error(_("warning: LENSMOR_API_KEY is set in the environment and takes precedence"))
    return EXIT_OK
