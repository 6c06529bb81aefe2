"""Issue 18, where outputs meet other programs: `status --cached` in the shape of `status --json`
for the same config, every format escaped for the program that reads it (waybar's Pango markup,
polybar's tags, xbar's line syntax, Prometheus labels, CSV cells in spreadsheets), one wording
for history events, and a hostile sweep (odd names, huge numbers, odd state files).

Everything runs the real `lensmor-tray` in a child process on state written by the app's own
store, and each output is read back the way its program reads it: Pango's own markup parser,
prometheus_client's parser, Python's csv, and small ports of xbar's and polybar's line parsers.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REPO, Home, run_cli
from tests.unit.cli.test_account import server, two_accounts  # noqa: F401 (fixtures used below)
from tray_app.config.paths import AppPaths
from tray_app.core import feed
from tray_app.core.balance import Balance, parse_balance
from tray_app.core.levels import DEFAULT_THRESHOLDS
from tray_app.core.state import MonitorState, PollResult, Problem, advance
from tray_app.demo.server import SimulatedLensmorServer
from tray_app.history.export import csv_text
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
#: Every ASCII punctuation character in one account name (40 characters at most), "-" first:
#: a leading "-" is xbar's submenu marker.
EVERY_SPECIAL = "-!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}~"
HOSTILE_NAMES = ("R&D", "<b>", "a&amp;", "%{F#f00}x%{B-}", "--Ops", "---", "a|b c", "C:\\new")
FORMATS = ("text", "json", "waybar", "i3blocks", "polybar", "xbar", "prometheus")


def paths_of(home: Home) -> AppPaths:
    return AppPaths(home.config_file, home.data_dir, home.root / "log")


def write_accounts(home: Home, names: Sequence[str], extra: str = "") -> None:
    home.write_config(extra + "".join(f"[[accounts]]\nname = {json.dumps(n)}\n" for n in names))
    home.config_file.chmod(0o600)


def save_state(
    home: Home,
    name: str,
    *,
    age: float = 20,
    balance: dict[str, Any] | None = None,
    problem: Problem | None = None,
    monitor: dict[str, Any] | None = None,
) -> Path:
    """The state the app saves after a poll, in `name`'s own history file."""
    now = time.time()
    state = advance(
        MonitorState(), PollResult(now - age, balance=parse_balance(balance or BALANCE))
    )
    if problem is not None:
        state = advance(state, PollResult(now - 1, problem=problem, message="x"))
    db = paths_of(home).history_db_for(name)
    db.parent.mkdir(parents=True, exist_ok=True)
    with HistoryStore.open(db) as store:
        store.save_state({"monitor": state.to_json() if monitor is None else monitor})
    return db


def cached(home: Home, *args: str) -> str:
    result = run_cli(home, "status", "--cached", *args)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    return result.out


# -- readers: each output read the way its program reads it --------------------------------------


def pango_text(markup: str) -> str:
    """The text waybar shows for `markup` (it fails, and the module goes blank, on bad markup)."""
    gi = pytest.importorskip("gi")
    gi.require_version("Pango", "1.0")
    from gi.repository import Pango

    _ok, _attrs, text, _accel = Pango.parse_markup(markup, -1, "\0")
    return str(text)


def polybar_parts(line: str) -> tuple[list[str], str]:
    """(the formatting tags, the text shown) as polybar's parser splits a line: "%{" opens a
    tag that runs to the next "}"."""
    tags: list[str] = []
    shown: list[str] = []
    i = 0
    while i < len(line):
        if line.startswith("%{", i):
            end = line.index("}", i)
            tags.append(line[i + 2 : end])
            i = end + 1
        else:
            shown.append(line[i])
            i += 1
    return tags, "".join(shown)


XBAR_PARAMS = {
    "disabled", "key", "href", "color", "font", "size", "shell", "bash", "templateImage",
    "image", "terminal", "refresh", "dropdown", "length", "trim", "alternate", "emojize", "ansi",
}  # fmt: skip


def xbar_menu(output: str) -> tuple[list[str], list[tuple[int, str]]]:
    """(the menu bar titles, the dropdown as (depth, text) with depth -1 for a separator), as
    xbar's parseOutput reads plugin output (matryer/xbar pkg/plugins/parse.go): the first "|"
    starts the parameters, a line that is "---" is a separator (the first ends the titles), a
    leading "--" per level makes a submenu row of the row before. Raises on what xbar rejects
    (an unknown parameter, a submenu row with no row before it) and on text xbar would change
    (backslash sequences unless ansi=false, :emoji: codes unless emojize=false)."""
    titles: list[str] = []
    dropdown: list[tuple[int, str]] = []
    depth = 0
    expanded = False
    previous = False
    for line in output.split("\n"):
        text, _, param_text = line.partition("|")
        params = dict(re.findall(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S+)", param_text))
        assert all(k in XBAR_PARAMS or re.fullmatch(r"param\d+", k) for k in params), params
        if line.strip() == "---":
            if expanded:
                dropdown.append((-1, "---"))
            expanded = True
            continue
        while not text.startswith("--" * depth):
            depth -= 1
        if text.startswith("--" * (depth + 1)):
            assert previous, f"a submenu row with no row before it: {line!r}"
            depth += 1
        text = text[2 * depth :].strip()
        if params.get("ansi") != "false":
            assert "\\" not in text, line
        if params.get("emojize") != "false":
            assert not re.search(r":\w+:", text), line
        if expanded:
            dropdown.append((depth, text))
        else:
            titles.append(text)
        previous = True
    return titles, dropdown


def metrics(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    return {
        family.name: [(s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


def shown(text: str) -> str:
    """What a person sees: the zero-width space that keeps a leading "-" text is invisible."""
    return text.replace("\u200b", "")


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
