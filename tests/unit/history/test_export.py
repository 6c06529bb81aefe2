"""`lensmor-tray history --csv` and `--chart`: the CSV parsed back and compared with the store
(before and after compaction), the terminal chart checked column by column on a known history,
and both run through the real command line."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Home, run_cli
from tests.support.usage_history import K0, KNOWN_NOW, known_history
from tray_app.core.balance import API_FIELDS, Balance
from tray_app.core.usage_series import Event, EventKind, build
from tray_app.history.export import CSV_COLUMNS, chart_text, csv_text, events_line, sparkline
from tray_app.history.retention import DAY
from tray_app.history.store import HistoryStore
from tray_app.history.usage_data import load_series

UTC = dt.timezone.utc
API_NAMES = [api for api, _ in API_FIELDS]


def parse(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


def number(text: str) -> float | None:
    return None if text == "" else float(text)


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    opened = HistoryStore.open(tmp_path / "history.sqlite3")
    opened.record_balances(known_history())
    return opened


def test_the_csv_has_one_row_per_change_with_every_field_of_the_store(store: HistoryStore) -> None:
    with store:
        records = store.records(0)
        rows = parse(csv_text(records))
    assert [r["event"] for r in rows] == [
        "start", "spend", "spend", "gift", "spend", "reset", "top-up", "spend",
    ]  # fmt: skip
    assert len(rows) == len(records) == len(known_history())
    for row, record, (ts, balance) in zip(rows, records, known_history(), strict=True):
        assert row["account"] == "default"
        assert dt.datetime.strptime(row["time"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC
        ).timestamp() == ts  # fmt: skip
        assert {name: number(row[name]) for name in API_NAMES} == balance.to_api_dict()
        assert record.balance == balance
        assert number(row["spent"]) == record.spent
        assert row["resolution"] == "change"
    assert [number(r["spent"]) for r in rows] == [0, 100, 50, 0, 300, 0, 0, 20]


def test_heartbeats_are_not_changes(tmp_path: Path) -> None:
    ts, balance = known_history()[0]
    with HistoryStore.open(tmp_path / "h.sqlite3", heartbeat_s=3600) as store:
        store.record_balances([(ts, balance), (ts + 7200, balance)])  # the second: a heartbeat
        assert len(store.records(0)) == 2
        rows = parse(csv_text(store.records(0)))
    assert [r["event"] for r in rows] == ["start"]


def test_after_compaction_spending_is_in_summaries_and_events_keep_all_fields(
    store: HistoryStore,
) -> None:
    with store:
        store.compact(KNOWN_NOW + 40 * DAY)
        rows = parse(csv_text(store.records(0)))
    by_event = [(r["event"], r["resolution"]) for r in rows]
    assert by_event == [
        ("start", "change"),
        ("spend", "hour"),
        ("spend", "hour"),
        ("gift", "change"),
        ("spend", "hour"),
        ("reset", "change"),
        ("top-up", "change"),
        ("spend", "change"),  # the latest row is never folded
    ]
    summaries = [r for r in rows if r["resolution"] == "hour"]
    assert [number(r["totalBalance"]) for r in summaries] == [900, 850, 750]
    assert all(r[name] == "" for r in summaries for name in API_NAMES if name != "totalBalance")
    assert sum(number(r["spent"]) or 0 for r in rows) == 470
    reset = next(r for r in rows if r["event"] == "reset")
    assert number(reset["subscriptionBalance"]) == 1_000
    assert number(reset["resetAt"]) == known_history()[5][1].reset_at_ms


def test_sparkline_scales_to_the_top_and_keeps_small_values_visible() -> None:
    assert sparkline([0, 1, 50, 100], 100) == " ▁▄█"
    assert sparkline([0, 0], 0) == "  "


def test_the_chart_of_a_known_fortnight(store: HistoryStore) -> None:
    with store:
        text = chart_text(load_series(store, KNOWN_NOW, 14, UTC), tz=UTC)
    lines = text.splitlines()
    assert lines[0] == "Last 14 days, 31 Oct 2026 to 13 Nov 2026 (one column per day)"
    assert lines[1] == ""
    # One column per day, 31 Oct .. 13 Nov, read at each day's end (31 Oct: before the first
    # poll). Balance: 1,000 850 850 1,050 750 ... 1,200 (renewal) 1,700 (top-up) 1,680.
    assert lines[2] == "Balance    ▅▄▄▅▄▄▄▄▄▄▆██  now 1,680, top 1,700"
    # Spent: 150 on 2 Nov, 300 on 5 Nov, 20 on 13 Nov.
    assert lines[3] == "Spent       ▄  █       ▁  total 470, busiest day 300"
    assert lines[4] == "Events    gift 4 Nov, renewal 11 Nov, top-up 12 Nov"
    assert lines[5].startswith("Forecast  at this pace they last until the reset (11 Dec 2026)")


def test_a_year_is_grouped_to_fit_the_width(store: HistoryStore) -> None:
    with store:
        text = chart_text(load_series(store, KNOWN_NOW, 365, UTC), width=60, tz=UTC)
    lines = text.splitlines()
    assert lines[0].endswith("(one column per 7 days)")
    spark = lines[2].removeprefix("Balance   ").split("  now")[0]
    assert len(spark) == 53  # 365 days in columns of 7
    assert "total 470" in lines[3]


def shifted(now: float) -> list[tuple[float, Balance]]:
    """The known history moved by whole days (same clock times) to end shortly before `now`."""
    days = (now - KNOWN_NOW) // DAY
    out = []
    for ts, b in known_history():
        reset_ms = int((b.reset_at_ms or 0) + days * DAY * 1000)
        out.append((ts + days * DAY, dataclasses.replace(b, reset_at_ms=reset_ms)))
    return out


def test_the_command_line_prints_the_csv_and_the_chart(home: Home) -> None:
    assert run_cli(home, "history", "--csv").code == 1  # no history yet: says so
    db = home.data_dir / "history.sqlite3"
    with HistoryStore.open(db) as store:
        store.record_balances(shifted(time.time()))
        expected = csv_text(store.records(0))
    done = run_cli(home, "history", "--csv")
    assert done.code == 0, done.err
    assert done.out == expected
    assert len(parse(done.out)) == 8

    chart = run_cli(home, "history", "--chart", "--days", "30")
    assert chart.code == 0, chart.err
    lines = chart.out.splitlines()
    assert lines[0].startswith("Last 30 days, ")
    assert lines[2].startswith("Balance   ")
    assert len(lines[2].removeprefix("Balance   ").split("  now")[0]) == 30
    assert "total 470" in lines[3]

    both = run_cli(home, "history", "--csv", "--chart")
    assert both.code == 2
    assert "not allowed with argument" in both.err


def test_many_events_are_counted_per_kind_with_the_latest_named() -> None:
    events = tuple(
        Event(K0 + i * DAY, EventKind.GIFT if i % 3 else EventKind.RENEWAL, 500, 1_000)
        for i in range(9)
    )
    series = dataclasses.replace(build([], [], None, now=K0, days=30, reset_at_s=None),
                                 events=events)  # fmt: skip
    assert events_line(series, UTC) == (
        "3 renewals, 6 gifts; latest: renewal 7 Nov, gift 8 Nov, gift 9 Nov"
    )
    short = dataclasses.replace(series, events=events[:2])
    assert events_line(short, UTC) == "renewal 1 Nov, gift 2 Nov"


def test_csv_into_a_pipe_closed_early_ends_quietly(home: Home) -> None:
    year = [
        (KNOWN_NOW - 400 * DAY + i * 3600.0, dataclasses.replace(b, total_balance=1_000 - i % 7))
        for i, (_, b) in enumerate(known_history() * 2_000)
    ]  # fmt: skip
    with HistoryStore.open(home.data_dir / "history.sqlite3") as store:
        store.record_balances(year)
    env = dict(home.env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "history", "--csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=home.root,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    assert proc.stdout.readline().startswith(b"account,time,")
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""
