"""Retention: folding old raw rows into hourly buckets, old hourly buckets into daily ones.

Separate from `store` because it is the one part that rewrites history rather than adding to
or reading it: what is kept raw for good (the first row, every change that is not plain
spending), how buckets merge (also with buckets already stored, for late rows after a clock
jump), and giving the freed pages back to the file system. The store runs `fold` inside its
own write transaction, so a failure leaves the file as it was.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Sequence

from tray_app.history.opening import describe

HOUR = 3600
DAY = 86400
DEFAULT_RAW_DAYS = 28
DEFAULT_HOURLY_DAYS = 183
DEFAULT_ALERT_DAYS = 366

_UPSERT_AGG = (
    "INSERT OR REPLACE INTO balance_agg (period, start, first_ts, last_ts, min_balance, "
    "max_balance, last_balance, spent, n) VALUES (?,?,?,?,?,?,?,?,?)"
)
# Raw rows that record more than spending, kept raw for good: the balance moved by other than
# what was spent (credits added or expired), or resetAt changed (a renewal, even one that left
# the balance as it was); and the very first row, so each of them has a raw row before it to be
# classified against. Compared with the row before in insertion order, the order `delta` was
# computed in; after earlier compactions that is the last row kept, which has the same resetAt
# as the folded rows between them (every change of resetAt is itself kept).
_EVENT_IDS = (
    "SELECT id FROM (SELECT id, delta, spent, reset_at_ms, "
    "LAG(reset_at_ms) OVER (ORDER BY id) AS prev_reset FROM balance_raw) "
    "WHERE delta IS NULL OR abs(delta + spent) > 1e-9 OR reset_at_ms IS NOT prev_reset"
)


def fold(conn: sqlite3.Connection, now: float, raw_s: float, hourly_s: float) -> bool:
    """Fold raw rows older than `raw_s` into hourly buckets, hourly buckets older than
    `hourly_s` into daily ones, and drop alerts older than a year. Run it in a transaction.

    The most recent raw row is never folded, so the next poll can still be compared with it
    after a long absence. Returns True (the store's "written" result).
    """
    raw_cutoff = _floor(now - raw_s, HOUR)
    hourly_cutoff = _floor(now - hourly_s, DAY)
    alert_cutoff = now - DEFAULT_ALERT_DAYS * DAY

    keep = _last_raw_id(conn)
    kept = [row[0] for row in conn.execute(_EVENT_IDS)]
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS keep_raw (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM keep_raw")
    conn.executemany("INSERT INTO keep_raw (id) VALUES (?)", [(i,) for i in kept])
    raw = conn.execute(
        "SELECT ts, ts, total_balance, total_balance, total_balance, spent, 1 "
        "FROM balance_raw WHERE ts < ? AND id != ? "
        "AND id NOT IN (SELECT id FROM keep_raw) ORDER BY ts, id",
        (raw_cutoff, keep),
    ).fetchall()
    _merge_into(conn, HOUR, raw)
    conn.execute(
        "DELETE FROM balance_raw WHERE ts < ? AND id != ? AND id NOT IN (SELECT id FROM keep_raw)",
        (raw_cutoff, keep),
    )
    hourly = conn.execute(
        "SELECT first_ts, last_ts, min_balance, max_balance, last_balance, spent, n "
        "FROM balance_agg WHERE period = ? AND start < ? ORDER BY last_ts",
        (HOUR, hourly_cutoff),
    ).fetchall()
    _merge_into(conn, DAY, hourly)
    conn.execute("DELETE FROM balance_agg WHERE period = ? AND start < ?", (HOUR, hourly_cutoff))
    conn.execute("DELETE FROM alert_event WHERE ts < ?", (alert_cutoff,))
    return True


def shrink(conn: sqlite3.Connection, log: logging.Logger) -> None:
    """Give freed pages back to the file system (auto_vacuum=INCREMENTAL), then fold the WAL
    into the file so its size on disk is what the budget says. Failures are logged only."""
    try:
        # executescript, not execute: sqlite3's execute steps this pragma only once,
        # which frees a single page.
        conn.executescript("PRAGMA incremental_vacuum;")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error as exc:
        log.info("history: could not shrink the file (%s)", describe(exc))


def _last_raw_id(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(id) FROM balance_raw").fetchone()
    return -1 if row[0] is None else int(row[0])


def _merge_into(conn: sqlite3.Connection, period: int, rows: Sequence[Sequence[float]]) -> None:
    """Fold rows of (first_ts, last_ts, min, max, last, spent, n), sorted by last_ts, into
    `period` buckets, merging with buckets already stored (late rows after a clock jump)."""
    buckets: dict[float, list[float]] = {}
    for first_ts, last_ts, low, high, last, spent, n in rows:
        start = _floor(first_ts, period)
        bucket = buckets.get(start)
        if bucket is None:
            buckets[start] = [first_ts, last_ts, low, high, last, spent, n]
        else:
            _merge(bucket, (first_ts, last_ts, low, high, last, spent, n))
    if not buckets:
        return
    stored = conn.execute(
        "SELECT start, first_ts, last_ts, min_balance, max_balance, last_balance, spent, n "
        "FROM balance_agg WHERE period = ? AND start BETWEEN ? AND ?",
        (period, min(buckets), max(buckets)),
    ).fetchall()
    for start, *existing in stored:
        if start in buckets:
            _merge(buckets[start], existing)
    conn.executemany(
        _UPSERT_AGG,
        [(period, start, *values) for start, values in buckets.items()],
    )


def _merge(into: list[float], other: Sequence[float]) -> None:
    first_ts, last_ts, low, high, last, spent, n = other
    if last_ts >= into[1]:
        into[4] = last
    into[0] = min(into[0], first_ts)
    into[1] = max(into[1], last_ts)
    into[2] = min(into[2], low)
    into[3] = max(into[3], high)
    into[5] += spent
    into[6] += n


def _floor(value: float, step: int) -> float:
    return math.floor(value / step) * step
