"""Issue 18, the running tray follows a reload: the CLI's `key set`, `account add` and
`account remove` reach the running tray at once, the feed files (Prometheus, waybar) are
rewritten at the reload, a poll in flight for a removed account does not bring it back, and
the Usage… row passes an account whose name starts with a dash.

Most tests run the real `lensmor-tray run` headless (no display: app/tray_app.py's headless
tray) against the simulated API on loopback, as a user's tray runs, and count what reaches the
server; the in-process ones build a real TrayApp with a headless tray.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Home, run_cli
from tests.scenarios.reload_rig import (
    HOME_KEY,
    WORK_KEY,
    WRONG_KEY,
    _paths,
    fixture_server,  # noqa: F401 (the `server` fixture)
    requests_of,
    running_app,
    store_key,
    total_balances,
    tray_process,
    write_config,
)
from tests.support.waiting import poll_until
from tray_app.core.view import Action
from tray_app.demo.server import Fault, SimulatedLensmorServer
from tray_app.history.store import HistoryStore

# -- 2. the running tray follows the CLI ---------------------------------------------------------


def test_key_set_while_the_tray_shows_key_rejected_polls_at_once_with_the_new_key(
    home: Home, server: SimulatedLensmorServer
) -> None:
    write_config(home, server, ["Work"])
    store_key(home, "Work", WRONG_KEY)
    with tray_process(home) as tray:
        tray.wait_started()
        tray.wait_for(lambda: "poll: key_rejected" in tray.log(), 20, "the key to be rejected")
        rejected = len(requests_of(server, "Work"))
        result = run_cli(home, "key", "set", "--account", "Work", input_text=WORK_KEY + "\n")
        assert result.code == 0, result.err
        assert f"asked the running app (pid {tray.pid}) to reload" in result.out
        assert result.out.count("\n") == 2  # "saved …" and that one line
        tray.wait_for(
            lambda: "poll: balance 10000 of 10000" in tray.log(), 10, "a poll with the new key"
        )
        assert len(requests_of(server, "Work")) == rejected + 1
        status = run_cli(home, "status", "--cached", "--json")
        assert json.loads(status.out)["totalBalance"] == 10_000, status.out


def test_account_add_and_remove_are_followed_by_the_running_tray(
    home: Home, server: SimulatedLensmorServer
) -> None:
    write_config(home, server, ["Work"])
    store_key(home, "Work", WORK_KEY)
    with tray_process(home) as tray:
        tray.wait_started()
        tray.wait_for(lambda: requests_of(server, "Work"), 20, "Work's first poll")
        added = run_cli(
            home, "account", "add", "Home", "--base-url", server.url, input_text=HOME_KEY + "\n"
        )
        assert added.code == 0, added.err
        assert f"asked the running app (pid {tray.pid}) to reload" in added.out
        # `account add` tested the key once itself; the tray's own poll is the second.
        tray.wait_for(lambda: len(requests_of(server, "Home")) >= 2, 20, "the tray polling Home")
        removed = run_cli(home, "account", "remove", "Home")
        assert removed.code == 0, removed.err
        assert f"asked the running app (pid {tray.pid}) to reload" in removed.out
        tray.wait_for(lambda: " 1 removed" in tray.log(), 20, "the reload after remove")
        polled = len(requests_of(server, "Home"))
        work = len(requests_of(server, "Work"))
        assert run_cli(home, "refresh").code == 0
        tray.wait_for(lambda: len(requests_of(server, "Work")) > work, 10, "Work's refresh")
        time.sleep(1.0)
        assert len(requests_of(server, "Home")) == polled  # a removed account is not polled


# -- 3. the feeds follow a reload ------------------------------------------------------------


def prometheus_accounts(path: Path) -> set[str]:
    return {
        sample.labels["account"]
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
        if "account" in sample.labels
    }


def test_remove_and_reload_rewrite_both_feeds_at_once(
    home: Home, server: SimulatedLensmorServer, tmp_path: Path
) -> None:
    prom, waybar = tmp_path / "lensmor.prom", tmp_path / "waybar.json"
    feeds = f'[integrations]\nprometheus_textfile = "{prom}"\nwaybar_file = "{waybar}"\n\n'
    write_config(home, server, ["Work", "Home"], feeds)
    store_key(home, "Work", WORK_KEY)
    store_key(home, "Home", HOME_KEY)
    with tray_process(home) as tray:
        tray.wait_started()

        def both_in_feeds() -> bool:
            return prom.exists() and prometheus_accounts(prom) == {"Work", "Home"}

        tray.wait_for(both_in_feeds, 20, "both accounts in the feed files")
        tray.wait_for(lambda: "Home" in waybar.read_text(), 10, "both in the waybar line")
        assert json.loads(waybar.read_text())["class"] == "critical"  # Home, the worst
        write_config(home, server, ["Work"], feeds)  # Home removed by hand
        tray.send(signal.SIGHUP)
        # At the reload, not at Work's next poll (30 s away).
        tray.wait_for(lambda: "Home" not in waybar.read_text(), 5, "Home to leave waybar")
        # One account left: its series, without an account label (a single account's shape).
        assert "Home" not in prom.read_text()
        assert total_balances(prom) == [10_000.0]
        line = json.loads(waybar.read_text())
        assert line["class"] == "ok"  # the worst account is Work now
        assert "Home" not in line["tooltip"]


def test_a_poll_in_flight_for_a_removed_account_does_not_bring_it_back(
    home: Home, server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    prom, waybar = tmp_path / "lensmor.prom", tmp_path / "waybar.json"
    feeds = f'[integrations]\nprometheus_textfile = "{prom}"\nwaybar_file = "{waybar}"\n\n'
    write_config(home, server, ["Work", "Home"], feeds)
    store_key(home, "Work", WORK_KEY)
    store_key(home, "Home", HOME_KEY)
    with running_app(home, monkeypatch) as app:
        poll_until(
            lambda: prom.exists() and prometheus_accounts(prom) == {"Work", "Home"},
            20,
            "both accounts polled",
        )
        with HistoryStore.open(_paths(home).history_db_for("Home")) as store:
            rows = len(store.records(0))
        server.accounts["Home"].spend(50)  # the answer in flight would be a new balance
        server.accounts["Home"].inject(Fault.slow(2.0))
        home_runtime = app.accounts.all()[1]
        # Its first poll has finished (its alerts delivered) and the next one is planned.
        assert app.scheduler is not None
        home_polls = app.scheduler.account(home_runtime.name)
        poll_until(lambda: home_polls.next_poll_at, 20, "Home's first poll done")
        home_polls.refresh_now()
        poll_until(lambda: len(requests_of(server, "Home")) >= 2, 10, "Home's slow poll")
        write_config(home, server, ["Work"], feeds)
        assert app.reload()
        time.sleep(3.0)  # the slow answer has come and gone
        assert "Home" not in prom.read_text()
        assert "Home" not in waybar.read_text()
        assert app.board is not None
        assert app.board.badge_account() == "Work"
        with HistoryStore.open(_paths(home).history_db_for("Home")) as store:
            assert len(store.records(0)) == rows


# -- 4. the Usage… row -------------------------------------------------------------------------


def test_the_usage_row_passes_an_account_that_starts_with_a_dash(
    home: Home,
    server: SimulatedLensmorServer,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    write_config(home, server, ["-Ops", "Work"], 'badge_account = "-Ops"\n\n')
    store_key(home, "Work", WORK_KEY)
    err = ""

    def said() -> bool:
        nonlocal err
        err += capfd.readouterr().err
        return "cannot open the Usage window" in err

    with running_app(home, monkeypatch) as app:
        capfd.readouterr()
        app._on_action(Action.USAGE)  # the menu's Usage… row
        # No display here, so the window cannot open; but the account was accepted.
        poll_until(said, 60, "the Usage window's one line")
    assert "expected one argument" not in err
