"""`lensmor-tray` as a user runs it: a child process, its exit code, stdout and stderr."""

from __future__ import annotations

import json
import re
import stat
import time
from collections.abc import Iterator

import pytest

from tests.conftest import CANARY_KEY, REPO, Home, run_cli
from tray_app import __version__
from tray_app.demo.server import DEMO_KEY, Fault, SimulatedLensmorServer


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as srv:
        yield srv


def env_for(server: SimulatedLensmorServer, key: str = DEMO_KEY) -> dict[str, str]:
    return {"LENSMOR_BASE_URL": server.url, "LENSMOR_API_KEY": key}


def assert_one_clean_line(err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err


def test_version(home: Home) -> None:
    result = run_cli(home, "--version")
    assert result.code == 0
    assert result.out.strip() == f"lensmor-tray {__version__}"


def test_status_json_prints_the_api_fields_unchanged(
    home: Home, server: SimulatedLensmorServer
) -> None:
    server.account.set_balance(
        subscriptionAmount=35000, subscriptionBalance=5000, giftAmount=50, giftBalance=50
    )
    result = run_cli(home, "status", "--json", env=env_for(server))
    assert result.code == 0, result.err
    data = json.loads(result.out)
    snapshot = server.account.snapshot()
    for name, value in snapshot.items():
        assert data[name] == value
    assert data["level"] == "low"
    assert data["percentRemaining"] == round(5050 / 35050 * 100, 2)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["fetchedAt"])


def test_status_text_is_readable(home: Home, server: SimulatedLensmorServer) -> None:
    server.account.set_balance(
        subscriptionAmount=35000, subscriptionBalance=30000, giftAmount=50, giftBalance=50
    )
    result = run_cli(home, "status", env=env_for(server))
    assert result.code == 0, result.err
    assert "30,050 of 35,050 (86%)" in result.out
    assert "Subscription: 30,000 of 35,000" in result.out
    assert "Gift:         50 of 50" in result.out
    assert "Reset:" in result.out


def test_thresholds_from_the_config_decide_the_level(
    home: Home, server: SimulatedLensmorServer
) -> None:
    home.write_config('[alerts]\nthresholds = ["90%", "50%"]\n')
    server.account.set_balance(
        subscriptionAmount=35000, subscriptionBalance=30000, giftAmount=50, giftBalance=50
    )
    result = run_cli(home, "status", "--json", env=env_for(server))
    assert json.loads(result.out)["level"] == "low"


@pytest.mark.parametrize(
    ("fault", "code", "words"),
    [
        (Fault.status(503), 4, "server error (HTTP 503)"),
        (Fault.body(b"<html>", content_type="text/html"), 4, "not JSON"),
        (Fault.drop(), 4, "check your connection"),
    ],
)
def test_failures_map_to_exit_codes_with_one_line(
    home: Home, server: SimulatedLensmorServer, fault: Fault, code: int, words: str
) -> None:
    server.account.inject(fault)
    result = run_cli(home, "status", env=env_for(server))
    assert result.code == code
    assert words in result.err
    assert_one_clean_line(result.err)


