"""Issue 18, account names where they meet file names and the command line.

An account name maps to its history folder and key file in one place
(`account_names.account_slug`): `.` and `..` no longer escape into (or take over) other
accounts' files, Windows' device names and trailing dots get their own spelling there, an
over-long spelling still fits in a file name, and every ordinary name keeps the file name it
had. One set of add/rename rules (`account_rules`) serves the CLI and the Settings window.
Run as a user runs them: `lensmor-tray` in child processes against the simulated API.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Home, run_cli
from tray_app.cli.parser import build_parser
from tray_app.config.account_names import MAX_FILE_NAME, account_slug
from tray_app.config.loading import load_settings
from tray_app.config.model import AccountConfig, Settings
from tray_app.config.paths import AppPaths
from tray_app.core.balance import Balance
from tray_app.demo.server import SimulatedAccount, SimulatedLensmorServer
from tray_app.history.store import HistoryStore
from tray_app.keys.key_store import KeyStore
from tray_app.windows.accounts_form import AccountField, NewAccountFields, plan_add, plan_rename

KEY = "uak_namesnamesnames0000abcd"
DEFAULT_KEY = "uak_defaultdefault1111efgh"


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    accounts = {
        "Any": SimulatedAccount(total_subscription=5_000, gift=0, valid_keys=(KEY, DEFAULT_KEY))
    }
    with SimulatedLensmorServer(accounts=accounts) as srv:
        yield srv


def paths_of(home: Home) -> AppPaths:
    return AppPaths(home.config_file, home.data_dir, home.root / "log")


def add(home: Home, server: SimulatedLensmorServer, name: str, key: str = KEY) -> None:
    # `--`: a name may start with "-" (see the test of such names below).
    result = run_cli(home, "account", "add", "--base-url", server.url, "--", name, input_text=key)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err


def old_slug(name: str) -> str:
    """How every version from issue 12 to 334fe03 spelled an account's file name."""
    return quote(name.casefold(), safe="-_")


def record_history(path: Path, balance: int) -> None:
    with HistoryStore.open(path) as store:
        store.record_balance(
            1_767_225_600.0,
            Balance(
                total_amount=10_000,
                total_balance=balance,
                subscription_amount=10_000,
                subscription_balance=balance,
                gift_amount=0,
                gift_balance=0,
                reset_at_ms=None,
            ),
        )


# -- names that are path parts ----------------------------------------------------------------


def test_an_account_named_dot_keeps_the_key_folder_a_folder(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # main at 334fe03: the key of "." went to a FILE named api-keys (Path("api-keys") / "."),
    # so every later `account add` crashed on "Not a directory".
    add(home, server, ".")
    add(home, server, "Work")
    add(home, server, "Home")
    paths = paths_of(home)
    folder = paths.key_file.parent / "api-keys"
    assert folder.is_dir()
    assert paths.key_file_for(".") == folder / "%2E"
    assert {p.name for p in folder.iterdir()} == {"%2E", "work", "home"}
    assert load_settings(home.config_file).account_names == (".", "Work", "Home")
    assert paths.history_db_for(".").parent == home.data_dir / "accounts" / "%2E"
    for name in (".", "Work", "Home"):
        assert KeyStore(paths.key_file, name).load() is not None


def test_an_account_named_dot_dot_has_its_own_history_and_rename_leaves_the_default_alone(
    home: Home, server: SimulatedLensmorServer
) -> None:
    paths = paths_of(home)
    KeyStore(paths.key_file, use_keyring=False).save(DEFAULT_KEY)
    home.write_config(f'base_url = "{server.url}"\n')
    home.config_file.chmod(0o600)
    record_history(paths.history_db, 4_321)  # the default account's history
    add(home, server, "..")
    assert load_settings(home.config_file).account_names == ("default", "..")
    # main at 334fe03: accounts/../history.sqlite3 IS the default account's history.
    assert paths.history_db_for("..") == home.data_dir / "accounts" / "%2E%2E" / "history.sqlite3"
    record_history(paths.history_db_for(".."), 99)
    renamed = run_cli(home, "account", "rename", "..", "Dots")
    assert renamed.code == 0, renamed.err
    with HistoryStore.open(paths.history_db) as store:  # still where it was, still its own
        last = store.last_recorded()
        assert last is not None
        assert last[1].total_balance == 4_321
    with HistoryStore.open(paths.history_db_for("Dots")) as store:
        last = store.last_recorded()
        assert last is not None
        assert last[1].total_balance == 99
    assert KeyStore(paths.key_file, use_keyring=False).load() is not None  # default's key kept


@pytest.mark.parametrize("name", ["a/b", "a\\b", "../../etc", "CON", "con.txt", "NUL", "x."])
def test_path_separators_and_windows_names_stay_inside_their_folders(
    home: Home, server: SimulatedLensmorServer, name: str
) -> None:
    add(home, server, name)
    paths = paths_of(home)
    key_file = paths.key_file_for(name)
    history = paths.history_db_for(name)
    assert key_file.parent == paths.key_file.parent / "api-keys"
    assert history.parent.parent == home.data_dir / "accounts"
    assert "/" not in key_file.name
    assert "\\" not in key_file.name
    assert key_file.read_text().strip() == KEY
    assert KeyStore(paths.key_file, name).load() is not None


@pytest.mark.parametrize(
    ("name", "windows", "posix"),
    [
        ("CON", "%63on", "con"),
        ("con.txt", "%63on.txt", "con.txt"),
        ("Nul", "%6Eul", "nul"),
        ("COM1", "%63om1", "com1"),
        ("lpt9.log", "%6Cpt9.log", "lpt9.log"),
        ("Acme Inc.", "acme%20inc%2E", "acme%20inc."),
        ("..", "%2E%2E", "%2E%2E"),
        (".", "%2E", "%2E"),
        ("Console", "console", "console"),  # not a device name: unchanged
        ("COM10", "com10", "com10"),
    ],
)
def test_windows_device_names_and_trailing_dots_get_their_own_file_names(
    name: str, windows: str, posix: str
) -> None:
    assert account_slug(name, windows=True) == windows
    assert account_slug(name, windows=False) == posix


# -- ordinary names keep their files -------------------------------------------------------------

ORDINARY = [
    "Work",
    "Acme Inc",
    "R&D",
    "Café",
    "-Ops",
    "Straße",
    "日本",
    "x.y",
    "a~b",
    "Team 42 (EU)",
    "💳 Cards",
    "é" * 40,  # 240 characters spelled: the longest that fitted before, still the same
]


@pytest.mark.parametrize("name", ORDINARY)
def test_ordinary_names_keep_the_file_names_they_had(name: str) -> None:
    paths = AppPaths(Path("/c/config.toml"), Path("/d"), Path("/l"))
    assert paths.history_db_for(name).parent.name == old_slug(name)
    assert paths.key_file_for(name).name == old_slug(name)
    assert account_slug(name, windows=True) == old_slug(name)


@given(st.text(min_size=1, max_size=40))
def test_every_name_that_had_a_usable_file_name_keeps_it(name: str) -> None:
    before = old_slug(name)
    if before.strip(".") and len(before) <= MAX_FILE_NAME:
        assert account_slug(name, windows=False) == before


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40), st.booleans())
def test_two_names_share_a_file_only_when_they_are_the_same_account(
    a: str, b: str, windows: bool
) -> None:
    if a.casefold() != b.casefold():
        assert account_slug(a, windows=windows) != account_slug(b, windows=windows)
    slug = account_slug(a, windows=windows)
    assert 0 < len(slug) <= MAX_FILE_NAME
    assert slug.strip(".") == slug.lstrip(".") or not windows
    assert slug not in (".", "..")
    assert "/" not in slug
    assert "\\" not in slug


