"""`lensmor-tray history` output, read back from a real store file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tray_app.cli.history_report import history_json, history_report
from tray_app.core.balance import Balance
from tray_app.history.retention import HOUR
from tray_app.history.store import HistoryStore
from tray_app.history.usage_data import usage_today

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z (a Thursday)
RESET_MS = int((T0 + 30 * 86400) * 1000)
UTC = dt.timezone.utc


def bal(total: int, amount: int = 35_050, reset_ms: int | None = RESET_MS) -> Balance:
    gift = min(50, total)
    return Balance(amount, total, amount - 50, total - gift, 50, gift, reset_ms)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore.open(tmp_path / "history.sqlite3") as opened:
        opened.record_balances(
            [
                (T0 + 9 * HOUR, bal(32_100)),
                (T0 + 10 * HOUR, bal(30_100)),  # 1 Jan 10:00, an event unlock
                (T0 + 86400 + 14 * HOUR, bal(30_050)),  # 2 Jan 14:00
                (T0 + 86400 + 15 * HOUR, bal(35_050, reset_ms=RESET_MS + 1)),  # a reset
                (T0 + 86400 + 16 * HOUR, bal(35_035, reset_ms=RESET_MS + 1)),
            ]
        )
        yield opened


NOW = T0 + 86400 + 18 * HOUR


def test_the_text_report_lists_changes_newest_first_and_daily_usage(store: HistoryStore) -> None:
    text = history_report(store, NOW, UTC, days=3)
    lines = text.splitlines()
    changes = lines[lines.index("Recent balance changes") + 1 : lines.index("")]
    assert [line.split() for line in changes] == [
        ["2", "Jan", "16:00", "-15", "->", "35,035"],
        ["2", "Jan", "15:00", "+5,000", "->", "35,050", "(renewal)"],  # as the CSV's "reset"
        ["2", "Jan", "14:00", "-50", "->", "30,050"],
        ["1", "Jan", "10:00", "-2,000", "->", "30,100"],
    ]
    daily = lines[lines.index("Daily usage (last 3 days)") + 1 :][:3]
    assert [line.split() for line in daily] == [
        ["Fri", "2", "Jan", "2026", "65", "balance", "35,035"],
        ["Thu", "1", "Jan", "2026", "2,000", "balance", "30,100"],
        ["Wed", "31", "Dec", "2025", "0"],
    ]
    assert "Usage today: 65 credits" in lines
    assert "Usage over 3 days: 2,065 credits" in lines


def test_times_and_days_follow_the_given_zone(store: HistoryStore) -> None:
    plus12 = dt.timezone(dt.timedelta(hours=12))
    lines = history_report(store, NOW, plus12, days=3).splitlines()
    assert ["3", "Jan", "02:00", "-50", "->", "30,050"] in [line.split() for line in lines]
    daily = lines[lines.index("Daily usage (last 3 days)") + 1 :][:3]
    assert [line.split()[:5] for line in daily] == [
        ["Sat", "3", "Jan", "2026", "65"],
        ["Fri", "2", "Jan", "2026", "0"],
        ["Thu", "1", "Jan", "2026", "2,000"],
    ]


def test_an_empty_history_says_so(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite3") as empty:
        text = history_report(empty, NOW, UTC, days=1)
    assert "none recorded yet" in text
    assert "Usage today: 0 credits" in text


def test_a_memory_only_history_is_flagged(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with HistoryStore.open(blocker / "h.sqlite3") as memory:
        memory.record_balance(T0, bal(10))
        assert history_report(memory, NOW, UTC).startswith("Note: ")
        assert history_json(memory, NOW, UTC)["persistent"] is False


def test_json_has_plain_numbers_iso_times_and_local_dates(store: HistoryStore) -> None:
    data = history_json(store, NOW, UTC, days=2, limit=2)
    assert json.loads(json.dumps(data)) == {
        "generated_at": "2026-01-02T18:00:00Z",
        "persistent": True,
        "usage_today": 65,
        "changes": [
            {
                "time": "2026-01-02T16:00:00Z",
                "ts": T0 + 86400 + 16 * HOUR,
                "delta": -15,
                "balance": 35_035,
                "spent": 15,
                "event": None,  # spending (issue 18: each change says what it was)
            },
            {
                "time": "2026-01-02T15:00:00Z",
                "ts": T0 + 86400 + 15 * HOUR,
                "delta": 5_000,
                "balance": 35_050,
                "spent": 0,
                "event": "reset",
            },
        ],
        "alerts": [],
        "daily": [
            {"date": "2026-01-01", "spent": 2_000, "balance": 30_100},
            {"date": "2026-01-02", "spent": 65, "balance": 35_035},
        ],
    }


def test_the_last_five_alerts_are_listed_newest_first(store: HistoryStore) -> None:
    assert "Recent alerts\n  none yet\n" in history_report(store, NOW, UTC)
    for n in range(7):
        store.record_alert(T0 + n * HOUR, "low", f"k{n}", f"Title {n}", f"Body {n}.")
    lines = history_report(store, NOW, UTC).splitlines()
    start = lines.index("Recent alerts") + 1
    assert lines[start : start + 6] == [
        f"  1 Jan 2026 {n:02d}:00  Title {n}: Body {n}." for n in (6, 5, 4, 3, 2)
    ] + [""]
    data = history_json(store, NOW, UTC)
    assert [a["title"] for a in data["alerts"]] == [f"Title {n}" for n in (6, 5, 4, 3, 2)]  # type: ignore[index, union-attr]


def test_usage_today_starts_at_local_midnight(store: HistoryStore) -> None:
    assert usage_today(store, NOW, UTC) == 65
    assert usage_today(store, T0 + 12 * HOUR, UTC) == 2_000
    assert usage_today(store, T0 + 9 * HOUR, UTC) == 0
