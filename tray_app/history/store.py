"""The balance history, alert events and the last app state, in one SQLite file (stdlib sqlite3).

What is stored, and why it stays small:

- ``balance_raw``: one row per poll *whose balance differs* from the last recorded row, plus a
  heartbeat row at most every ``heartbeat_s`` (6 h) so a quiet account still shows the app was
  watching. Each row carries ``delta`` (change of totalBalance) and ``spent`` (the part of that
  change that is spending, see `core.usage.spent_between`), computed once at insert so every later
  aggregate is a plain sum and never needs the row before it.
- ``balance_agg``: after ``raw_days`` (28) raw rows are folded into hourly buckets (first/last
  time, min/max/last balance, spent, count); after ``hourly_days`` (~6 months) hourly buckets are
  folded into daily ones. Rows that add or expire credits (a renewal, a top-up, a gift: see
  ``_EVENT_IDS``) and the first row are never folded: a few a month, they keep every such change
  with all seven fields for the Usage window and the CSV export. Buckets are aligned to UTC
  hours/days: hourly buckets map exactly onto local days in every whole-hour time zone; daily
  buckets are attributed to their UTC date.
- ``alert_event``: what was notified (kept a year); ``app_state``: the last state as one JSON blob.

Nothing here reads the clock: timestamps (Unix seconds) come in as arguments. The only exception
is the suffix of a corrupt file moved aside, which defaults to the wall clock when `open` is not
given ``now``. The API key is never stored; as a second line of defence, any string that looks
like a Lensmor key is masked before it reaches the file.

Faults never stop the app: a file that is not a database, fails the integrity check or has a
foreign schema is moved aside as ``<name>.corrupt-<UTC time>`` and a fresh one is started; a data
directory that cannot be written (read-only, not a directory, disk full) makes the store run in
memory for the session, seeded read-only from the existing file when it can be read. Write errors
later on (the disk fills up) are logged once and retried on the next write.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import logging
import math
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tray_app.core import fmt
from tray_app.core.balance import Balance, Number, whole
from tray_app.core.usage import spent_between
from tray_app.core.usage_series import Recorded

T = TypeVar("T")

SCHEMA_VERSION = 1
HOUR = 3600
DAY = 86400
DEFAULT_HEARTBEAT_S = 6 * HOUR
DEFAULT_RAW_DAYS = 28
DEFAULT_HOURLY_DAYS = 183
DEFAULT_ALERT_DAYS = 366

_SCHEMA = """
CREATE TABLE balance_raw (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    total_balance REAL NOT NULL,
    total_amount REAL NOT NULL,
    subscription_balance REAL NOT NULL,
    subscription_amount REAL NOT NULL,
    gift_balance REAL NOT NULL,
    gift_amount REAL NOT NULL,
    reset_at_ms INTEGER,
    delta REAL,
    spent REAL NOT NULL
);
CREATE INDEX balance_raw_ts ON balance_raw (ts);
CREATE TABLE balance_agg (
    period INTEGER NOT NULL,
    start REAL NOT NULL,
    first_ts REAL NOT NULL,
    last_ts REAL NOT NULL,
    min_balance REAL NOT NULL,
    max_balance REAL NOT NULL,
    last_balance REAL NOT NULL,
    spent REAL NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (period, start)
) WITHOUT ROWID;
CREATE TABLE alert_event (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX alert_event_ts ON alert_event (ts);
CREATE TABLE app_state (
    name TEXT PRIMARY KEY,
    json TEXT NOT NULL
);
"""

# table -> columns, to recognise our own schema (a foreign or damaged one is moved aside).
_EXPECTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "balance_raw": (
        "id", "ts", "total_balance", "total_amount", "subscription_balance",
        "subscription_amount", "gift_balance", "gift_amount", "reset_at_ms", "delta", "spent",
    ),
    "balance_agg": (
        "period", "start", "first_ts", "last_ts", "min_balance", "max_balance",
        "last_balance", "spent", "n",
    ),
    "alert_event": ("id", "ts", "kind", "key", "title", "body"),
    "app_state": ("name", "json"),
}  # fmt: skip

_INSERT_RAW = (
    "INSERT INTO balance_raw (ts, total_balance, total_amount, subscription_balance, "
    "subscription_amount, gift_balance, gift_amount, reset_at_ms, delta, spent) "
    "VALUES (?,?,?,?,?,?,?,?,?,?)"
)
_SELECT_LAST_RAW = (
    "SELECT ts, total_balance, total_amount, subscription_balance, subscription_amount, "
    "gift_balance, gift_amount, reset_at_ms FROM balance_raw ORDER BY id DESC LIMIT 1"
)
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
_SQLITE_HEADER = b"SQLite format 3\x00"
_STATE = "state"
_STATE_CORRUPT = "state.corrupt"

# A Lensmor key ("uak_…", older "sk_…"); real keys are long random strings.
_KEY_LIKE = re.compile(r"\b(?:uak|sk)_[A-Za-z0-9]{12,}")


@dataclass(frozen=True)
class BalanceChange:
    """A recorded change of totalBalance."""

    ts: float
    balance: Number  # totalBalance after the change
    delta: Number  # change of totalBalance (negative: spent or expired; positive: reset/top-up)
    spent: Number  # the part of the change counted as spending (>= 0)


@dataclass(frozen=True)
class DailyUsage:
    day: dt.date  # a local calendar day
    spent: Number  # credits spent that day (resets, top-ups and expiry are not spending)
    balance: Number | None  # the last known totalBalance that day, None if nothing was recorded


@dataclass(frozen=True)
class AlertRecord:
    ts: float
    kind: str
    key: str
    title: str
    body: str


class _Unusable(Exception):
    """The file must not be used and must not be replaced either (e.g. a newer schema)."""


class HistoryStore:
    """SQLite history and state. Build it with `HistoryStore.open`; all methods are thread-safe."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        path: Path,
        persistent: bool,
        log: logging.Logger,
        heartbeat_s: float,
        raw_days: float,
        hourly_days: float,
        max_bytes: int | None,
    ) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self._log = log
        self._heartbeat_s = heartbeat_s
        self._raw_s = raw_days * DAY
        self._hourly_s = hourly_days * DAY
        self._max_bytes = max_bytes
        self._write_failing = False
        self.path = path
        #: False when the data directory could not be used and history lives in memory.
        self.persistent = persistent
        self._last = _last_raw(conn)

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        log: logging.Logger | None = None,
        now: float | None = None,
        heartbeat_s: float = DEFAULT_HEARTBEAT_S,
        raw_days: float = DEFAULT_RAW_DAYS,
        hourly_days: float = DEFAULT_HOURLY_DAYS,
        max_bytes: int | None = None,
    ) -> HistoryStore:
        """Open (or create) the history at `path`. Never raises for a bad file or directory.

        `now` only names a corrupt file moved aside. `max_bytes` caps the file size (SQLite's
        max_page_count): beyond it writes fail like on a full disk and are logged, not raised.
        """
        log = log or logging.getLogger(__name__)
        path = Path(path)
        try:
            conn = _open_file(path, log, now, max_bytes)
            persistent = True
        except (OSError, sqlite3.Error, _Unusable) as exc:
            log.warning(
                "history: cannot use %s (%s); keeping history in memory for this session",
                path,
                _describe(exc),
            )
            conn = _memory_fallback(path, max_bytes)
            persistent = False
        return cls(
            conn,
            path=path,
            persistent=persistent,
            log=log,
            heartbeat_s=heartbeat_s,
            raw_days=raw_days,
            hourly_days=hourly_days,
            max_bytes=max_bytes,
        )

    def close(self) -> None:
        with self._lock:
            with suppress(sqlite3.Error):  # best effort: closing must not fail because the disk did
                self._conn.execute("PRAGMA optimize")
            self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------

    def record_balance(self, ts: float, balance: Balance) -> bool:
        """Record a poll result; True if a row was written (a change or a due heartbeat)."""
        return self.record_balances([(ts, balance)]) == 1

    def record_balances(self, samples: Iterable[tuple[float, Balance]]) -> int:
        """`record_balance` for many polls in one transaction (imports, tests); rows written."""
        with self._lock:
            last = self._last
            rows: list[tuple[Any, ...]] = []
            for ts, balance in samples:
                row = self._row_for(last, ts, balance)
                if row is not None:
                    rows.append(row)
                    last = (ts, balance)
            if not rows:
                return 0

            def insert(conn: sqlite3.Connection) -> int:
                conn.executemany(_INSERT_RAW, rows)
                return len(rows)

            written = self._write("balance", insert, 0)
            if written:
                # Only after the rows are on disk: a failed write is retried at the next poll.
                self._last = last
            return written

    def _row_for(
        self, last: tuple[float, Balance] | None, ts: float, b: Balance
    ) -> tuple[Any, ...] | None:
        if not math.isfinite(ts):
            raise ValueError(f"timestamp must be finite, got {ts!r}")
        delta: Number | None = None
        spent: Number = 0
        if last is not None:
            last_ts, prev = last
            if prev == b and ts - last_ts < self._heartbeat_s:
                return None
            delta = b.total_balance - prev.total_balance
            spent = spent_between(prev, b, ts)
        return (
            ts,
            b.total_balance,
            b.total_amount,
            b.subscription_balance,
            b.subscription_amount,
            b.gift_balance,
            b.gift_amount,
            b.reset_at_ms,
            delta,
            spent,
        )

    def record_alert(self, ts: float, kind: str, key: str, title: str, body: str) -> None:
        values = (ts, *(self._redact(text) for text in (kind, key, title, body)))

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO alert_event (ts, kind, key, title, body) VALUES (?,?,?,?,?)", values
            )

        self._write("alert", insert, None)

    def save_state(self, state: dict[str, object]) -> None:
        """Replace the saved state (atomic: one row in one transaction).

        Raises TypeError/ValueError if `state` is not JSON (including NaN): that is a bug in
        the caller, not a fault of the disk.
        """
        text = self._redact(
            json.dumps(state, sort_keys=True, allow_nan=False, separators=(",", ":"))
        )

        def upsert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO app_state (name, json) VALUES (?, ?)", (_STATE, text)
            )

        self._write("state", upsert, None)

    def load_state(self) -> dict[str, object] | None:
        """The saved state, or None if there is none or it cannot be read (logged, kept aside)."""
        row = self._read(
            lambda c: c.execute("SELECT json FROM app_state WHERE name = ?", (_STATE,)).fetchone(),
            None,
        )
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except (ValueError, TypeError) as exc:
            problem = f"not valid JSON ({exc})"
        else:
            if isinstance(value, dict):
                return value
            problem = f"a JSON {type(value).__name__}, not an object"
        self._log.warning("history: the saved state is %s; starting without it", problem)
        bad = row[0]

        def set_aside(conn: sqlite3.Connection) -> None:
            # Keep the unreadable text for inspection; the next save_state replaces the original.
            conn.execute(
                "INSERT OR REPLACE INTO app_state (name, json) VALUES (?, ?)", (_STATE_CORRUPT, bad)
            )
            conn.execute("DELETE FROM app_state WHERE name = ?", (_STATE,))

        self._write("state", set_aside, None)
        return None

    # -- reading -------------------------------------------------------------------------------

    def last_recorded(self) -> tuple[float, Balance] | None:
        """The most recently recorded (time, balance), from memory."""
        with self._lock:
            return self._last

    def samples(self, since: float) -> list[tuple[float, float]]:
        """(ts, totalBalance) from `since` on, oldest first; aggregates give their last value."""

        def query(c: sqlite3.Connection) -> list[tuple[float, float]]:
            rows = c.execute(
                "SELECT last_ts, last_balance FROM balance_agg WHERE last_ts >= ? "
                "UNION ALL SELECT ts, total_balance FROM balance_raw WHERE ts >= ? "
                "ORDER BY 1",
                (since, since),
            ).fetchall()
            return [(float(ts), float(value)) for ts, value in rows]

        return self._read(query, [])

    def records(self, since: float) -> list[Recorded]:
        """Every recorded row from `since` on, plus the last one before it (and the last raw
        row before that, if it is a summary), oldest first.

        Raw rows carry all seven fields; hourly/daily summaries only their last totalBalance
        and what was spent in them (see `core.usage_series.Recorded`).
        """

        def query(c: sqlite3.Connection) -> list[Recorded]:
            raw = c.execute(
                "SELECT ts, spent, total_amount, total_balance, subscription_amount, "
                "subscription_balance, gift_amount, gift_balance, reset_at_ms "
                "FROM balance_raw ORDER BY ts, id"
            ).fetchall()
            agg = c.execute(
                "SELECT last_ts, last_balance, spent, period FROM balance_agg ORDER BY last_ts"
            ).fetchall()
            rows = []
            for ts, spent, t_a, t_b, s_a, s_b, g_a, g_b, reset_at in raw:
                balance = Balance(
                    whole(t_a), whole(t_b), whole(s_a), whole(s_b), whole(g_a), whole(g_b), reset_at
                )
                rows.append(Recorded(float(ts), balance.total_balance, whole(spent), balance))
            rows += [Recorded(float(ts), whole(b), whole(sp), None, int(p)) for ts, b, sp, p in agg]
            rows.sort(key=lambda r: r.ts)
            start = max(0, bisect.bisect_left([r.ts for r in rows], since) - 1)
            # Also the last raw row before that: the first change in the range is classified
            # against the seven fields it had (core.usage_series.events_of).
            raw_before = next((i for i in range(start - 1, -1, -1) if not rows[i].is_summary), None)
            return ([] if raw_before is None else [rows[raw_before]]) + rows[start:]

        return self._read(query, [])

    def spending_samples(self, since: float) -> list[tuple[float, float, float]]:
        """(ts, totalBalance, spent since the previous row) from `since` on, oldest first: the
        forecast's input (`core.forecast.Sample`); aggregates give their last value and the
        spending they hold."""

        def query(c: sqlite3.Connection) -> list[tuple[float, float, float]]:
            rows = c.execute(
                "SELECT last_ts, last_balance, spent FROM balance_agg WHERE last_ts >= ? "
                "UNION ALL SELECT ts, total_balance, spent FROM balance_raw WHERE ts >= ? "
                "ORDER BY 1",
                (since, since),
            ).fetchall()
            return [(float(ts), float(value), float(spent)) for ts, value, spent in rows]

        return self._read(query, [])

    def changes(self, limit: int = 20) -> list[BalanceChange]:
        """The most recent changes of totalBalance (raw window only), newest first."""

        def query(c: sqlite3.Connection) -> list[BalanceChange]:
            rows = c.execute(
                "SELECT ts, total_balance, delta, spent FROM balance_raw "
                "WHERE delta IS NOT NULL AND delta != 0 ORDER BY ts DESC, id DESC LIMIT ?",
                (limit,),
            ).fetchall()
            return [BalanceChange(ts, whole(b), whole(d), whole(s)) for ts, b, d, s in rows]

        return self._read(query, [])

    def alerts(self, since: float = 0.0, limit: int = 100) -> list[AlertRecord]:
        """Recorded alerts from `since` on, newest first."""

        def query(c: sqlite3.Connection) -> list[AlertRecord]:
            rows = c.execute(
                "SELECT ts, kind, key, title, body FROM alert_event WHERE ts >= ? "
                "ORDER BY ts DESC, id DESC LIMIT ?",
                (since, limit),
            ).fetchall()
            return [AlertRecord(*row) for row in rows]

        return self._read(query, [])

    def usage_between(self, start: float, end: float) -> float:
        """Credits spent in [start, end). Aggregated ranges count a bucket by its midpoint."""

        def query(c: sqlite3.Connection) -> float:
            (raw,) = c.execute(
                "SELECT total(spent) FROM balance_raw WHERE ts >= ? AND ts < ?", (start, end)
            ).fetchone()
            (agg,) = c.execute(
                "SELECT total(spent) FROM balance_agg "
                "WHERE start + period / 2.0 >= ? AND start + period / 2.0 < ?",
                (start, end),
            ).fetchone()
            return float(raw + agg)

        return self._read(query, 0.0)

    def daily_usage(
        self, days: int, tz: dt.tzinfo | None = None, now: float | None = None
    ) -> list[DailyUsage]:
        """Spending per local day for the `days` days ending with the day of `now`.

        `tz` None means the local zone; `now` None means the time of the latest record (an empty
        history gives an empty list). Every day of the range is listed, oldest first.
        """
        if days <= 0:
            return []
        if now is None:
            latest = self._read(_latest_ts, None)
            if latest is None:
                return []
            now = latest
        last_day = fmt.local_datetime(now, tz).date()
        first_day = last_day - dt.timedelta(days=days - 1)
        # Local midnights of every day in the range (and the one after): bisecting them is
        # much cheaper than converting each row's time, and stays right across DST changes.
        edges = [fmt.local_midnight(first_day + dt.timedelta(days=i), tz) for i in range(days + 1)]

        def query(c: sqlite3.Connection) -> list[tuple[float, float, float]]:
            return c.execute(
                "SELECT start + period / 2.0 AS at, spent, last_balance FROM balance_agg "
                "WHERE at >= ? AND at < ? "
                "UNION ALL SELECT ts, spent, total_balance FROM balance_raw "
                "WHERE ts >= ? AND ts < ? ORDER BY 1",
                (edges[0], edges[-1], edges[0], edges[-1]),
            ).fetchall()

        spent = [0.0] * days
        balance: list[float | None] = [None] * days
        rows: list[tuple[float, float, float]] = self._read(query, [])
        for at, amount, value in rows:
            index = bisect.bisect_right(edges, at) - 1
            if 0 <= index < days:
                spent[index] += amount
                balance[index] = value  # rows come oldest first: the last one wins
        return [
            DailyUsage(
                first_day + dt.timedelta(days=i),
                whole(spent[i]),
                _num_or_none(balance[i]),
            )
            for i in range(days)
        ]

    def row_counts(self) -> dict[str, int]:
        """Rows per table (for size budgets in tests, the soak suite and benchmarks)."""

        def query(c: sqlite3.Connection) -> dict[str, int]:
            # Table names come from our own constant, never from input.
            return {
                table: c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                for table in _EXPECTED_COLUMNS
            }

        return self._read(query, {})

    # -- retention -----------------------------------------------------------------------------

    def compact(self, now: float) -> None:
        """Fold old raw rows into hourly buckets and old hourly buckets into daily ones.

        Idempotent and incremental: run it at most daily. The most recent raw row is never
        folded, so the next poll can still be compared with it after a long absence.
        """
        raw_cutoff = _floor(now - self._raw_s, HOUR)
        hourly_cutoff = _floor(now - self._hourly_s, DAY)
        alert_cutoff = now - DEFAULT_ALERT_DAYS * DAY

        def fold(conn: sqlite3.Connection) -> bool:
            keep = self._last_raw_id(conn)
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
                "DELETE FROM balance_raw WHERE ts < ? AND id != ? "
                "AND id NOT IN (SELECT id FROM keep_raw)",
                (raw_cutoff, keep),
            )
            hourly = conn.execute(
                "SELECT first_ts, last_ts, min_balance, max_balance, last_balance, spent, n "
                "FROM balance_agg WHERE period = ? AND start < ? ORDER BY last_ts",
                (HOUR, hourly_cutoff),
            ).fetchall()
            _merge_into(conn, DAY, hourly)
            conn.execute(
                "DELETE FROM balance_agg WHERE period = ? AND start < ?", (HOUR, hourly_cutoff)
            )
            conn.execute("DELETE FROM alert_event WHERE ts < ?", (alert_cutoff,))
            return True

        if self._write("compaction", fold, False):
            self._shrink()

    @staticmethod
    def _last_raw_id(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT max(id) FROM balance_raw").fetchone()
        return -1 if row[0] is None else int(row[0])

    def _shrink(self) -> None:
        # Give freed pages back to the file system (auto_vacuum=INCREMENTAL), then fold the
        # WAL into the file so its size on disk is what the budget says.
        with self._lock:
            try:
                # executescript, not execute: sqlite3's execute steps this pragma only once,
                # which frees a single page.
                self._conn.executescript("PRAGMA incremental_vacuum;")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as exc:
                self._log.info("history: could not shrink the file (%s)", _describe(exc))

    # -- fault handling ------------------------------------------------------------------------

    def _write(self, what: str, fn: Callable[[sqlite3.Connection], T], failed: T) -> T:
        with self._lock:
            try:
                with _transaction(self._conn):
                    result = fn(self._conn)
            except sqlite3.OperationalError as exc:
                # Disk full, read-only, I/O error, locked: transient from our point of view.
                if not self._write_failing:
                    self._log.warning(
                        "history: could not save %s (%s); will retry, the app keeps running",
                        what,
                        _describe(exc),
                    )
                self._write_failing = True
                return failed
            except sqlite3.DatabaseError as exc:
                if not _is_corruption(exc):
                    raise
                self._recover_from_corruption(exc)
                return failed
            if self._write_failing:
                self._write_failing = False
                self._log.info("history: saving works again")
            return result

    def _read(self, fn: Callable[[sqlite3.Connection], T], failed: T) -> T:
        with self._lock:
            try:
                return fn(self._conn)
            except sqlite3.OperationalError as exc:
                self._log.warning("history: could not read (%s)", _describe(exc))
                return failed
            except sqlite3.DatabaseError as exc:
                if not _is_corruption(exc):
                    raise
                self._recover_from_corruption(exc)
                return failed

    def _recover_from_corruption(self, exc: sqlite3.DatabaseError) -> None:
        # The file was damaged while open (another program, a bad disk). Start a fresh file
        # the same way `open` does; what we still know (the last balance) stays in memory.
        self._log.warning("history: the database became unreadable (%s)", _describe(exc))
        with suppress(sqlite3.Error):
            self._conn.close()
        if self.persistent:
            try:
                _move_aside(self.path, None, self._log, f"unreadable while open: {exc}")
                self._conn = _open_file(self.path, self._log, None, self._max_bytes)
                return
            except (OSError, sqlite3.Error, _Unusable) as again:
                self._log.warning(
                    "history: cannot start a fresh %s (%s); keeping history in memory",
                    self.path,
                    _describe(again),
                )
        self._conn = _memory_fallback(None, self._max_bytes)
        self.persistent = False

    def _redact(self, text: str) -> str:
        masked, count = _KEY_LIKE.subn(lambda m: fmt.mask_key(m.group(0)), text)
        if count:
            self._log.warning("history: masked %d API-key-like string(s) before saving", count)
        return masked


def move_history(source: Path, target: Path) -> bool:
    """Move a (closed) history file with its journal to `target`, e.g. when an account is
    renamed. False if there was none. Refuses to replace an existing history (FileExistsError).
    """
    if not source.exists():
        return False
    if target.exists():
        raise FileExistsError(f"a history already exists at {target}")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The -wal holds committed rows not yet in the main file: it moves along, first, so a crash
    # between the two renames leaves a journal that SQLite replays into nothing, not data lost.
    for suffix in ("-wal", "-journal"):
        side = source.with_name(source.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    os.replace(source, target)
    source.with_name(source.name + "-shm").unlink(missing_ok=True)  # an index, holds no data
    return True


# -- module helpers (no state) -----------------------------------------------------------------


def _num_or_none(value: float | None) -> Number | None:
    return None if value is None else whole(value)


def _floor(value: float, step: int) -> float:
    return math.floor(value / step) * step


def _latest_ts(conn: sqlite3.Connection) -> float | None:
    row = conn.execute(
        "SELECT max(m) FROM (SELECT max(ts) AS m FROM balance_raw "
        "UNION ALL SELECT max(last_ts) FROM balance_agg)"
    ).fetchone()
    return None if row[0] is None else float(row[0])


def _last_raw(conn: sqlite3.Connection) -> tuple[float, Balance] | None:
    try:
        row = conn.execute(_SELECT_LAST_RAW).fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    ts, total_b, total_a, sub_b, sub_a, gift_b, gift_a, reset_at = row
    balance = Balance(
        total_amount=whole(total_a),
        total_balance=whole(total_b),
        subscription_amount=whole(sub_a),
        subscription_balance=whole(sub_b),
        gift_amount=whole(gift_a),
        gift_balance=whole(gift_b),
        reset_at_ms=reset_at,
    )
    return float(ts), balance


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


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    # sqlite3 raises the base DatabaseError for SQLITE_CORRUPT and SQLITE_NOTADB; its
    # subclasses (IntegrityError, ProgrammingError, ...) are bugs in our code and must surface.
    return type(exc) is sqlite3.DatabaseError


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _connect(target: str, *, uri: bool = False, max_bytes: int | None) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves. check_same_thread=False: the
    # store's lock serialises access, so the menu thread may read while the poll thread writes.
    conn = sqlite3.connect(target, uri=uri, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 2000")
    if max_bytes is not None:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page_size)}")
    return conn


def _open_file(
    path: Path, log: logging.Logger, now: float | None, max_bytes: int | None
) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(2):
        # Create the file ourselves so it is private (0600); SQLite gives its -wal and -shm
        # files the same mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        # Judge the header before SQLite sees the file: SQLite may discard a -wal beside a
        # file it cannot read, and those bytes must be moved aside, not lost.
        problem = _header_problem(path)
        if problem is None:
            conn = _connect(str(path), max_bytes=max_bytes)
            try:
                problem = _prepare(conn)
            except BaseException:
                conn.close()
                raise
            if problem is None:
                return conn
            conn.close()
        if attempt:
            break
        _move_aside(path, now, log, problem)
    raise _Unusable(f"a fresh database at {path} is still unusable")


def _header_problem(path: Path) -> str | None:
    with path.open("rb") as handle:
        header = handle.read(len(_SQLITE_HEADER))
    if header and header != _SQLITE_HEADER:
        return "file is not a database (no SQLite header)"
    return None


def _prepare(conn: sqlite3.Connection) -> str | None:
    """Check or create our schema; return why the file is unusable, or None if it is ready.

    Raises OperationalError for I/O faults (the caller falls back to memory) and `_Unusable`
    for a file from a newer version (left untouched for that version).
    """
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _Unusable(
                f"schema version {version} is newer than this app's {SCHEMA_VERSION}; "
                "the file is left untouched"
            )
        tables = _table_names(conn)
        if version == 0:
            if tables:
                return f"not a lensmor-tray history (foreign tables: {', '.join(sorted(tables))})"
            _create(conn)
        else:
            check = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            if check != "ok":
                return f"integrity check failed: {check}"
            if not _schema_matches(conn, tables):
                return "unexpected schema"
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:
        if not _is_corruption(exc):
            raise
        return str(exc)
    return None


def _table_names(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return {name for (name,) in rows}


def _schema_matches(conn: sqlite3.Connection, tables: set[str]) -> bool:
    if not set(_EXPECTED_COLUMNS) <= tables:
        return False
    for table, columns in _EXPECTED_COLUMNS.items():
        found = tuple(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
        if found != columns:
            return False
    return True


def _create(conn: sqlite3.Connection) -> None:
    # auto_vacuum must be chosen before the first table exists.
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    with _transaction(conn):
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _move_aside(path: Path, now: float | None, log: logging.Logger, problem: str) -> Path:
    """Rename the unusable file (and its journal) to `<name>.corrupt-<UTC time>`; keep bytes."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    os.replace(path, aside)
    # A journal left beside would be replayed into the fresh database: move it along.
    for suffix in ("-wal", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, aside.with_name(aside.name + suffix))
    path.with_name(path.name + "-shm").unlink(missing_ok=True)  # an index, holds no data
    log.warning(
        "history: %s is unusable (%s); moved it aside to %s and started a fresh one",
        path,
        problem,
        aside.name,
    )
    return aside


def _memory_fallback(path: Path | None, max_bytes: int | None) -> sqlite3.Connection:
    """An in-memory store, seeded from `path` when it is a readable history of our schema."""
    if path is not None and path.is_file():
        # "immutable" also reads a WAL database whose directory is read-only (no -shm possible).
        for query in ("mode=ro", "immutable=1"):
            seeded = _seed_from(f"{path.resolve().as_uri()}?{query}", max_bytes)
            if seeded is not None:
                return seeded
    memory = _connect(":memory:", max_bytes=max_bytes)
    _create(memory)
    return memory


def _seed_from(uri: str, max_bytes: int | None) -> sqlite3.Connection | None:
    try:
        source = _connect(uri, uri=True, max_bytes=None)
    except sqlite3.Error:
        return None
    memory = _connect(":memory:", max_bytes=max_bytes)
    try:
        version = source.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION and _schema_matches(source, _table_names(source)):
            source.backup(memory)
            return memory
    except sqlite3.Error:
        pass
    finally:
        source.close()
    memory.close()
    return None
