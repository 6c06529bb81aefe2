"""Issue 18, where outputs meet other programs: the hostile sweep (huge numbers, odd names,
unreadable, empty, newer or damaged state files), each read back in every format.

Everything runs the real `lensmor-tray` in a child process on state written by the app's own
store, and each output is read back the way its program reads it (outputs_rig.py): Pango's own
markup parser, prometheus_client's parser, Python's csv, and small ports of xbar's and
polybar's line parsers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from tests.conftest import Home, run_cli
from tests.scenarios.outputs_rig import (
    BALANCE,
    EVERY_SPECIAL,
    cached,
    metrics,
    pango_text,
    paths_of,
    polybar_parts,
    save_state,
    write_accounts,
    xbar_menu,
)
from tray_app.core import feed
from tray_app.core.balance import parse_balance
from tray_app.core.levels import DEFAULT_THRESHOLDS
from tray_app.core.state import MonitorState, PollResult, Problem, advance

FORMATS = ("text", "json", "waybar", "i3blocks", "polybar", "xbar", "prometheus")

# -- 4. the hostile sweep -------------------------------------------------------------------------

#: The largest balance the app accepts (core.balance.MAX_CREDITS), beyond a double's 2**53.
HUGE = {
    "totalAmount": 10**15,
    "totalBalance": 10**15 - 1,
    "subscriptionAmount": 10**15 - 50,
    "subscriptionBalance": 10**15 - 51,
    "giftAmount": 50,
    "giftBalance": 50,
    "resetAt": 4_102_444_800_000,  # 2100-01-01
}


def check_every_format(home: Home, names: Sequence[str]) -> dict[str, str]:
    """Every format once; each read back as its program reads it. Returns the outputs."""
    outs = {name: cached(home, "--format", name).rstrip("\n") for name in FORMATS}
    data = json.loads(outs["json"])
    if len(names) > 1:
        assert [e["account"] for e in data["accounts"]] == list(names)
    waybar = json.loads(outs["waybar"])
    pango_text(waybar["text"])
    tooltip = pango_text(waybar["tooltip"]).split("\n")
    assert len(tooltip) == len(names)
    assert len(outs["i3blocks"].split("\n")) == 3
    tags, _text = polybar_parts(outs["polybar"])
    assert len(tags) == 2
    assert tags[1] == "F-"
    titles, _dropdown = xbar_menu(outs["xbar"])
    assert len(titles) == 1
    stale = metrics(outs["prometheus"])["lensmor_credits_stale"]
    assert len(stale) == len(names)
    assert "Traceback" not in outs["text"]
    return outs


def test_sweep_huge_numbers_and_no_reset_in_every_format(home: Home) -> None:
    names = ["Big", "Gifts only"]
    write_accounts(home, names)
    save_state(home, "Big", balance=HUGE)
    save_state(home, "Gifts only", balance={**BALANCE, "resetAt": None})
    outs = check_every_format(home, names)
    big = json.loads(outs["json"])["accounts"][0]
    assert big["totalBalance"] == 10**15 - 1  # exact in JSON, not a rounded float
    assert pango_text(json.loads(outs["waybar"])["text"]) == "Gifts only: 5k (14%)"
    assert "999,999,999,999,999 of 1,000,000,000,000,000" in outs["text"]
    assert "no scheduled reset" in outs["text"]
    resets = metrics(outs["prometheus"])["lensmor_credits_reset_timestamp_seconds"]
    assert resets == [({"account": "Big"}, 4_102_444_800.0)]  # none for the gift-only one


def test_sweep_hostile_names_not_polled_stale_and_rejected_in_every_format(home: Home) -> None:
    names = [EVERY_SPECIAL, "R&D", "--Ops", "not yet"]
    write_accounts(home, names, extra="poll_interval = 60\n")
    save_state(home, EVERY_SPECIAL, age=600)  # stale: older than two poll intervals
    save_state(home, "R&D", problem=Problem.KEY_REJECTED)
    save_state(home, "--Ops", balance=HUGE)
    outs = check_every_format(home, names)
    entries = json.loads(outs["json"])["accounts"]
    assert [e["stale"] for e in entries] == [True, True, False, True]  # rejected: not current
    assert entries[1]["problem"] == "key_rejected"
    assert entries[3]["reason"] == "not polled yet"
    assert json.loads(outs["waybar"])["class"] == "error"
    assert pango_text(json.loads(outs["waybar"])["text"]) == "R&D: Key rejected"


def test_sweep_one_unreadable_state_of_two_does_not_hide_the_other(home: Home) -> None:
    write_accounts(home, ["Work", "Home"])
    save_state(home, "Work")
    broken = paths_of(home).history_db_for("Home")
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"this is not a database at all" * 100)
    result = run_cli(home, "status", "--cached", "--json")
    assert result.code == 4
    assert "Traceback" not in result.err
    assert result.err.count("\n") == 1
    assert result.err.startswith("lensmor-tray: Home: cannot read the saved state")
    work, home_entry = json.loads(result.out)["accounts"]
    assert work["totalBalance"] == 5050
    assert home_entry["reason"] == "saved state unreadable"
    text = run_cli(home, "status", "--cached")
    assert "Home\n  saved state unreadable" in text.out
    assert broken.read_bytes() == b"this is not a database at all" * 100  # never touched


def test_sweep_an_empty_state_file_counts_as_not_polled(home: Home) -> None:
    write_accounts(home, ["Work", "Home"])
    save_state(home, "Work")
    empty = paths_of(home).history_db_for("Home")
    empty.parent.mkdir(parents=True, exist_ok=True)
    empty.write_bytes(b"")
    entries = json.loads(cached(home, "--json"))["accounts"]
    assert entries[1]["reason"] == "not polled yet"
    assert empty.read_bytes() == b""
    write_accounts(home, ["Home"])
    never = run_cli(home, "status", "--cached")
    assert never.code == 1
    assert "start the tray app" in never.err


def test_sweep_a_state_written_by_a_newer_version_says_so(home: Home) -> None:
    write_accounts(home, ["Work", "Home"])
    save_state(home, "Work")
    newer = {**MonitorState().to_json(), "version": 2, "balance": {"credits": {"total": 1}}}
    save_state(home, "Home", monitor=newer)
    entries = json.loads(cached(home, "--json"))["accounts"]
    assert entries[1]["reason"] == "saved by a newer version of lensmor-tray"
    assert "Home\n  saved by a newer version of lensmor-tray" in cached(home)
    waybar = json.loads(cached(home, "--format", "waybar"))
    assert "Home — saved by a newer version of lensmor-tray" in pango_text(waybar["tooltip"])


def test_sweep_core_formats_survive_a_not_a_number_and_an_empty_view() -> None:
    """The pure formats on their own: a snapshot with nothing at all in it still gives output
    each program reads (the feed files the app writes go through the same functions)."""
    now = 1_796_000_000.0
    empty = feed.unknown_account(feed.NOT_POLLED, DEFAULT_THRESHOLDS, 300.0, now, "a&<b>|--")
    other = feed.snapshot_of(
        advance(MonitorState(), PollResult(now - 5, problem=Problem.OFFLINE, message="x")),
        DEFAULT_THRESHOLDS,
        300.0,
        now,
        "x",
    )
    pango_text(json.loads(feed.waybar([empty, other]))["tooltip"])
    xbar_menu(feed.xbar([empty, other], "AAAA", ["lensmor-tray", "refresh"]))
    assert metrics(feed.prometheus([empty, other]))["lensmor_credits"] == []
    assert feed.json_object(other)["reason"] == "Cannot reach Lensmor"


def test_sweep_a_saved_time_out_of_any_calendar_is_unknown_not_a_traceback(home: Home) -> None:
    write_accounts(home, ["Work", "Home"])
    save_state(home, "Work")
    damaged = {
        **advance(
            MonitorState(), PollResult(time.time(), balance=parse_balance(BALANCE))
        ).to_json(),
        "fetchedAt": 1e20,  # past the year 9999: the date functions raise OverflowError
        "problem": "offline",
        "problemSince": -1e300,
        "lastPollAt": 1e308,
    }
    save_state(home, "Home", monitor=damaged)
    outs = check_every_format(home, ["Work", "Home"])
    home_entry = json.loads(outs["json"])["accounts"][1]
    assert home_entry["fetchedAt"] is None
    assert home_entry["stale"] is True
    assert home_entry["totalBalance"] == 5050
    assert "Home\n  Lensmor credits: 5,050 of 35,050 (14%) - low" in outs["text"]
