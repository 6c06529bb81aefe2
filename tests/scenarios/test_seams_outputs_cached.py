"""Issue 18, where outputs meet other programs: `status --cached` has the shape of
`status --json` for the same config, and lists an account not polled yet (grey, not an error).

Everything runs the real `lensmor-tray` in a child process on state written by the app's own
store, and each output is read back the way its program reads it (outputs_rig.py): Pango's own
markup parser, prometheus_client's parser, Python's csv, and small ports of xbar's and
polybar's line parsers.
"""

from __future__ import annotations

import json

from tests.conftest import Home, run_cli
from tests.scenarios.outputs_rig import (
    BALANCE,
    cached,
    metrics,
    pango_text,
    save_state,
    write_accounts,
    xbar_menu,
)
from tests.unit.cli.test_account import server, two_accounts  # noqa: F401 (fixtures used below)
from tray_app.demo.server import SimulatedLensmorServer

# -- 1. status --cached has the shape of status --json -------------------------------------------


def test_cached_json_of_two_accounts_is_status_jsons_list_with_one_not_polled(
    two_accounts: Home,  # noqa: F811 (pytest passes the fixture imported above)
    server: SimulatedLensmorServer,  # noqa: F811
) -> None:
    live = run_cli(two_accounts, "status", "--json")
    assert live.code == 0, live.err
    live_entries = json.loads(live.out)["accounts"]
    save_state(two_accounts, "Work")  # Home has not been polled yet

    data = json.loads(cached(two_accounts, "--json"))
    assert list(data) == ["accounts"]
    work, home = data["accounts"]
    assert [work["account"], home["account"]] == [e["account"] for e in live_entries]
    assert set(live_entries[0]) <= set(work)
    assert set(live_entries[1]) <= set(home)
    assert work["totalBalance"] == 5050
    assert home["totalBalance"] is None
    assert home["fetchedAt"] is None
    assert home["stale"] is True
    assert home["reason"] == "not polled yet"

    save_state(two_accounts, "Home")
    both = json.loads(cached(two_accounts, "--format", "json"))["accounts"]
    assert isinstance(both, list)  # was {"accounts": {"Work": {...}, "Home": {...}}}
    assert [(e["account"], e["totalBalance"]) for e in both] == [("Work", 5050), ("Home", 5050)]
    # One account chosen: the object itself, as `status --json --account Work` prints it.
    one = json.loads(cached(two_accounts, "--json", "--account", "Work"))
    assert "accounts" not in one
    assert "account" not in one
    assert one["totalBalance"] == 5050


def test_cached_text_and_bars_list_an_account_not_polled_yet(home: Home) -> None:
    write_accounts(home, ["Work", "Home"])
    save_state(home, "Work")
    text = cached(home)
    work, not_polled = text.rstrip("\n").split("\n\n")
    assert work.splitlines()[0] == "Work"  # status's own shape: the name, then its text
    assert work.splitlines()[1] == "  Lensmor credits: 5,050 of 35,050 (14%) - low"
    assert "(20 s ago)" in work or "(21 s ago)" in work
    assert not_polled == "Home\n  not polled yet"

    waybar = json.loads(cached(home, "--format", "waybar"))
    assert waybar["text"] == "Work: 5k (14%)"
    assert pango_text(waybar["tooltip"]).split("\n")[1] == "Home — not polled yet"
    i3_full = cached(home, "--format", "i3blocks").splitlines()[0]
    assert "Home: not polled yet" in i3_full
    _titles, dropdown = xbar_menu(cached(home, "--format", "xbar").rstrip("\n"))
    assert (0, "Home") in dropdown
    assert dropdown[dropdown.index((0, "Home")) + 1] == (1, "not polled yet")
    stale = metrics(cached(home, "--format", "prometheus"))["lensmor_credits_stale"]
    assert stale == [({"account": "Work"}, 0.0), ({"account": "Home"}, 1.0)]


def test_a_not_polled_account_is_grey_not_an_error_and_never_the_worst_over_a_low_one(
    home: Home,
) -> None:
    write_accounts(home, ["Work", "Home"])
    save_state(
        home, "Home", balance={**BALANCE, "totalBalance": 30050, "subscriptionBalance": 30000}
    )
    waybar = json.loads(cached(home, "--format", "waybar"))
    assert waybar["class"] == "stale"
    assert waybar["text"] == "Work: not polled yet"
    save_state(home, "Work")  # low
    assert json.loads(cached(home, "--format", "waybar"))["class"] == "low"
