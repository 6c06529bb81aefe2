"""Issue 18, where outputs meet other programs: every format escaped for the program that
reads it (waybar's Pango markup, polybar's tags, xbar's line syntax, Prometheus labels, CSV
cells in spreadsheets), and one wording for history events in `history` and its CSV.

Everything runs the real `lensmor-tray` in a child process on state written by the app's own
store, and each output is read back the way its program reads it (outputs_rig.py): Pango's own
markup parser, prometheus_client's parser, Python's csv, and small ports of xbar's and
polybar's line parsers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from tests.conftest import REPO, Home, run_cli
from tests.scenarios.outputs_rig import (
    BALANCE,
    EVERY_SPECIAL,
    cached,
    metrics,
    pango_text,
    paths_of,
    polybar_parts,
    save_state,
    shown,
    write_accounts,
    xbar_menu,
)
from tray_app.core import feed
from tray_app.core.balance import Balance, parse_balance
from tray_app.history.export import csv_text
from tray_app.history.store import HistoryStore

HOSTILE_NAMES = ("R&D", "<b>", "a&amp;", "%{F#f00}x%{B-}", "--Ops", "---", "a|b c", "C:\\new")


# -- 2. text for other programs, escaped for that program ----------------------------------------


def test_waybar_text_and_tooltip_are_pango_markup_for_hostile_names(home: Home) -> None:
    names = ["R&D", "<b>", "a&amp;", EVERY_SPECIAL]
    write_accounts(home, names)
    for name in names:
        save_state(home, name)
    save_state(home, "<b>", balance={**BALANCE, "totalBalance": 50, "subscriptionBalance": 0})
    waybar = json.loads(cached(home, "--format", "waybar"))
    assert pango_text(waybar["text"]) == "<b>: 50 (0%)"
    tooltip = pango_text(waybar["tooltip"]).split("\n")
    assert [line.split(" — ")[0] for line in tooltip] == names
    # One account: no name in the text, and the tooltip still parses.
    write_accounts(home, ["R&D"])
    one = json.loads(cached(home, "--format", "waybar"))
    assert pango_text(one["tooltip"]).startswith("Lensmor: 5,050 of 35,050 credits")


def test_the_readme_says_waybar_gets_markup_and_its_snippet_does_not_escape_it_again() -> None:
    readme = (REPO / "README.md").read_text()
    snippet = re.search(r"<!-- snippet: waybar -->\n```json\n(.*?)```", readme, re.S)
    assert snippet is not None
    module = json.loads(snippet.group(1))["custom/lensmor"]
    assert module.get("escape", False) is False  # "escape": true would show "R&amp;D"
    assert "Pango markup" in readme


def test_polybar_shows_a_hostile_name_as_text_inside_its_one_colour_tag(home: Home) -> None:
    name = "%{F#f00}x%{B-}"
    write_accounts(home, [name, "b"])
    save_state(home, name, balance={**BALANCE, "totalBalance": 50, "subscriptionBalance": 0})
    save_state(home, "b")
    tags, text = polybar_parts(cached(home, "--format", "polybar").rstrip("\n"))
    assert tags == ["F" + feed.CLASS_COLOUR[feed.FeedClass.CRITICAL], "F-"]
    assert text == "% {F#f00}x% {B-}: 50 (0%)"


def test_xbar_menu_keeps_each_hostile_name_as_one_row_of_text(home: Home) -> None:
    names = [*HOSTILE_NAMES, ":smile:", EVERY_SPECIAL]
    write_accounts(home, names)
    for name in names:
        save_state(home, name)
    out = cached(home, "--format", "xbar").rstrip("\n")
    titles, dropdown = xbar_menu(out)
    assert len(titles) == 1
    top_rows = [shown(text) for depth, text in dropdown if depth == 0]
    expected = [n.replace("|", "¦") for n in names]
    assert top_rows == [*expected, "Refresh"]
    assert [d for d, _ in dropdown].count(-1) == 1  # the one separator before Refresh
    assert max(d for d, _ in dropdown) == 1  # no name made a deeper submenu


def test_prometheus_labels_of_every_special_character_parse_back(home: Home) -> None:
    names = [EVERY_SPECIAL, 'q"uo\\te', "{a=b,c}"]
    write_accounts(home, names)
    for name in names:
        save_state(home, name)
    parsed = metrics(cached(home, "--format", "prometheus"))
    accounts = [labels["account"] for labels, _ in parsed["lensmor_credits_stale"]]
    assert accounts == names
    totals = {
        labels["account"]: value
        for labels, value in parsed["lensmor_credits"]
        if labels["kind"] == "total" and labels["quantity"] == "balance"
    }
    assert totals == dict.fromkeys(names, 5050.0)


FORMULAS = ['=HYPERLINK("http://x.example","y")', "-2+3", "+1", "@SUM(A1)"]


@pytest.mark.parametrize("name", FORMULAS)
def test_history_csv_writes_a_formula_like_account_name_as_text(home: Home, name: str) -> None:
    write_accounts(home, [name, "b"])
    with HistoryStore.open(paths_of(home).history_db_for(name)) as store:
        store.record_balance(1_767_225_600.0, parse_balance(BALANCE))
    result = run_cli(home, "history", "--csv", f"--account={name}")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [row["account"] for row in rows] == ["'" + name]
    assert rows[0]["totalBalance"] == "5050"


def test_csv_cells_that_start_with_a_tab_or_return_are_text_and_numbers_stay_numbers() -> None:
    from tray_app.history.export import spreadsheet_text

    # (A name cannot hold a control character, but the rule is for every text cell.)
    assert spreadsheet_text("\rx") == "'\rx"
    for name in ("\tx", "=1+1"):
        row = next(csv.DictReader(io.StringIO(csv_text(records_with(5050), name), newline="")))
        assert row["account"] == "'" + name
        assert row["totalBalance"] == "5050"  # numbers are ours: never prefixed
    assert next(csv.DictReader(io.StringIO(csv_text(records_with(1), "a=b"))))["account"] == "a=b"


def records_with(total: int) -> list[Any]:
    from tray_app.core.usage_series import Recorded

    balance = parse_balance({**BALANCE, "totalBalance": total})
    return [Recorded(1_767_225_600.0, total, 0, balance)]


# -- 3. one wording for history events -----------------------------------------------------------


def test_history_names_a_gift_a_top_up_and_a_renewal_as_the_csv_does(home: Home) -> None:
    t0 = 1_767_225_600.0
    reset = int((t0 + 30 * 86400) * 1000)

    def bal(sub: int, gift: int = 50, amount: int = 35_000, reset_ms: int = reset) -> Balance:
        return Balance(amount + gift, sub + gift, amount, sub, gift, gift, reset_ms)

    db = paths_of(home).history_db
    db.parent.mkdir(parents=True, exist_ok=True)
    with HistoryStore.open(db) as store:
        store.record_balances(
            [
                (t0, bal(30_000)),
                (t0 + 3600, bal(29_000)),  # spent
                (t0 + 7200, bal(29_000, gift=550)),  # a gift of 500
                (t0 + 10800, bal(30_000, gift=550, amount=36_000)),  # a top-up of 1,000
                (t0 + 14400, bal(35_000, gift=550, amount=36_000, reset_ms=reset + 1)),  # renewal
            ]
        )
    report = run_cli(home, "history")
    assert report.code == 0, report.err
    notes = {
        line.split("->")[1].split()[0]: line.split("->")[1].split(None, 1)[1:]
        for line in report.out.splitlines()
        if "->" in line
    }
    rows = list(csv.DictReader(io.StringIO(run_cli(home, "history", "--csv").out)))
    events = {row["totalBalance"]: row["event"] for row in rows}
    assert events["29550"] == "gift"
    assert notes["29,550"] == ["(gift)"]  # was "(reset or top-up)"
    assert events["30550"] == "top-up"
    assert notes["30,550"] == ["(top-up)"]
    assert events["35550"] == "reset"
    assert notes["35,550"] == ["(renewal)"]
    assert notes["29,050"] == []  # spending has no note
    assert "reset or top-up" not in report.out
    as_json = json.loads(run_cli(home, "history", "--json").out)["changes"]
    assert {c["balance"]: c["event"] for c in as_json} == {
        35550: "reset",
        30550: "top-up",
        29550: "gift",
        29050: None,
    }
