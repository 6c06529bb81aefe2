"""`lensmor-tray guard` as a script runs it (the real command in a child process) against the
simulated API, with and without a running app: each exit code, when it asks the API and when
the saved state answers, and `-- COMMAND` run or not."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Home, run_cli
from tests.scenarios.reload_rig import remember_an_older_balance, tray_process
from tray_app.config.paths import AppPaths
from tray_app.core.balance import Balance
from tray_app.core.state import MonitorState, Problem
from tray_app.demo.server import SimulatedAccount, SimulatedLensmorServer
from tray_app.history.store import HistoryStore

KEY = "uak_guardguardguardguard0000cccc"


@pytest.fixture
def server(home: Home) -> Iterator[SimulatedLensmorServer]:
    """10,000 credits, 6,000 left; the home's environment points at it with the key."""
    account = SimulatedAccount(total_subscription=10_000, gift=0, valid_keys=(KEY,))
    account.spend(4_000)
    with SimulatedLensmorServer(account) as srv:
        home.env.update({"LENSMOR_BASE_URL": srv.url, "LENSMOR_API_KEY": KEY})
        yield srv


def _requests(server: SimulatedLensmorServer) -> int:
    return len(server.account.requests)


def _save(home: Home, balance: Balance, age: float, problem: Problem | None = None) -> None:
    """What the running app saves after a poll `age` seconds ago."""
    paths = AppPaths(home.config_file, home.data_dir, home.root / "log")
    state = MonitorState(balance=balance, fetched_at=time.time() - age, problem=problem)
    with HistoryStore.open(paths.history_db_for("default")) as store:
        store.save_state({"monitor": state.to_json()})


def _balance(left: int) -> Balance:
    return Balance(10_000, left, 10_000, left, 0, 0, None)


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_enough_and_below_ask_the_api_once_without_saved_state(
    home: Home, server: SimulatedLensmorServer
) -> None:
    enough = run_cli(home, "guard", "--min", "5000")
    assert enough.code == 0, enough.err
    assert "6,000" in enough.out
    assert _requests(server) == 1
    below = run_cli(home, "guard", "--min", "6001")
    assert below.code == 1
    assert "below" in below.err
    assert below.out == ""
    assert run_cli(home, "guard", "--min-percent", "60").code == 0
    assert run_cli(home, "guard", "--min-percent", "61").code == 1
    assert _requests(server) == 4


def test_a_fresh_saved_state_answers_without_a_request_an_old_one_does_not(
    home: Home, server: SimulatedLensmorServer
) -> None:
    _save(home, _balance(2_000), age=60)
    saved = run_cli(home, "guard", "--min", "5000", "--json")
    assert saved.code == 1  # the saved 2,000, not the server's 6,000
    data = json.loads(saved.out)
    assert data["source"] == "saved"
    assert data["enough"] is False
    assert data["totalBalance"] == 2_000
    assert _requests(server) == 0
    asked = run_cli(home, "guard", "--min", "5000", "--max-age", "30s", "--json")
    assert asked.code == 0
    assert json.loads(asked.out)["source"] == "request"
    assert _requests(server) == 1
    # A saved "key rejected" is not trusted: the key may have been replaced since.
    _save(home, _balance(9_000), 5, Problem.KEY_REJECTED)
    assert run_cli(home, "guard", "--min", "7000").code == 1
    assert _requests(server) == 2


def test_a_rejected_key_exits_3_and_an_outage_69_unless_fail_open(
    home: Home, server: SimulatedLensmorServer, tmp_path: Path
) -> None:
    server.account.set_valid_keys([])
    rejected = run_cli(home, "guard", "--min", "1", "--fail-open")
    assert rejected.code == 3  # --fail-open is for "cannot tell" only
    assert "rejected" in rejected.err
    offline = {"LENSMOR_BASE_URL": _closed_port()}
    unknown = run_cli(home, "guard", "--min", "1", env=offline)
    assert unknown.code == 69
    assert len(unknown.err.strip().splitlines()) == 1
    marker = tmp_path / "ran"
    opened = run_cli(
        home, "guard", "--min", "1", "--fail-open", "--", "touch", str(marker), env=offline
    )
    assert opened.code == 0
    assert marker.exists()
    assert "--fail-open" in opened.err


