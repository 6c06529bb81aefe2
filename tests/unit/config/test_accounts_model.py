"""Issue 12's shared model: [[accounts]] in the config, one key per account, one history each.

Real files, a real SQLite store written by the pre-accounts code path, and a real (file-backed)
keyring backend.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.support.file_keyring import FileKeyring
from tray_app.config.config_file import save_settings
from tray_app.config.loading import load_settings
from tray_app.config.model import (
    AccountConfig,
    AlertSettings,
    ConfigError,
    Settings,
    with_account_renamed,
    without_account,
)
from tray_app.config.paths import AppPaths
from tray_app.config.urls import effective_base_url
from tray_app.core.balance import Balance
from tray_app.core.levels import Threshold
from tray_app.history.store import HistoryStore, move_history
from tray_app.keys.key_store import KEYRING_SERVICE, KeySource, KeyStore

KEY_A = "uak_aaaaaaaaaaaaaaaaaaaa1111"
KEY_B = "uak_bbbbbbbbbbbbbbbbbbbb2222"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


# -- config ------------------------------------------------------------------------------------


def test_a_config_without_accounts_is_the_one_default_account(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "poll_interval = 60\n"))
    assert settings.accounts == (AccountConfig("default"),)
    assert settings.alerts_for("default") == settings.alerts
    assert settings.base_url_for("default") == settings.base_url


def test_accounts_are_read_with_their_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'base_url = "https://platform.lensmor.com"\n'
        '[alerts]\nthresholds = ["20%"]\n'
        '[[accounts]]\nname = "Work"\nbase_url = "http://127.0.0.1:9000/"\n'
        '[accounts.alerts]\nthresholds = ["50%", 300]\nnotifications = false\n'
        '[[accounts]]\nname = "Personal"\n',
    )
    settings = load_settings(path)
    assert settings.account_names == ("Work", "Personal")
    assert settings.base_url_for("Work") == "http://127.0.0.1:9000"
    assert settings.base_url_for("Personal") == "https://platform.lensmor.com"
    assert settings.alerts_for("Work").thresholds == (Threshold(50, True), Threshold(300, False))
    assert settings.alerts_for("Work").notifications is False
    assert settings.alerts_for("Personal").thresholds == (Threshold(20, True),)
    assert settings.account("work").name == "Work"  # case-insensitive lookup
    with pytest.raises(ConfigError, match="no account named 'Home'; accounts: Work, Personal"):
        settings.account("Home")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[accounts]]\nbase_url = "https://a.example"\n', r"accounts\[0\]\.name is missing"),
        ('[[accounts]]\nname = ""\n', r"accounts\[0\]\.name is empty"),
        ('[[accounts]]\nname = "a\\tb"\n', "control characters"),
        ('[[accounts]]\nname = "' + "x" * 41 + '"\n', "longer than 40 characters"),
        ("[[accounts]]\nname = 7\n", r"accounts\[0\]\.name must be a string"),
        (
            '[[accounts]]\nname = "Work"\n[[accounts]]\nname = "work"\n',
            r"accounts\[1\]\.name 'work' is used twice",
        ),
        ('[[accounts]]\nname = "W"\ncolour = "red"\n', r"unknown key 'accounts\[0\]\.colour'"),
        (
            '[[accounts]]\nname = "W"\nbase_url = "http://example.com"\n',
            r"accounts\[0\]\.base_url .* plain http",
        ),
        (
            '[[accounts]]\nname = "W"\n[accounts.alerts]\nthresholds = []\n',
            r"accounts\[0\]\.alerts\.thresholds must be a non-empty list",
        ),
        ("accounts = 3\n", "accounts must be one or more"),
        ('[[accounts]]\nname = "api-key"\n', "reserved"),
        ('badge_account = "Nope"\n', "badge_account 'Nope' names no account"),
    ],
)
def test_bad_accounts_give_one_line_errors_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(write(tmp_path, text))
    assert "\n" not in str(caught.value)
    assert str(tmp_path / "config.toml") in str(caught.value)


def test_an_old_config_round_trips_without_an_accounts_table(tmp_path: Path) -> None:
    path = write(tmp_path, 'poll_interval = 90\n[alerts]\nthresholds = ["30%"]\n')
    settings = load_settings(path)
    save_settings(path, settings)
    assert "accounts" not in path.read_text()
    assert load_settings(path) == settings


def test_accounts_round_trip_through_save(tmp_path: Path) -> None:
    settings = Settings(
        accounts=(
            AccountConfig("Work", "http://127.0.0.1:9000", AlertSettings(large_spend=500)),
            AccountConfig("Client Ünï"),
        ),
        badge_account="Client Ünï",
    )
    path = tmp_path / "config.toml"
    save_settings(path, settings)
    assert load_settings(path) == settings
    assert "[[accounts]]" in path.read_text()


def test_rename_and_remove_keep_the_pin_consistent() -> None:
    settings = Settings(accounts=(AccountConfig("A"), AccountConfig("B")), badge_account="A")
    renamed = with_account_renamed(settings, "A", "C")
    assert renamed.account_names == ("C", "B")
    assert renamed.badge_account == "C"
    removed = without_account(renamed, "C")
    assert removed.account_names == ("B",)
    assert removed.badge_account is None
    with pytest.raises(ConfigError, match="only account"):
        without_account(removed, "B")
    with pytest.raises(ConfigError, match="used twice"):
        with_account_renamed(settings, "A", "b")


def test_an_account_base_url_wins_over_the_environment() -> None:
    settings = Settings(accounts=(AccountConfig("default"), AccountConfig("W", "http://[::1]:1")))
    env = {"LENSMOR_BASE_URL": "http://127.0.0.1:5"}
    assert effective_base_url(settings, env, "default") == "http://127.0.0.1:5"
    assert effective_base_url(settings, env, "W") == "http://[::1]:1"


# -- keys --------------------------------------------------------------------------------------


@pytest.fixture
def file_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    previous = keyring.get_keyring()
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("TEST_KEYRING_FILE", str(path))
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.set_keyring(previous)


def test_each_account_has_its_own_keyring_entry(tmp_path: Path, file_keyring: Path) -> None:
    key_file = tmp_path / "cfg" / "api-key"
    KeyStore(key_file, environ={}).save(KEY_A)
    KeyStore(key_file, "Work", environ={}).save(KEY_B)
    stored = json.loads(file_keyring.read_text())
    # The default account keeps the user name it had before accounts existed.
    assert _keyring_user_of(stored, KEY_A) == "api-key"
    assert _keyring_user_of(stored, KEY_B) == "Work"
    loaded = KeyStore(key_file, "Work", environ={}).load()
    assert loaded is not None
    assert loaded.value == KEY_B
    assert KeyStore(key_file, "Work", environ={}).clear() == [KeySource.KEYRING]
    assert KeyStore(key_file, "Work", environ={}).load() is None
    default = KeyStore(key_file, environ={}).load()
    assert default is not None
    assert default.value == KEY_A


def _keyring_user_of(stored: dict[str, str], key: str) -> str:
    # tests/support/file_keyring.py stores "service/username" -> password.
    entry = next(name for name, value in stored.items() if value == key)
    service, _, user = entry.partition("/")
    assert service == KEYRING_SERVICE
    return user


def test_without_a_keyring_each_account_has_its_own_private_file(tmp_path: Path) -> None:
    key_file = tmp_path / "cfg" / "api-key"
    KeyStore(key_file, use_keyring=False, environ={}).save(KEY_A)
    work = KeyStore(key_file, "Work", use_keyring=False, environ={})
    work.save(KEY_B)
    assert key_file.read_text().strip() == KEY_A  # today's file stays the default account's
    assert work.key_file != key_file
    assert work.key_file.read_text().strip() == KEY_B
    assert stat.S_IMODE(work.key_file.stat().st_mode) == 0o600


def test_the_environment_key_belongs_to_the_default_account_only(tmp_path: Path) -> None:
    env = {"LENSMOR_API_KEY": KEY_A}
    key_file = tmp_path / "cfg" / "api-key"
    default = KeyStore(key_file, environ=env, use_keyring=False)
    work = KeyStore(key_file, "Work", environ=env, use_keyring=False)
    loaded = default.load()
    assert loaded is not None
    assert loaded.source is KeySource.ENVIRONMENT
    assert work.load() is None
    assert not work.environment_overrides


# -- history -----------------------------------------------------------------------------------


def _balance(total: int) -> Balance:
    return Balance(
        total_amount=10_000,
        total_balance=total,
        subscription_amount=10_000,
        subscription_balance=total,
        gift_amount=0,
        gift_balance=0,
        reset_at_ms=None,
    )


def test_a_store_from_before_accounts_is_the_default_accounts(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "cfg" / "config.toml", tmp_path / "data", tmp_path / "log")
    # Written exactly as the pre-issue-12 app did: HistoryStore.open(paths.history_db).
    with HistoryStore.open(paths.history_db) as old:
        old.record_balances([(1000.0 + i * 600, _balance(9000 - i * 10)) for i in range(50)])
        old.record_alert(1500.0, "low", "low:20", "Credits low", "20% left")
        old.save_state({"last_ok": 1000})
    with HistoryStore.open(paths.history_db_for("default")) as migrated:
        assert len(migrated.samples(0.0)) == 50
        assert migrated.load_state() == {"last_ok": 1000}
        assert [a.title for a in migrated.alerts(0.0, 10)] == ["Credits low"]
    # Other accounts start empty, in their own file.
    work_db = paths.history_db_for("Work")
    assert work_db != paths.history_db
    with HistoryStore.open(work_db) as work:
        assert work.samples(0.0) == []
        assert work.load_state() is None


def test_renaming_moves_the_history_with_its_journal(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "cfg" / "config.toml", tmp_path / "data", tmp_path / "log")
    source, target = paths.history_db_for("default"), paths.history_db_for("Work/..")
    store = HistoryStore.open(source)
    store.record_balances([(1000.0 + i * 600, _balance(9000 - i)) for i in range(20)])
    # Not closed: the rows may still sit in the -wal, which must move along.
    wal = source.with_name(source.name + "-wal")
    had_wal = wal.exists()
    store._conn.close()
    assert move_history(source, target)
    assert not source.exists()
    assert not wal.exists()
    assert target.parent.parent == paths.data_dir / "accounts"  # no path escape from the name
    assert had_wal
    with HistoryStore.open(target) as moved:
        assert len(moved.samples(0.0)) == 20
    HistoryStore.open(source).close()
    with pytest.raises(FileExistsError):
        move_history(source, target)