def test_status_ends_at_the_deadline_when_the_server_dribbles_its_headers(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # One header byte every second: each read beats the demo profile's 3 s read timeout, so
    # only the overall deadline (4 s under LENSMOR_TRAY_PACING=demo) ends the request.
    server.account.inject(Fault.slow_headers(1.0))
    started = time.monotonic()
    result = run_cli(home, "status", env={**env_for(server), "LENSMOR_TRAY_PACING": "demo"})
    elapsed = time.monotonic() - started
    assert result.code == 4
    assert "answered too slowly" in result.err
    assert_one_clean_line(result.err)
    assert elapsed < 4.0 + 5.0  # the deadline plus the interpreter's start-up, not the dribble


def test_rate_limited_exits_5_with_the_wait(home: Home, server: SimulatedLensmorServer) -> None:
    server.account.set_rate_limit(1, 60)
    assert run_cli(home, "status", env=env_for(server)).code == 0
    result = run_cli(home, "status", env=env_for(server))
    assert result.code == 5
    assert "try again in" in result.err
    assert "traceId" in result.err
    assert_one_clean_line(result.err)


def test_a_rejected_key_exits_3_and_never_prints_the_key(
    home: Home, server: SimulatedLensmorServer
) -> None:
    result = run_cli(home, "status", env=env_for(server, key=CANARY_KEY))
    assert result.code == 3
    assert "key was rejected" in result.err
    assert "lensmor-tray key set" in result.err
    assert CANARY_KEY not in result.err + result.out
    assert_one_clean_line(result.err)


def test_no_key_exits_3(home: Home, server: SimulatedLensmorServer) -> None:
    result = run_cli(home, "status", env={"LENSMOR_BASE_URL": server.url})
    assert result.code == 3
    assert "no API key is set" in result.err


def test_a_bad_config_exits_2_and_is_left_untouched(home: Home) -> None:
    path = home.write_config("poll_interval = 5\n")
    result = run_cli(home, "status")
    assert result.code == 2
    assert "poll_interval must be from 30 to 86400 seconds" in result.err
    assert_one_clean_line(result.err)
    assert path.read_text() == "poll_interval = 5\n"


def test_plain_http_to_a_remote_host_exits_2(home: Home) -> None:
    result = run_cli(
        home,
        "status",
        env={"LENSMOR_BASE_URL": "http://example.com", "LENSMOR_API_KEY": DEMO_KEY},
    )
    assert result.code == 2
    assert "plain http" in result.err


def test_config_option_overrides_the_default_path(
    home: Home, server: SimulatedLensmorServer
) -> None:
    other = home.root / "other.toml"
    other.write_text(f'base_url = "{server.url}"\n')
    result = run_cli(home, "--config", str(other), "status", env={"LENSMOR_API_KEY": DEMO_KEY})
    assert result.code == 0, result.err
    missing = run_cli(home, "--config", str(home.root / "nope.toml"), "status")
    assert missing.code == 2
    assert "does not exist" in missing.err


def test_usage_errors_exit_2(home: Home) -> None:
    assert run_cli(home, "frobnicate").code == 2
    assert run_cli(home, "status", "--bogus").code == 2


def test_key_set_show_clear_with_the_file_fallback(
    home: Home, server: SimulatedLensmorServer
) -> None:
    result = run_cli(home, "key", "set", input_text=DEMO_KEY + "\n")
    assert result.code == 0, result.err
    assert "less safe" in result.err  # no keyring here: the 0600 file, with a warning
    assert DEMO_KEY not in result.out + result.err
    key_file = home.config_dir / "api-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    shown = run_cli(home, "key", "show")
    assert shown.code == 0
    assert shown.out.startswith("uak_…cdef")
    assert "file" in shown.out
    assert DEMO_KEY not in shown.out

    status = run_cli(home, "status", "--json", env={"LENSMOR_BASE_URL": server.url})
    assert status.code == 0, status.err

    cleared = run_cli(home, "key", "clear")
    assert cleared.code == 0
    assert not key_file.exists()
    assert run_cli(home, "key", "show").code == 3


def test_key_set_uses_the_keyring_when_there_is_one(home: Home) -> None:
    env = {
        "PYTHON_KEYRING_BACKEND": "tests.support.file_keyring.FileKeyring",
        "TEST_KEYRING_FILE": str(home.root / "keyring.json"),
    }
    result = run_cli(home, "key", "set", input_text=DEMO_KEY, env=env)
    assert result.code == 0, result.err
    assert "OS keyring" in result.out
    assert not (home.config_dir / "api-key").exists()
    shown = run_cli(home, "key", "show", env=env)
    assert "OS keyring" in shown.out


def test_key_set_warns_about_an_unusual_key_and_refuses_garbage(home: Home) -> None:
    odd = run_cli(home, "key", "set", input_text="abcdefghijklmnop")
    assert odd.code == 0
    assert "does not look like a Lensmor key" in odd.err
    empty = run_cli(home, "key", "set", input_text="\n")
    assert empty.code == 2
    assert "empty" in empty.err


def test_the_environment_key_is_reported_as_the_source(home: Home) -> None:
    result = run_cli(home, "key", "show", env={"LENSMOR_API_KEY": CANARY_KEY})
    assert "environment" in result.out
    assert CANARY_KEY not in result.out


def test_python_m_and_the_console_script_agree(home: Home) -> None:
    script = REPO / ".venv" / "bin" / "lensmor-tray"
    if not script.exists():
        pytest.skip("the console script exists only in an installed venv")
    import subprocess

    out = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, env=home.env, check=True
    )
    assert out.stdout.strip() == f"lensmor-tray {__version__}"


def test_history_prints_changes_and_daily_usage(home: Home) -> None:
    from tray_app.core.balance import Balance
    from tray_app.history.store import HistoryStore

    assert run_cli(home, "history").code == 1  # nothing recorded yet: says so, exit 1
    now = __import__("time").time()
    reset = int((now + 10 * 86400) * 1000)
    with HistoryStore.open(home.data_dir / "history.sqlite3") as store:
        for hours_ago, left in ((5, 30_000), (3, 27_500), (1, 27_000)):
            balance = Balance(35_000, left, 35_000, left, 0, 0, reset)
            store.record_balance(now - hours_ago * 3600, balance)
    text = run_cli(home, "history")
    assert text.code == 0, text.err
    assert "27,000" in text.out
    assert "Daily usage" in text.out
    as_json = run_cli(home, "history", "--json")
    assert as_json.code == 0
    data = json.loads(as_json.out)
    assert [c["balance"] for c in data["changes"]][:2] == [27_000, 27_500]
    assert data["changes"][0]["delta"] == -500
    assert run_cli(home, "history", "--days", "0").code == 2
