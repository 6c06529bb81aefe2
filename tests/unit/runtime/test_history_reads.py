"""Each poll's history reads, kept and brought up to date (runtime/history_reads.py, issue 20):
whatever the polls record, what the monitor gets equals a full read of the store."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from tray_app.core.balance import Balance
from tray_app.core.usage import USAGE_WINDOW_S
from tray_app.history.store import HistoryStore
from tray_app.history.usage_data import usage_today
from tray_app.runtime.history_reads import FORECAST_WINDOW_S, REUSE_S, HistoryReads

START = dt.datetime(2026, 11, 25, 9, 0).astimezone().timestamp()  # local 09:00


def guard(what: str, fn, *args):  # type: ignore[no-untyped-def]
    return fn(*args)


class CountingStore:
    """The real store, counting the reads that go to it."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self.reads: list[tuple[str, float]] = []

    def spending_samples(self, since: float) -> list[tuple[float, float, float]]:
        self.reads.append(("samples", since))
        return self.store.spending_samples(since)

    def usage_between(self, start: float, end: float) -> float:
        self.reads.append(("usage", start))
        return self.store.usage_between(start, end)


def full_read(store: HistoryStore, now: float) -> tuple[object, object]:
    samples = store.spending_samples(now - FORECAST_WINDOW_S)
    usage = (usage_today(store, now, None), store.usage_between(now - USAGE_WINDOW_S, now + 1))
    return samples, usage


def poll(reads: HistoryReads, store: HistoryStore, now: float, total: int) -> bool:
    """What Monitor.poll_once does with the history: record, then read back."""
    recorded = store.record_balance(now, Balance(total, total, 100_000, 100_000, 0, 0, None))
    if recorded:
        reads.recorded()
    return recorded


def test_kept_reads_equal_full_reads_whatever_the_polls_record(tmp_path: Path) -> None:
    rng = random.Random(19)
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        counting = CountingStore(store)
        reads = HistoryReads(counting, guard)  # type: ignore[arg-type]
        now, total = START, 100_000
        for _ in range(400):
            now += rng.choice([2.0, 30.0, 60.0, 300.0])
            total -= rng.choice([0, 0, 0, 5, 120])
            poll(reads, store, now, total)
            assert (reads.samples(now), reads.usage(now)) == full_read(store, now)


def test_an_unchanged_poll_reads_nothing_and_a_changed_one_only_the_new_rows(
    tmp_path: Path,
) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        counting = CountingStore(store)
        reads = HistoryReads(counting, guard)  # type: ignore[arg-type]
        poll(reads, store, START, 1000)
        reads.samples(START)
        reads.usage(START)
        counting.reads.clear()
        assert not poll(reads, store, START + 30, 1000)  # unchanged: no row
        reads.samples(START + 30)
        reads.usage(START + 30)
        assert counting.reads == []
        assert poll(reads, store, START + 60, 990)
        reads.samples(START + 60)
        reads.usage(START + 60)
        # Only what was recorded after the reads kept (at START).
        assert counting.reads == [("samples", START + 1e-6), ("usage", START + 1)]


def test_a_full_read_after_reuse_s_at_midnight_and_after_forget(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        counting = CountingStore(store)
        reads = HistoryReads(counting, guard)  # type: ignore[arg-type]

        def full_reads_at(now: float) -> bool:
            counting.reads.clear()
            reads.samples(now)
            return ("samples", now - FORECAST_WINDOW_S) in counting.reads

        poll(reads, store, START, 1000)
        assert full_reads_at(START)
        assert not full_reads_at(START + REUSE_S - 1)
        assert full_reads_at(START + REUSE_S + 1)
        reads.forget()  # the daily compaction
        assert full_reads_at(START + REUSE_S + 2)
        midnight = dt.datetime(2026, 11, 26).astimezone().timestamp()
        reads.usage(midnight - 60)
        counting.reads.clear()
        reads.usage(midnight - 30)  # kept: the same day, within REUSE_S
        assert counting.reads == []
        reads.usage(midnight + 1)  # a new day: "today" starts again
        assert [what for what, _ in counting.reads] == ["usage", "usage"]  # both, in full
