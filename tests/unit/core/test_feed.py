"""Every status-bar format of `core.feed`, checked by parsing its output the way the tool does:
waybar's JSON, i3blocks' lines, polybar's colour tags, xbar's plugin lines (the badge decoded
back into a PNG), and Prometheus' exposition format (prometheus_client's own parser)."""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import replace

import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from tray_app.cli.status_feed import badge_png_base64
from tray_app.core import feed
from tray_app.core.balance import parse_balance
from tray_app.core.feed import BarAccount, FeedClass
from tray_app.core.levels import DEFAULT_THRESHOLDS
from tray_app.core.state import MonitorState, PollResult, Problem, advance

NOW = 1_796_000_000.0
INTERVAL = 300.0


def balance(left: int, total: int = 35_050, reset: bool = True) -> dict[str, object]:
    gift = 50 if left >= 50 else left
    return {
        "totalAmount": total,
        "totalBalance": left,
        "subscriptionAmount": total - 50,
        "subscriptionBalance": left - gift,
        "giftAmount": 50,
        "giftBalance": gift,
        "resetAt": int((NOW + 9 * 86400) * 1000) if reset else None,
    }


def account(
    left: int = 30_050,
    *,
    name: str = feed.DEFAULT_ACCOUNT,
    age: float = 10,
    problem: Problem | None = None,
    reset: bool = True,
) -> BarAccount:
    state = advance(
        MonitorState(), PollResult(NOW - age, balance=parse_balance(balance(left, reset=reset)))
    )
    if problem is not None:
        state = advance(state, PollResult(NOW - 1, problem=problem, message="x"))
    return feed.snapshot_of(state, DEFAULT_THRESHOLDS, INTERVAL, NOW, name)


def no_balance(problem: Problem) -> BarAccount:
    state = advance(MonitorState(), PollResult(NOW - 1, problem=problem, message="x"))
    return feed.snapshot_of(state, DEFAULT_THRESHOLDS, INTERVAL, NOW)


CASES = [
    (account(30_050), "ok"),
    (account(5_000), "low"),
    (account(1_000), "critical"),
    (account(0), "depleted"),
    (account(30_050, age=3 * INTERVAL), "stale"),  # older than two poll intervals
    (account(30_050, problem=Problem.OFFLINE), "stale"),
    (account(30_050, problem=Problem.KEY_REJECTED), "error"),
    (no_balance(Problem.OFFLINE), "error"),
]


@pytest.mark.parametrize(("snapshot", "expected"), CASES)
def test_waybar_is_one_json_line_with_text_tooltip_class_and_percentage(
    snapshot: BarAccount, expected: str
) -> None:
    out = feed.waybar([snapshot])
    assert "\n" not in out
    data = json.loads(out)
    assert data["class"] == expected
    assert data["tooltip"] == snapshot.view.title
    assert data["text"]
    if snapshot.balance is not None:
        assert data["percentage"] == round(snapshot.balance.fraction_remaining * 100)  # type: ignore[operator]
    else:
        assert "percentage" not in data


def test_waybar_text_shows_the_compact_balance_and_a_question_mark_when_stale() -> None:
    assert json.loads(feed.waybar([account(30_050)]))["text"] == "30.1k (86%)"
    assert json.loads(feed.waybar([account(30_050, age=1000)]))["text"] == "30.1k (86%) ?"
    assert json.loads(feed.waybar([no_balance(Problem.KEY_REJECTED)]))["text"] == "Key rejected"


def test_waybar_with_no_account_is_an_empty_text_that_hides_the_module() -> None:
    # The feed file after the last polled account was removed (a reload): waybar hides a
    # custom module whose text is empty, and a line it cannot parse would show an error.
    assert json.loads(feed.waybar([])) == {"text": ""}


@pytest.mark.parametrize(("snapshot", "expected"), CASES)
def test_i3blocks_prints_full_text_short_text_and_the_levels_colour(
    snapshot: BarAccount, expected: str
) -> None:
    full, short, colour = feed.i3blocks([snapshot]).split("\n")
    assert full
    assert short
    assert re.fullmatch(r"#[0-9A-F]{6}", colour)
    assert colour == feed.CLASS_COLOUR[FeedClass(expected)]


def test_polybar_wraps_the_text_in_a_colour_tag() -> None:
    out = feed.polybar([account(1_000)])
    match = re.fullmatch(r"%\{F(#[0-9A-F]{6})\}(.*)%\{F-\}", out)
    assert match, out
    assert match.group(1) == feed.CLASS_COLOUR[FeedClass.CRITICAL]
    assert match.group(2) == "1k (3%)"  # a "%" not followed by "{" is plain text to polybar
    named = feed.polybar([account(1_000, name="a%{F#000}"), account(30_050)])
    assert named.count("%{") == 2  # an account name cannot open a tag of its own