# -- odd names (hostile sweep) --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["日本語のアカウント" * 4 + "会社の名", "💳" * 40])
def test_a_forty_character_name_in_cjk_or_emoji_can_be_added(
    home: Home, server: SimulatedLensmorServer, name: str
) -> None:
    # 40 characters of 3- or 4-byte UTF-8 percent-encode to 360-480 characters: main at
    # 334fe03 crashed with "File name too long" writing the key file.
    assert len(name) == 40
    add(home, server, name)
    paths = paths_of(home)
    assert len(paths.key_file_for(name).name) <= MAX_FILE_NAME
    assert paths.key_file_for(name).read_text().strip() == KEY
    record_history(paths.history_db_for(name), 7)
    twin = name[:-1] + ("x" if name[-1] != "x" else "y")
    assert paths.history_db_for(twin) != paths.history_db_for(name)


def test_names_that_differ_only_in_unicode_spelling_are_the_same_account(
    home: Home, server: SimulatedLensmorServer
) -> None:
    composed = unicodedata.normalize("NFC", "Café")
    decomposed = unicodedata.normalize("NFD", "Café")
    assert composed != decomposed
    add(home, server, composed)
    again = run_cli(home, "account", "add", decomposed, "--base-url", server.url, input_text=KEY)
    assert again.code == 2
    assert "exists already" in again.err
    for twin in (decomposed, "CAFÉ", "ＣＡＦÉ"):  # another spelling, case, full-width letters
        form = plan_add(load_settings(home.config_file), NewAccountFields(twin, KEY))
        assert "exists already" in form.errors[AccountField.NAME]
    assert load_settings(home.config_file).account_names == (composed,)


def test_default_in_another_case_is_refused_while_the_default_account_is_in_use(
    home: Home, server: SimulatedLensmorServer
) -> None:
    paths = paths_of(home)
    KeyStore(paths.key_file, use_keyring=False).save(DEFAULT_KEY)
    home.write_config(f'base_url = "{server.url}"\n')
    home.config_file.chmod(0o600)
    for name in ("DEFAULT", "Default"):
        result = run_cli(home, "account", "add", name, "--base-url", server.url, input_text=KEY)
        assert result.code == 2
        assert "exists already" in result.err
    # An account called "Default" beside others (no implicit default) has its own files.
    assert paths.history_db_for("Default") != paths.history_db
    assert paths.key_file_for("Default") != paths.key_file


# -- rename and names starting with "-" ------------------------------------------------------------


