"""The Settings window's Accounts list without a display: the pure plans (accounts_form) and
their I/O (account_actions) against the simulated API, a real file keyring and real files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.support.file_keyring import FileKeyring
from tray_app.config.account_rules import is_placeholder
from tray_app.config.config_file import save_settings
from tray_app.config.loading import load_settings
from tray_app.config.model import DEFAULT_ACCOUNT, AccountConfig, Settings
from tray_app.config.paths import AppPaths
from tray_app.core import fmt
from tray_app.demo.demo_accounts import PERSONAL_DEMO_KEY, simulated_demo_accounts
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer
from tray_app.keys.key_store import KeySource, KeyStore, StoredKey
from tray_app.windows.account_actions import (
    add_account,
    check_account,
    placeholder_is_empty,
    remove_account,
    rename_account,
    stored_keys,
)
from tray_app.windows.accounts_form import (
    AccountField,
    NewAccountFields,
    account_line,
    plan_add,
    plan_remove,
    plan_rename,
    shown_name,
)

TWO = Settings(accounts=(AccountConfig("Work"), AccountConfig("Personal")), badge_account="Work")
WRONG_KEY = "uak_WRONGwrongWRONG0123456789"


# -- the plans (pure) --------------------------------------------------------------------------


def test_adding_appends_an_account_with_its_cleaned_key() -> None:
    fields = NewAccountFields("Client A", f"  {DEMO_KEY}\n", "http://127.0.0.1:8/")
    result = plan_add(TWO, fields)
    assert result.errors == {}
    assert result.plan is not None
    assert result.plan.name == "Client A"
    assert result.plan.key == DEMO_KEY
    assert result.plan.settings.accounts[-1] == AccountConfig("Client A", "http://127.0.0.1:8")
    assert result.plan.settings.account_names == ("Work", "Personal", "Client A")
    assert DEMO_KEY not in repr(result.plan)  # the key never shows in a repr


def test_the_first_named_account_replaces_an_empty_placeholder() -> None:
    placeholder = Settings()
    assert is_placeholder(placeholder)
    kept = plan_add(placeholder, NewAccountFields("Work", DEMO_KEY)).plan
    replaced = plan_add(placeholder, NewAccountFields("Work", DEMO_KEY), replace_placeholder=True)
    assert kept is not None
    assert kept.settings.account_names == (DEFAULT_ACCOUNT, "Work")
    assert replaced.plan is not None
    assert replaced.plan.settings.account_names == ("Work",)
    # A placeholder only exists without [[accounts]]: with real accounts the flag changes nothing.
    with_two = plan_add(TWO, NewAccountFields("Home", DEMO_KEY), replace_placeholder=True).plan
    assert with_two is not None
    assert with_two.settings.account_names == ("Work", "Personal", "Home")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (NewAccountFields("", DEMO_KEY), AccountField.NAME, "The account name is empty"),
        (NewAccountFields("work", DEMO_KEY), AccountField.NAME, "An account named 'work' exists"),
        (NewAccountFields("api-key", DEMO_KEY), AccountField.NAME, "The account name 'api-key' is"),
        (NewAccountFields("x" * 41, DEMO_KEY), AccountField.NAME, "The account name"),
        (NewAccountFields("Tab\there", DEMO_KEY), AccountField.NAME, "The account name"),
        (NewAccountFields("Home", ""), AccountField.KEY, "Paste the account's API key"),
        (NewAccountFields("Home", "uak_with space"), AccountField.KEY, "The key contains spaces"),
        (
            NewAccountFields("Home", DEMO_KEY, "http://lensmor.example"),
            AccountField.BASE_URL,
            "Base_url 'http://lensmor.example' uses plain http",
        ),
        (NewAccountFields("Home", DEMO_KEY, "ftp://x"), AccountField.BASE_URL, "Base_url 'ftp"),
    ],
)
def test_bad_add_fields_get_one_message_each(
    fields: NewAccountFields, field: AccountField, message: str
) -> None:
    result = plan_add(TWO, fields)
    assert result.plan is None
    assert list(result.errors) == [field]
    assert result.errors[field].startswith(message), result.errors[field]
    assert "\n" not in result.errors[field]


def test_every_bad_add_field_is_reported_at_once() -> None:
    result = plan_add(TWO, NewAccountFields("", "uak_with space", "nope"))
    assert set(result.errors) == set(AccountField)


def test_renaming_keeps_the_order_and_moves_the_badge_pin() -> None:
    result = plan_rename(TWO, "Work", " Office ")
    assert result.plan is not None
    assert result.plan.settings.account_names == ("Office", "Personal")
    assert result.plan.settings.badge_account == "Office"
    assert (result.plan.old_name, result.plan.name) == ("Work", "Office")
    # A change of case only is a rename too.
    case = plan_rename(TWO, "Work", "WORK").plan
    assert case is not None
    assert case.settings.account_names == ("WORK", "Personal")


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("Work", "Type a new name for the account"),
        ("personal", "An account named 'personal' exists already"),
        ("", "The new name is empty"),
    ],
)
def test_bad_renames_are_refused(new: str, message: str) -> None:
    result = plan_rename(TWO, "Work", new)
    assert result.plan is None
    assert result.errors[AccountField.NAME].startswith(message)


def test_removing_unpins_and_the_last_account_stays() -> None:
    removed = plan_remove(TWO, "Work").plan
    assert removed is not None
    assert removed.settings.account_names == ("Personal",)
    assert removed.settings.badge_account is None
    last = plan_remove(removed.settings, "Personal")
    assert last.plan is None
    assert "only account" in last.errors[AccountField.NAME]


def test_a_list_row_names_the_account_its_masked_key_and_its_own_url() -> None:
    stored = StoredKey(DEMO_KEY, KeySource.FILE, "/x/api-key")
    row = account_line(AccountConfig("Work", "http://127.0.0.1:9"), stored)
    assert row == f"Work — {fmt.mask_key(DEMO_KEY)} (file) — http://127.0.0.1:9"
    assert DEMO_KEY not in row
    assert account_line(AccountConfig("Home"), None) == "Home — no key"
    assert account_line(AccountConfig("Home"), None, loaded=False) == "Home — key: checking…"


# -- carrying the plans out (real server, real files, a real file keyring) --------------------


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths(
        config_file=tmp_path / "cfg" / "config.toml",
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "log",
    )


@pytest.fixture
def file_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    previous = keyring.get_keyring()
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("TEST_KEYRING_FILE", str(path))
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.set_keyring(previous)


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer(accounts=simulated_demo_accounts()) as srv:
        yield srv


def _keyring(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.exists() else {}


def test_add_tests_the_key_then_saves_key_and_config(
    paths: AppPaths, file_keyring: Path, server: SimulatedLensmorServer
) -> None:
    settings = Settings(base_url=server.url)
    save_settings(paths.config_file, settings)
    assert placeholder_is_empty(paths, settings, {})
    plan = plan_add(settings, NewAccountFields("Work", DEMO_KEY), replace_placeholder=True).plan
    assert plan is not None
    outcome = add_account(paths, plan, {})
    assert outcome.ok, outcome.text
    snapshot = server.accounts["Work"].snapshot()
    assert outcome.text.endswith(
        f"OK: {fmt.credits(snapshot['totalBalance'] or 0)} of "
        f"{fmt.credits(snapshot['totalAmount'] or 0)} credits"
    )
    assert DEMO_KEY not in outcome.text
    assert load_settings(paths.config_file).account_names == ("Work",)
    assert _keyring(file_keyring) == {"lensmor-tray/Work": DEMO_KEY}
    assert [r.header("Authorization") for r in server.accounts["Work"].requests] == [
        f"Bearer {DEMO_KEY}"
    ]


def test_add_with_a_rejected_key_saves_nothing(
    paths: AppPaths, file_keyring: Path, server: SimulatedLensmorServer
) -> None:
    save_settings(paths.config_file, Settings(base_url=server.url))
    before = paths.config_file.read_bytes()
    plan = plan_add(Settings(base_url=server.url), NewAccountFields("Work", WRONG_KEY)).plan
    assert plan is not None
    outcome = add_account(paths, plan, {})
    assert not outcome.ok
    assert outcome.text == "Not added: Key rejected — check it and try again"
    assert paths.config_file.read_bytes() == before
    assert _keyring(file_keyring) == {}
    assert not (paths.config_file.parent / "api-keys").exists()


def test_add_when_the_config_cannot_be_written_keeps_no_key(
    paths: AppPaths, file_keyring: Path, server: SimulatedLensmorServer
) -> None:
    paths.config_file.parent.mkdir(parents=True)
    paths.config_file.write_text("poll_interval = [broken\n")  # save_settings refuses this file
    plan = plan_add(Settings(base_url=server.url), NewAccountFields("Work", DEMO_KEY)).plan
    assert plan is not None
    outcome = add_account(paths, plan, {})
    assert not outcome.ok
    assert outcome.text.startswith("Not added: ")
    assert _keyring(file_keyring) == {}  # the key stored for the test run was taken back
    assert paths.config_file.read_text() == "poll_interval = [broken\n"


def test_rename_moves_key_config_and_history_and_remove_forgets_the_key(
    paths: AppPaths, file_keyring: Path, server: SimulatedLensmorServer
) -> None:
    settings = Settings(base_url=server.url, accounts=(AccountConfig("Work"),))
    save_settings(paths.config_file, settings)
    for name, key in (("Work", DEMO_KEY), ("Personal", PERSONAL_DEMO_KEY)):
        plan = plan_add(settings, NewAccountFields(name, key)).plan if name != "Work" else None
        if plan is None:
            KeyStore(paths.key_file, "Work").save(key)
            continue
        outcome = add_account(paths, plan, {})
        assert outcome.ok, outcome.text
        assert outcome.settings is not None
        settings = outcome.settings
    history = paths.history_db_for("Personal")
    history.parent.mkdir(parents=True)
    history.write_bytes(b"rows")

    rename = plan_rename(settings, "Personal", "Home").plan
    assert rename is not None
    renamed = rename_account(paths, rename)
    assert renamed.ok, renamed.text
    assert renamed.text == "Renamed Personal to Home"
    assert load_settings(paths.config_file).account_names == ("Work", "Home")
    assert _keyring(file_keyring) == {
        "lensmor-tray/Work": DEMO_KEY,
        "lensmor-tray/Home": PERSONAL_DEMO_KEY,
    }
    assert paths.history_db_for("Home").read_bytes() == b"rows"
    assert not history.exists()
    assert renamed.settings is not None

    tested = check_account(paths, renamed.settings, "Home", {})
    assert tested.ok
    assert tested.text.startswith("Home: OK: ")
    keys = stored_keys(paths, renamed.settings, {})
    assert {name: k.masked if k else None for name, k in keys.items()} == {
        "Work": fmt.mask_key(DEMO_KEY),
        "Home": fmt.mask_key(PERSONAL_DEMO_KEY),
    }

    remove = plan_remove(renamed.settings, "Home").plan
    assert remove is not None
    removed = remove_account(paths, remove)
    assert removed.ok
    assert removed.text == "Removed Home and forgot its key"
    assert load_settings(paths.config_file).account_names == ("Work",)
    assert _keyring(file_keyring) == {"lensmor-tray/Work": DEMO_KEY}
    assert paths.history_db_for("Home").exists()  # the history is kept


def test_testing_an_account_without_a_key_says_so(paths: AppPaths, file_keyring: Path) -> None:
    outcome = check_account(paths, TWO, "Personal", {})
    assert not outcome.ok
    assert outcome.text == "Personal: no key is stored"


def test_the_unnamed_account_is_shown_as_main_in_the_users_language() -> None:
    from tray_app.support.i18n import language_for

    only = Settings()
    assert only.account_names == (DEFAULT_ACCOUNT,)
    assert shown_name(DEFAULT_ACCOUNT, only) == "Main"
    german = language_for("de_DE")
    assert shown_name(DEFAULT_ACCOUNT, only, german) == german.gettext("Main") != "Main"
    # A name the user gave is shown as it is; "Main" taken by another account: the real name.
    assert shown_name("Work", TWO) == "Work"
    taken = Settings(accounts=(AccountConfig(DEFAULT_ACCOUNT), AccountConfig("main")))
    assert shown_name(DEFAULT_ACCOUNT, taken) == DEFAULT_ACCOUNT
    assert account_line(AccountConfig(DEFAULT_ACCOUNT), None, name="Main") == "Main — no key"


def test_add_and_remove_errors_are_worded_in_the_windows_language() -> None:
    from tray_app.support.i18n import language_for

    german = language_for("de_DE")
    fields = NewAccountFields("Work", "uak with spaces", "ftp://example.com")
    errors = plan_add(TWO, fields, lang=german).errors
    assert errors[AccountField.KEY].startswith("Der Schlüssel enthält Leerzeichen")
    for field in (AccountField.NAME, AccountField.BASE_URL):
        assert errors[field] == errors[field][:1].upper() + errors[field][1:]
        assert plan_add(TWO, fields).errors[field] != errors[field]  # not the English line
    last = plan_remove(Settings(accounts=(AccountConfig("Work"),)), "Work", german)
    english = plan_remove(Settings(accounts=(AccountConfig("Work"),)), "Work")
    assert last.errors[AccountField.NAME] != english.errors[AccountField.NAME]


def test_where_a_key_lives_is_said_in_the_windows_language() -> None:
    from tray_app.support.i18n import language_for

    german = language_for("de_DE")
    stored = StoredKey("uak_" + "e" * 40, KeySource.ENVIRONMENT, "LENSMOR_API_KEY")
    line = account_line(AccountConfig(DEFAULT_ACCOUNT), stored, lang=german, name="Hauptkonto")
    assert line == f"Hauptkonto — {stored.masked} (Umgebung (LENSMOR_API_KEY))"
    in_file = StoredKey("uak_" + "e" * 40, KeySource.FILE, "/k")
    assert account_line(AccountConfig("Work"), in_file, lang=german).endswith("(Datei)")
    # English as before.
    assert account_line(AccountConfig("Work"), stored).endswith("(environment (LENSMOR_API_KEY))")