def test_the_command_runs_only_with_enough_and_its_status_is_the_exit_status(
    home: Home, server: SimulatedLensmorServer, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    script = f"echo ran > {marker}; echo out; exit 7"
    ran = run_cli(home, "guard", "--min", "5000", "--", "sh", "-c", script)
    assert ran.code == 7
    assert ran.out == "out\n"
    assert marker.exists()
    marker.unlink()
    refused = run_cli(home, "guard", "--min", "9000", "--", "sh", "-c", script)
    assert refused.code == 1
    assert not marker.exists()
    assert refused.err.count("\n") == 1
    assert "not running sh" in refused.err
    missing = run_cli(home, "guard", "--min", "1", "--", "no-such-program-here")
    assert missing.code == 127
    assert "no-such-program-here" in missing.err


@pytest.mark.parametrize(
    "args",
    [
        ("guard",),
        ("guard", "--min", "1", "--min-percent", "5"),
        ("guard", "--min", "lots"),
        ("guard", "--min", "-5"),
        ("guard", "--min-percent", "150"),
        ("guard", "--min", "1", "--max-age", "soon"),
        ("guard", "--min", "1", "--bogus"),
        ("guard", "--min", "1", "--account", "Nobody"),
    ],
)
def test_bad_arguments_exit_64_and_run_nothing(
    home: Home, server: SimulatedLensmorServer, args: tuple[str, ...], tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    result = run_cli(home, *args, "--", "touch", str(marker))
    assert result.code == 64, result.err
    assert "Traceback" not in result.err
    assert not marker.exists()
    assert _requests(server) == 0


def test_several_accounts_need_account(home: Home, server: SimulatedLensmorServer) -> None:
    home.write_config('[[accounts]]\nname = "A"\n\n[[accounts]]\nname = "B"\n')
    result = run_cli(home, "guard", "--min", "1")
    assert result.code == 64
    assert "--account" in result.err


def test_with_the_running_app_the_guard_asks_nothing(
    home: Home, server: SimulatedLensmorServer
) -> None:
    remember_an_older_balance(home, "default")  # the app's first poll then differs
    home.env["LENSMOR_TRAY_PACING"] = "demo"
    with tray_process(home) as tray:
        tray.wait_for(lambda: "poll: balance 6000" in tray.log(), 30, "the app's poll")
        before = _requests(server)
        enough = run_cli(home, "guard", "--min", "5000", "--json")
        assert enough.code == 0
        assert json.loads(enough.out)["source"] == "saved"
        server.account.spend(3_000)  # the app has not seen it yet: the guard neither
        assert run_cli(home, "guard", "--min", "5000").code == 0
        assert _requests(server) - before <= 2  # only the app's own polls, if any
        assert run_cli(home, "guard", "--min", "5000", "--max-age", "0s").code == 1


def test_min_percent_of_an_account_with_no_total_cannot_tell(
    home: Home, server: SimulatedLensmorServer, tmp_path: Path
) -> None:
    _save(home, Balance(0, 0, 0, 0, 0, 0, None), age=5)
    marker = tmp_path / "ran"
    result = run_cli(home, "guard", "--min-percent", "10", "--", "touch", str(marker))
    assert result.code == 69, result.err
    assert not marker.exists()
    assert len(result.err.strip().splitlines()) == 1
    assert "totalAmount is 0" in result.err
    assert run_cli(home, "guard", "--min-percent", "10", "--fail-open").code == 0


def test_max_age_0_asks_the_api_even_for_a_balance_from_the_near_future(
    home: Home, server: SimulatedLensmorServer
) -> None:
    _save(home, _balance(2_000), age=-30)  # stamped 30 s ahead: a clock a little off
    asked = run_cli(home, "guard", "--min", "5000", "--max-age", "0", "--json")
    assert json.loads(asked.out)["source"] == "request"
    assert asked.code == 0
    assert _requests(server) == 1


def test_the_command_gets_default_signals_and_no_key(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # `yes | head -1`: with SIGPIPE still ignored, yes would print "Broken pipe" and fail.
    script = "yes | head -1; env | grep -c LENSMOR_API_KEY || true; grep SigIgn /proc/self/status"
    ran = run_cli(home, "guard", "--min", "1", "--", "sh", "-c", f"exec sh -c '{script}' 2>&1")
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0] == "y"
    assert lines[1] == "0"  # the key is not in the command's environment
    assert "Broken pipe" not in ran.out + ran.err
    ignored = int(lines[2].split()[1], 16)
    assert not ignored & (1 << (13 - 1))  # SIGPIPE
