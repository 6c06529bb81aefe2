"""`status --cached` and `--format`, through the real `lensmor-tray` in a child process: what the
app saved is printed with its age, offline, without a key and without loading the HTTP client."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Home, run_cli
from tray_app.core.balance import parse_balance
from tray_app.core.state import MonitorState, PollResult, Problem, advance
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer
from tray_app.history.store import HistoryStore

BALANCE = {
    "totalAmount": 35050,
    "totalBalance": 5050,
    "subscriptionAmount": 35000,
    "subscriptionBalance": 5000,
    "giftAmount": 50,
    "giftBalance": 50,
    "resetAt": None,
}


def save_state(home: Home, *, age: float, problem: Problem | None = None) -> None:
    now = time.time()
    state = advance(MonitorState(), PollResult(now - age, balance=parse_balance(BALANCE)))
    if problem is not None:
        state = advance(state, PollResult(now - 1, problem=problem, message="x"))
    home.data_dir.mkdir(parents=True, exist_ok=True)
    with HistoryStore.open(home.data_dir / "history.sqlite3") as store:
        store.save_state({"monitor": state.to_json(), "alerts": {}})


def test_never_ran_exits_1_with_a_one_line_hint(home: Home) -> None:
    result = run_cli(home, "status", "--cached", "--format", "waybar")
    assert result.code == 1
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert "start the tray app" in result.err


def test_cached_text_says_how_old_the_data_is_without_a_key(home: Home) -> None:
    save_state(home, age=120)
    result = run_cli(home, "status", "--cached", env={"LENSMOR_BASE_URL": "http://127.0.0.1:9"})
    assert result.code == 0, result.err
    assert "Lensmor credits: 5,050 of 35,050 (14%) - low" in result.out
    assert "(2 min ago)" in result.out
    assert "out of date" not in result.out


def test_cached_is_stale_past_two_poll_intervals(home: Home) -> None:
    home.write_config("poll_interval = 60\n")
    home.config_file.chmod(0o600)
    save_state(home, age=121)
    out = run_cli(home, "status", "--cached", "--format", "json")
    data = json.loads(out.out)
    assert data["stale"] is True
    assert data["totalBalance"] == 5050
    assert data["fetchedAt"].endswith("Z")
    waybar = json.loads(run_cli(home, "status", "--cached", "--format", "waybar").out)
    assert waybar["class"] == "stale"
    assert "out of date" in run_cli(home, "status", "--cached").out


def test_cached_shows_the_last_polls_problem(home: Home) -> None:
    save_state(home, age=30, problem=Problem.KEY_REJECTED)
    waybar = json.loads(run_cli(home, "status", "--cached", "--format", "waybar").out)
    assert waybar["class"] == "error"
    assert waybar["text"] == "Key rejected"
    prom = run_cli(home, "status", "--cached", "--format", "prometheus").out
    stale = {f.name: f.samples for f in text_string_to_metric_families(prom)}[
        "lensmor_credits_stale"
    ]
    assert stale[0].value == 1


def test_cached_never_loads_the_http_client(home: Home) -> None:
    save_state(home, age=5)
    code = (
        "import sys; from tray_app.cli.main import main; "
        "rc = main(['status', '--cached', '--format', 'waybar']); "
        "print('requests' in sys.modules, 'tray_app.api.client' in sys.modules, rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=home.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.stdout.strip().splitlines()[-1] == "False False 0", done.stderr


def test_an_unreadable_saved_state_is_one_line_not_a_traceback(home: Home) -> None:
    home.data_dir.mkdir(parents=True)
    (home.data_dir / "history.sqlite3").write_bytes(b"this is not a database at all" * 100)
    result = run_cli(home, "status", "--cached")
    assert result.code == 4
    assert "Traceback" not in result.err
    assert result.err.count("\n") == 1
    assert "cannot read the saved state" in result.err


def test_a_state_without_the_table_counts_as_never_ran(home: Home) -> None:
    home.data_dir.mkdir(parents=True)
    sqlite3.connect(home.data_dir / "history.sqlite3").close()
    assert run_cli(home, "status", "--cached").code == 1


def test_live_status_takes_the_same_formats(home: Home) -> None:
    with SimulatedLensmorServer() as server:
        env = {"LENSMOR_BASE_URL": server.url, "LENSMOR_API_KEY": DEMO_KEY}
        waybar = run_cli(home, "status", "--format", "waybar", env=env)
        data = json.loads(waybar.out)
        assert data["class"] == "ok"
        assert data["percentage"] == 100
        as_json = json.loads(run_cli(home, "status", "--json", env=env).out)
        assert as_json["stale"] is False
        assert "fetchedAt" in as_json
        polybar = run_cli(home, "status", "--format", "polybar", env=env).out.strip()
        assert polybar.startswith("%{F#")
        assert polybar.endswith("%{F-}")
        assert len(server.account.requests) == 3


def test_refresh_without_a_running_app_says_so(home: Home) -> None:
    result = run_cli(home, "refresh")
    assert result.code == 1
    assert "not running" in result.err