def test_xbar_title_carries_the_badge_png_then_menu_rows_and_refresh() -> None:
    snapshot = account(5_000)
    refresh = ["/opt/lensmor tray/bin/lensmor-tray", "refresh"]
    out = feed.xbar([snapshot], badge_png_base64(snapshot), refresh)
    lines = out.split("\n")
    title, params = lines[0].split(" | ", 1)
    assert title == "5k (14%)"
    image = dict(p.split("=", 1) for p in params.split(" "))["image"]
    png = Image.open(io.BytesIO(base64.b64decode(image, validate=True)))
    assert png.format == "PNG"
    assert png.size == (36, 36)
    assert lines[1] == "---"
    body = lines[2 : lines.index("---", 2)]
    info_rows = [
        r.text
        for r in snapshot.view.rows
        if r.action is None and not r.separator and not r.children
    ]
    assert body == info_rows
    assert "Subscription: 4,950 of 35,000" in body
    refresh_line = lines[-1]
    assert refresh_line.startswith("Refresh | ")
    assert 'shell="/opt/lensmor tray/bin/lensmor-tray"' in refresh_line
    assert "param1=refresh" in refresh_line
    assert "terminal=false" in refresh_line
    assert "refresh=true" in refresh_line
    assert all("|" not in line.split(" | ")[0] for line in lines)


def metrics(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    return {
        family.name: [(s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


def test_prometheus_exposition_parses_with_every_kind_and_quantity() -> None:
    snapshot = account(5_000)
    text = feed.prometheus([snapshot])
    assert text.endswith("\n")
    parsed = metrics(text)
    credits = {
        (labels["kind"], labels["quantity"]): value for labels, value in parsed["lensmor_credits"]
    }
    assert credits == {
        ("total", "balance"): 5000,
        ("total", "amount"): 35050,
        ("subscription", "balance"): 4950,
        ("subscription", "amount"): 35000,
        ("gift", "balance"): 50,
        ("gift", "amount"): 50,
    }
    assert all("account" not in labels for labels, _ in parsed["lensmor_credits"])
    assert parsed["lensmor_credits_reset_timestamp_seconds"] == [({}, NOW + 9 * 86400)]
    assert parsed["lensmor_credits_last_success_timestamp_seconds"] == [({}, NOW - 10)]
    assert parsed["lensmor_credits_stale"] == [({}, 0.0)]
    for family in ("lensmor_credits", "lensmor_credits_reset_timestamp_seconds"):
        assert f"# TYPE {family} gauge" in text
        assert f"# HELP {family} " in text


def test_prometheus_labels_the_account_only_when_there_are_several() -> None:
    odd = 'team "a"\\b'
    text = feed.prometheus([account(30_050), account(1_000, name=odd, reset=False)])
    parsed = metrics(text)
    accounts = {labels["account"] for labels, _ in parsed["lensmor_credits"]}
    assert accounts == {"default", odd}  # the escaped quote and backslash round-trip
    resets = parsed["lensmor_credits_reset_timestamp_seconds"]
    assert [labels["account"] for labels, _ in resets] == ["default"]  # no reset: no sample


def test_prometheus_without_a_balance_still_parses_and_says_stale() -> None:
    parsed = metrics(feed.prometheus([no_balance(Problem.OFFLINE)]))
    assert parsed["lensmor_credits"] == []
    assert parsed["lensmor_credits_stale"] == [({}, 1.0)]


def test_several_accounts_show_the_worst_and_list_all() -> None:
    accounts = [
        account(30_050, name="work"),
        account(1_000, name="side"),
        account(5_000, name="lab"),
    ]
    assert feed.worst(accounts).account == "side"
    data = json.loads(feed.waybar(accounts))
    assert data["text"] == "side: 1k (3%)"
    assert data["class"] == "critical"
    assert [line.split(" — ")[0] for line in data["tooltip"].split("\n")] == ["work", "side", "lab"]
    full, short, _colour = feed.i3blocks(accounts).split("\n")
    assert short == "side: 1k (3%)"
    assert "work: 30.1k (86%)" in full
    xbar_lines = feed.xbar(accounts, "AAAA", ["lensmor-tray", "refresh"]).split("\n")
    assert "work | color=gray ansi=false emojize=false" in xbar_lines  # a name is plain text
    assert "--Gift: 50 of 50" in xbar_lines


def test_an_error_outranks_a_low_balance() -> None:
    assert (
        feed.worst([account(5_000), replace(no_balance(Problem.KEY_REJECTED), account="b")]).account
        == "b"
    )


def test_saved_state_keeps_the_last_polls_problem_for_readers() -> None:
    state = advance(MonitorState(), PollResult(NOW - 100, balance=parse_balance(balance(30_050))))
    state = advance(state, PollResult(NOW - 5, problem=Problem.SERVER, message="HTTP 503"))
    saved = json.loads(json.dumps(state.to_json()))
    read = feed.state_from_saved(saved)
    assert read.problem is Problem.SERVER
    assert read.problem_since == NOW - 5
    assert read.last_poll_at == NOW - 5
    assert read.fetched_at == NOW - 100
    assert not read.from_previous_run
    # A restart still starts clean: the app re-polls rather than trusting an old verdict.
    restarted = MonitorState.from_json(saved)
    assert restarted.problem is None
    assert restarted.from_previous_run


def test_json_object_adds_fetched_at_and_stale() -> None:
    data = feed.json_object(account(30_050, age=3 * INTERVAL))
    assert data["stale"] is True
    assert data["fetchedAt"] == "2026-11-30T00:38:20Z"
    assert data["totalBalance"] == 30_050
    assert data["level"] == "ok"
