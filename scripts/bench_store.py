"""Figures for the history store: a year of 5-minute polls, before and after compaction.

Usage: .venv/bin/python scripts/bench_store.py [--dir DIR]

Two accounts are simulated: "typical" (a change on ~10 % of polls, monthly resets, gifts) and
"worst" (the balance changes on every poll, so every poll writes a row). For each: rows and
file size before and after `compact`, the cost of `record_balance`, the first (year-sized)
and a daily compaction, and the time to open the file and run the queries the app makes at
start (last state, forecast samples, menu usage row, `history` command).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tray_app.cli.history_report import history_report
from tray_app.core.balance import Balance
from tray_app.history.retention import DAY
from tray_app.history.store import HistoryStore

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
POLL = 300


def simulate(
    change_every_poll: bool, days: int = 365, seed: int = 7
) -> list[tuple[float, Balance]]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    plan, sub, gift_amount, gift = 35_000, 35_000, 0, 0
    reset = T0 + 30 * DAY
    out = []
    for i in range(days * 86400 // POLL):
        ts = T0 + i * POLL
        if ts >= reset:
            sub, reset = plan, reset + 30 * DAY
        else:
            if rng.random() < 0.002:
                gift_amount, gift = gift_amount + 500, gift + 500
            if change_every_poll or rng.random() < 0.1:
                cost = 1 if change_every_poll else rng.choice((15, 50))
                if cost <= sub + gift:
                    from_sub = min(cost, sub)
                    sub, gift = sub - from_sub, gift - (cost - from_sub)
        out.append(
            (
                ts,
                Balance(
                    plan + gift_amount, sub + gift, plan, sub, gift_amount, gift, int(reset * 1000)
                ),
            )
        )
    return out


def files_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """Median wall time of `fn` in milliseconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def bench(name: str, every_poll: bool, folder: Path) -> list[tuple[str, str]]:
    samples = simulate(every_poll)
    path = folder / f"{name}.sqlite3"
    end = samples[-1][0]
    rows: list[tuple[str, str]] = []
    with HistoryStore.open(path) as store:
        # The app's real path: one record_balance per poll, each its own transaction.
        first_month = samples[: 30 * 288]
        start = time.perf_counter()
        for ts, balance in first_month:
            store.record_balance(ts, balance)
        per_poll_us = (time.perf_counter() - start) / len(first_month) * 1e6
        store.record_balances(samples[len(first_month) :])
        raw_rows = sum(store.row_counts().values())
    raw_size = files_size(path)
    with HistoryStore.open(path) as store:
        first_compact = timed(lambda: store.compact(end))
        counts = store.row_counts()
        extra = [(end + (i + 1) * POLL, samples[-1][1]) for i in range(288)]
        store.record_balances(extra)
        daily_compact = timed(lambda: store.compact(end + DAY))
    size = files_size(path)

    def start_up() -> None:
        with HistoryStore.open(path) as store:
            store.load_state()
            store.samples(end - 7 * DAY)
            store.usage_between(end - DAY, end)

    open_ms = timed(start_up, repeat=20)
    with HistoryStore.open(path) as store:
        samples_ms = timed(lambda: store.samples(end - 7 * DAY), repeat=50)
        all_samples_ms = timed(lambda: store.samples(0), repeat=20)
        report_ms = timed(lambda: history_report(store, end, dt.timezone.utc), repeat=20)
        year_usage_ms = timed(lambda: store.daily_usage(366, dt.timezone.utc, end), repeat=20)
    rows += [
        (f"{name}: rows for a year, uncompacted", f"{raw_rows:,}"),
        (f"{name}: file size, uncompacted", f"{raw_size / 1024:,.0f} KiB"),
        (f"{name}: rows after compaction", f"{sum(counts.values()):,} ({counts})"),
        (f"{name}: file size after compaction", f"{size / 1024:,.0f} KiB"),
        (f"{name}: record_balance per poll", f"{per_poll_us:,.0f} us"),
        (f"{name}: first compaction of a year", f"{first_compact:,.0f} ms"),
        (f"{name}: a daily compaction", f"{daily_compact:,.1f} ms"),
        (f"{name}: open + load_state + 7-day samples + usage", f"{open_ms:,.1f} ms"),
        (f"{name}: samples(7 days)", f"{samples_ms:,.2f} ms"),
        (f"{name}: samples(whole year)", f"{all_samples_ms:,.1f} ms"),
        (f"{name}: daily_usage(366 days)", f"{year_usage_ms:,.1f} ms"),
        (f"{name}: history_report (14 days)", f"{report_ms:,.1f} ms"),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where to put the files (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = bench("typical", False, folder) + bench("worst", True, folder)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