def test_renaming_an_account_to_its_own_name_is_nothing_to_do(
    home: Home, server: SimulatedLensmorServer
) -> None:
    add(home, server, "Work")
    before = home.config_file.read_bytes()
    for old in ("Work", "work"):
        # main at 334fe03: "config error: no account named 'Work'", exit 2.
        result = run_cli(home, "account", "rename", old, "Work")
        assert result.code == 0, result.err
        assert result.out.strip() == "Work is called Work already; nothing to change"
    assert home.config_file.read_bytes() == before
    # The Settings window's rename prompt answers the same case by asking for a new name.
    settings = load_settings(home.config_file)
    assert plan_rename(settings, "Work", "Work").errors == {
        AccountField.NAME: "Type a new name for the account"
    }
    # A change of case only is a rename.
    case = run_cli(home, "account", "rename", "Work", "WORK")
    assert case.code == 0, case.err
    assert load_settings(home.config_file).account_names == ("WORK",)


def test_the_cli_and_the_window_refuse_a_taken_name_in_the_same_words(
    home: Home, server: SimulatedLensmorServer
) -> None:
    add(home, server, "Work")
    add(home, server, "Home")
    cli_add = run_cli(home, "account", "add", "home", "--base-url", server.url, input_text=KEY)
    cli_rename = run_cli(home, "account", "rename", "Work", "HOME")
    settings = load_settings(home.config_file)
    form_add = plan_add(settings, NewAccountFields("home", KEY)).errors[AccountField.NAME]
    form_rename = plan_rename(settings, "Work", "HOME").errors[AccountField.NAME]
    assert "an account named 'home' exists already; choose another name" in cli_add.err
    assert "an account named 'HOME' exists already; choose another name" in cli_rename.err
    assert form_add == "An account named 'home' exists already; choose another name"
    assert form_rename == "An account named 'HOME' exists already; choose another name"


def _commands_with_account_option() -> list[tuple[str, ...]]:
    """Every command line (command, subcommand) whose parser has --account."""
    found: list[tuple[str, ...]] = []

    def walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]) -> None:
        for action in parser._actions:
            if "--account" in action.option_strings:
                found.append(prefix)
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, (*prefix, name))

    walk(build_parser(), ())
    return found


def test_every_command_with_account_accepts_a_name_starting_with_a_dash() -> None:
    commands = _commands_with_account_option()
    assert {("status",), ("history",), ("usage",), ("key",), ("key", "show")} <= set(commands)
    parser = build_parser()
    needs_action = {("key",): ["show"], ("hooks", "test"): ["low"], ("guard",): ["--min", "1"]}
    for command in commands:
        args = parser.parse_args([*command, "--account=-Ops", *needs_action.get(command, [])])
        assert args.account == "-Ops", command


def test_an_account_named_dash_ops_works_through_every_command(
    home: Home, server: SimulatedLensmorServer
) -> None:
    add(home, server, "Work")
    add(home, server, "-Ops")
    assert load_settings(home.config_file).account_names == ("Work", "-Ops")
    record_history(paths_of(home).history_db_for("-Ops"), 5_000)
    for args in (
        ("status", "--account=-Ops", "--json"),
        ("history", "--account=-Ops"),
        ("key", "show", "--account=-Ops"),
        ("key", "--account=-Ops", "show"),
    ):
        result = run_cli(home, *args)
        assert result.code == 0, (args, result.err)
        assert "Traceback" not in result.err
    status = run_cli(home, "status", "--account=-Ops", "--json")
    assert json.loads(status.out)["totalBalance"] == 5000
    renamed = run_cli(home, "account", "rename", "--", "-Ops", "-Ops2")
    assert renamed.code == 0, renamed.err
    removed = run_cli(home, "account", "remove", "--", "-Ops2")
    assert removed.code == 0, removed.err
    assert load_settings(home.config_file).account_names == ("Work",)
    assert not paths_of(home).key_file_for("-Ops2").exists()


def test_the_window_and_the_cli_accept_and_store_the_same_odd_names(
    home: Home, server: SimulatedLensmorServer
) -> None:
    settings = Settings(base_url=server.url, accounts=(AccountConfig("Work"),))
    for name in (".", "..", "CON", "a/b", "-Ops", "💳" * 40):
        plan = plan_add(settings, NewAccountFields(name, KEY))
        assert plan.errors == {}, name
        assert plan.plan is not None
        settings = plan.plan.settings
    assert settings.account_names == ("Work", ".", "..", "CON", "a/b", "-Ops", "💳" * 40)


def test_the_commands_error_messages_suggest_can_be_pasted_for_a_name_starting_with_a_dash() -> (
    None
):
    # `key set --account -Ops` would read "-Ops" as an option; `--account=-Ops` does not.
    import shlex

    from tray_app.cli.hints import account_add_command, key_set_command

    for name in ("-Ops", "My Team", "R&D"):
        argv = shlex.split(key_set_command(name))[1:]
        assert build_parser().parse_args(argv).account == name
        argv = shlex.split(account_add_command(name))[1:]
        assert build_parser().parse_args(argv).name == name
