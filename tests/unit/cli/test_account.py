"""`lensmor-tray account ...`, `--account` and `status` with several accounts, run as a user
runs them (child processes) against one simulated server that serves two accounts, each opened
by its own key. No OS keyring (conftest picks the failing backend), so keys go to 0600 files.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator

import pytest

from tests.conftest import Home, run_cli
from tray_app.config.loading import load_settings
from tray_app.config.paths import AppPaths
from tray_app.core.balance import Balance
from tray_app.demo.server import Fault, SimulatedAccount, SimulatedLensmorServer
from tray_app.history.store import HistoryStore

WORK_KEY = "uak_workworkworkwork0000aaaa"
HOME_KEY = "uak_homehomehomehome1111bbbb"
WRONG_KEY = "uak_wrongwrongwrongwr9999zzzz"


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    accounts = {
        "Work": SimulatedAccount(total_subscription=10_000, gift=0, valid_keys=(WORK_KEY,)),
        "Home": SimulatedAccount(total_subscription=2_000, gift=100, valid_keys=(HOME_KEY,)),
    }
    with SimulatedLensmorServer(accounts=accounts) as srv:
        yield srv


def paths_of(home: Home) -> AppPaths:
    return AppPaths(home.config_file, home.data_dir, home.root / "log")


def add(home: Home, server: SimulatedLensmorServer, name: str, key: str) -> None:
    result = run_cli(home, "account", "add", name, "--base-url", server.url, input_text=key + "\n")
    assert result.code == 0, result.err
    assert f"added {name}" in result.out


@pytest.fixture
def two_accounts(home: Home, server: SimulatedLensmorServer) -> Home:
    add(home, server, "Work", WORK_KEY)
    add(home, server, "Home", HOME_KEY)
    return home


def test_add_tests_the_key_and_saves_it_privately(
    home: Home, server: SimulatedLensmorServer
) -> None:
    result = run_cli(home, "account", "add", "Work", "--base-url", server.url, input_text=WORK_KEY)
    assert result.code == 0, result.err
    assert "10,000 of 10,000 credits" in result.out
    assert WORK_KEY not in result.out + result.err
    settings = load_settings(home.config_file)
    # The placeholder "default" account (no key, no history) gave way to the named one.
    assert settings.account_names == ("Work",)
    key_file = paths_of(home).key_file_for("Work")
    assert key_file.read_text().strip() == WORK_KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert WORK_KEY not in home.config_file.read_text()
    assert [r.path for r in server.accounts["Work"].requests] == ["/external/credits/balance"]


def test_add_with_a_wrong_key_is_refused_and_nothing_is_saved(
    home: Home, server: SimulatedLensmorServer
) -> None:
    add(home, server, "Work", WORK_KEY)
    before = home.config_file.read_bytes()
    result = run_cli(home, "account", "add", "Home", "--base-url", server.url, input_text=WRONG_KEY)
    assert result.code == 3
    assert "rejected" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert WRONG_KEY not in result.out + result.err
    assert home.config_file.read_bytes() == before
    assert not paths_of(home).key_file_for("Home").exists()


def test_add_refuses_a_duplicate_name_and_an_unreachable_server(
    home: Home, server: SimulatedLensmorServer
) -> None:
    add(home, server, "Work", WORK_KEY)
    again = run_cli(home, "account", "add", "work", "--base-url", server.url, input_text=HOME_KEY)
    assert again.code == 2
    assert "exists already" in again.err
    server.accounts["Home"].inject(Fault.status(503))
    down = run_cli(home, "account", "add", "Home", "--base-url", server.url, input_text=HOME_KEY)
    assert down.code == 4, down.err
    assert load_settings(home.config_file).account_names == ("Work",)
    assert not paths_of(home).key_file_for("Home").exists()


def test_list_shows_masked_keys_sources_and_last_balances(two_accounts: Home) -> None:
    paths = paths_of(two_accounts)
    with HistoryStore.open(paths.history_db_for("Home")) as store:
        store.record_balance(
            1_767_225_600.0,
            Balance(
                total_amount=2100,
                total_balance=1234,
                subscription_amount=2000,
                subscription_balance=1134,
                gift_amount=100,
                gift_balance=100,
                reset_at_ms=None,
            ),
        )
    result = run_cli(two_accounts, "account", "list")
    assert result.code == 0, result.err
    work, home_line = result.out.strip().splitlines()
    assert work.startswith("Work\tuak_…aaaa (file)\tno balance yet")
    assert home_line.startswith("Home\tuak_…bbbb (file)\t1,234 of 2,100 credits (2026-01-01")
    assert WORK_KEY not in result.out
    assert HOME_KEY not in result.out


def test_status_prints_one_block_per_account(
    two_accounts: Home, server: SimulatedLensmorServer
) -> None:
    server.accounts["Home"].set_balance(subscriptionBalance=100)
    result = run_cli(two_accounts, "status")
    assert result.code == 0, result.err
    blocks = result.out.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["Work", "Home"]
    assert "10,000 of 10,000 (100%) - ok" in blocks[0]
    assert "200 of 2,100 (10%) - low" in blocks[1]


def test_status_json_lists_the_accounts_and_exits_with_the_worst(
    two_accounts: Home, server: SimulatedLensmorServer
) -> None:
    server.accounts["Home"].set_valid_keys(["uak_someoneelse0000000000000"])
    result = run_cli(two_accounts, "status", "--json")
    assert result.code == 3  # the rejected key is the worst outcome
    data = json.loads(result.out)
    work, home = data["accounts"]
    assert work["account"] == "Work"
    assert work["totalBalance"] == 10_000
    assert work["level"] == "ok"
    assert home["account"] == "Home"
    assert home["exitCode"] == 3
    assert "rejected" in home["error"]
    assert "key set --account=Home" in home["error"]
    assert result.err.startswith("lensmor-tray: Home: the API key was rejected")


def test_account_option_selects_one_account_and_keeps_todays_json(
    two_accounts: Home, server: SimulatedLensmorServer
) -> None:
    result = run_cli(two_accounts, "status", "--json", "--account", "home")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert "accounts" not in data
    assert "account" not in data  # exactly today's object
    assert data["totalBalance"] == 2_100
    unknown = run_cli(two_accounts, "status", "--account", "Nope")
    assert unknown.code == 2
    assert "no account named 'Nope'; accounts: Work, Home" in unknown.err
    show = run_cli(two_accounts, "key", "show", "--account", "Work")
    assert show.out.startswith("uak_…aaaa (from file")
    before = run_cli(two_accounts, "key", "--account", "Home", "show")
    assert before.out.startswith("uak_…bbbb (from file")
    several = run_cli(two_accounts, "key", "show")
    assert several.code == 2
    assert "choose one with --account NAME" in several.err


def test_history_csv_names_the_account(two_accounts: Home) -> None:
    paths = paths_of(two_accounts)
    with HistoryStore.open(paths.history_db_for("Work")) as store:
        store.record_balance(
            1_767_225_600.0,
            Balance(
                total_amount=10_000,
                total_balance=9_000,
                subscription_amount=10_000,
                subscription_balance=9_000,
                gift_amount=0,
                gift_balance=0,
                reset_at_ms=None,
            ),
        )
    result = run_cli(two_accounts, "history", "--csv", "--account", "Work")
    assert result.code == 0, result.err
    rows = result.out.strip().splitlines()
    assert rows[1].startswith("Work,2026-01-01T00:00:00Z")
    assert run_cli(two_accounts, "history", "--account", "Home").code == 1  # no history yet


def test_remove_forgets_the_key(two_accounts: Home, server: SimulatedLensmorServer) -> None:
    key_file = paths_of(two_accounts).key_file_for("Home")
    assert key_file.exists()
    result = run_cli(two_accounts, "account", "remove", "Home")
    assert result.code == 0, result.err
    assert "key was removed from: file" in result.out
    assert not key_file.exists()
    assert load_settings(two_accounts.config_file).account_names == ("Work",)
    last = run_cli(two_accounts, "account", "remove", "Work")
    assert last.code == 2
    assert "only account" in last.err
    status = run_cli(two_accounts, "status", "--json")
    assert json.loads(status.out)["totalBalance"] == 10_000


def test_rename_moves_key_history_and_pin(
    two_accounts: Home, server: SimulatedLensmorServer
) -> None:
    paths = paths_of(two_accounts)
    text = two_accounts.config_file.read_text()
    two_accounts.config_file.write_text('badge_account = "Home"\n' + text)
    with HistoryStore.open(paths.history_db_for("Home")) as store:
        store.save_state({"remembered": True})
    result = run_cli(two_accounts, "account", "rename", "Home", "Family")
    assert result.code == 0, result.err
    settings = load_settings(two_accounts.config_file)
    assert settings.account_names == ("Work", "Family")
    assert settings.badge_account == "Family"
    assert not paths.key_file_for("Home").exists()
    assert paths.key_file_for("Family").read_text().strip() == HOME_KEY
    assert not paths.history_db_for("Home").exists()
    with HistoryStore.open(paths.history_db_for("Family")) as store:
        assert store.load_state() == {"remembered": True}
    status = run_cli(two_accounts, "status", "--json", "--account", "Family")
    assert status.code == 0, status.err
    clash = run_cli(two_accounts, "account", "rename", "Family", "work")
    assert clash.code == 2
    # The same words as `account add` and the Settings window (account_rules.py).
    assert "an account named 'work' exists already" in clash.err


def test_a_config_readable_by_others_is_warned_about_once_and_written_back_private(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # The command reads the config, then reads it again under its lock to edit it: the mode
    # warning was printed twice, the second time just before the write that makes it 0600.
    home.write_config(f'base_url = "{server.url}"\n')
    home.config_file.chmod(0o644)
    result = run_cli(home, "account", "add", "Work", input_text=WORK_KEY)
    assert result.code == 0, result.err
    assert result.err.count("readable by other users") == 1
    assert stat.S_IMODE(home.config_file.stat().st_mode) == 0o600
    assert "readable by other users" not in run_cli(home, "account", "list").err
