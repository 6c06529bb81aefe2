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
  `retention`) and the first row are never folded: a few a month, they keep every such change
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

`HistoryStore` (here) records, keeps the state and serialises access; the rest is in siblings:
`opening` (the schema, opening, moving a bad file aside, the memory fallback), `retention`
(compaction) and `queries` (the reads and the records they return).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from tray_app.core import fmt
from tray_app.core.balance import Balance, Number
from tray_app.core.usage import spent_between
from tray_app.core.usage_series import Recorded
from tray_app.history import queries, retention
from tray_app.history.opening import (
    Unusable,
    describe,
    is_corruption,
    memory_fallback,
    move_aside,
    open_file,
    transaction,
)
from tray_app.history.queries import AlertRecord, BalanceChange, DailyUsage
from tray_app.history.retention import DAY, DEFAULT_HOURLY_DAYS, DEFAULT_RAW_DAYS, HOUR
from tray_app.history.state_token import bump_state_token

T = TypeVar("T")

DEFAULT_HEARTBEAT_S = 6 * HOUR

_INSERT_RAW = (
    "INSERT INTO balance_raw (ts, total_balance, total_amount, subscription_balance, "
    "subscription_amount, gift_balance, gift_amount, reset_at_ms, delta, spent) "
    "VALUES (?,?,?,?,?,?,?,?,?,?)"
)
_STATE = "state"
_STATE_CORRUPT = "state.corrupt"

# A Lensmor key ("uak_…", older "sk_…"); real keys are long random strings.
_KEY_LIKE = re.compile(r"\b(?:uak|sk)_[A-Za-z0-9]{12,}")


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
        self._last = queries.last_raw(conn)

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
            conn = open_file(path, log, now, max_bytes)
            persistent = True
        except (OSError, sqlite3.Error, Unusable) as exc:
            log.warning(
                "history: cannot use %s (%s); keeping history in memory for this session",
                path,
                describe(exc),
            )
            conn = memory_fallback(path, max_bytes)
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
        self._state_changed()

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
        self._state_changed()
        return None

    def _state_changed(self) -> None:
        """After the saved state changed: a new token beside the file (history/state_token.py),
        for `status --cached`'s memo. Not for a history kept in memory: no reader sees it."""
        if self.persistent:
            bump_state_token(self.path)

    # -- reading -------------------------------------------------------------------------------

    def last_recorded(self) -> tuple[float, Balance] | None:
        """The most recently recorded (time, balance), from memory."""
        with self._lock:
            return self._last

    def samples(self, since: float) -> list[tuple[float, float]]:
        """(ts, totalBalance) from `since` on, oldest first; aggregates give their last value."""
        return self._read(lambda c: queries.samples(c, since), [])

    def records(self, since: float) -> list[Recorded]:
        """Every recorded row from `since` on, plus the last one before it (and the last raw
        row before that, if it is a summary), oldest first.

        Raw rows carry all seven fields; hourly/daily summaries only their last totalBalance
        and what was spent in them (see `core.usage_series.Recorded`).
        """
        return self._read(lambda c: queries.records(c, since), [])

    def spending_samples(self, since: float) -> list[tuple[float, float, float]]:
        """(ts, totalBalance, spent since the previous row) from `since` on, oldest first: the
        forecast's input (`core.forecast.Sample`); aggregates give their last value and the
        spending they hold."""
        return self._read(lambda c: queries.spending_samples(c, since), [])

    def changes(self, limit: int = 20) -> list[BalanceChange]:
        """The most recent changes of totalBalance (raw window only), newest first."""
        return self._read(lambda c: queries.changes(c, limit), [])

    def alerts(self, since: float = 0.0, limit: int = 100) -> list[AlertRecord]:
        """Recorded alerts from `since` on, newest first."""
        return self._read(lambda c: queries.alerts(c, since, limit), [])

    def usage_between(self, start: float, end: float) -> float:
        """Credits spent in [start, end). Aggregated ranges count a bucket by its midpoint."""
        return self._read(lambda c: queries.usage_between(c, start, end), 0.0)

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
            latest = self._read(queries.latest_ts, None)
            if latest is None:
                return []
            now = latest
        first_day, edges = queries.day_edges(days, tz, now)
        # A failed read still lists every day, with nothing spent and no balance.
        rows: list[tuple[float, float, float]] = self._read(
            lambda c: queries.rows_between(c, edges[0], edges[-1]), []
        )
        return queries.per_day(first_day, edges, rows)

    def row_counts(self) -> dict[str, int]:
        """Rows per table (for size budgets in tests, the soak suite and benchmarks)."""
        return self._read(queries.row_counts, {})

    # -- retention -----------------------------------------------------------------------------

    def compact(self, now: float) -> None:
        """Fold old raw rows into hourly buckets and old hourly buckets into daily ones.

        Idempotent and incremental: run it at most daily. The most recent raw row is never
        folded, so the next poll can still be compared with it after a long absence.
        """
        raw_s, hourly_s = self._raw_s, self._hourly_s
        if self._write("compaction", lambda c: retention.fold(c, now, raw_s, hourly_s), False):
            with self._lock:
                retention.shrink(self._conn, self._log)

    # -- fault handling ------------------------------------------------------------------------

    def _write(self, what: str, fn: Callable[[sqlite3.Connection], T], failed: T) -> T:
        with self._lock:
            try:
                with transaction(self._conn):
                    result = fn(self._conn)
            except sqlite3.OperationalError as exc:
                # Disk full, read-only, I/O error, locked: transient from our point of view.
                if not self._write_failing:
                    self._log.warning(
                        "history: could not save %s (%s); will retry, the app keeps running",
                        what,
                        describe(exc),
                    )
                self._write_failing = True
                return failed
            except sqlite3.DatabaseError as exc:
                if not is_corruption(exc):
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
                self._log.warning("history: could not read (%s)", describe(exc))
                return failed
            except sqlite3.DatabaseError as exc:
                if not is_corruption(exc):
                    raise
                self._recover_from_corruption(exc)
                return failed

    def _recover_from_corruption(self, exc: sqlite3.DatabaseError) -> None:
        # The file was damaged while open (another program, a bad disk). Start a fresh file
        # the same way `open` does; what we still know (the last balance) stays in memory.
        self._log.warning("history: the database became unreadable (%s)", describe(exc))
        with suppress(sqlite3.Error):
            self._conn.close()
        if self.persistent:
            try:
                move_aside(self.path, None, self._log, f"unreadable while open: {exc}")
                self._conn = open_file(self.path, self._log, None, self._max_bytes)
                return
            except (OSError, sqlite3.Error, Unusable) as again:
                self._log.warning(
                    "history: cannot start a fresh %s (%s); keeping history in memory",
                    self.path,
                    describe(again),
                )
        self._conn = memory_fallback(None, self._max_bytes)
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
