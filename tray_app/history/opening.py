"""Opening the history file: the schema, recognising it, and what happens when it is unusable.

Separate from `store` because it runs before there is a store, once at `HistoryStore.open` and
again if the file goes bad while open: check the header before SQLite sees the file, check or
create the schema, move a corrupt or foreign file aside (with its journal, keeping every byte)
and start a fresh one, or fall back to memory, seeded read-only from the file when it can be
read. It also holds the transaction and error helpers the store's reads and writes share.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = 1

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
EXPECTED_COLUMNS: dict[str, tuple[str, ...]] = {
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

_SQLITE_HEADER = b"SQLite format 3\x00"


class Unusable(Exception):
    """The file must not be used and must not be replaced either (e.g. a newer schema)."""


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (the connection autocommits)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """Whether `exc` says the file is damaged (move it aside), not that our SQL is wrong."""
    # sqlite3 raises the base DatabaseError for SQLITE_CORRUPT and SQLITE_NOTADB; its
    # subclasses (IntegrityError, ProgrammingError, ...) are bugs in our code and must surface.
    return type(exc) is sqlite3.DatabaseError


def describe(exc: BaseException) -> str:
    """A short reason for a log line."""
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


def open_file(
    path: Path, log: logging.Logger, now: float | None, max_bytes: int | None
) -> sqlite3.Connection:
    """Open the history at `path`, creating it, or moving an unusable one aside first.

    Raises OSError/sqlite3.Error when the directory or disk cannot be used, and `Unusable`
    when the file is one to leave alone; the caller then falls back to `memory_fallback`.
    """
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
        move_aside(path, now, log, problem)
    raise Unusable(f"a fresh database at {path} is still unusable")


def _header_problem(path: Path) -> str | None:
    with path.open("rb") as handle:
        header = handle.read(len(_SQLITE_HEADER))
    if header and header != _SQLITE_HEADER:
        return "file is not a database (no SQLite header)"
    return None


def _prepare(conn: sqlite3.Connection) -> str | None:
    """Check or create our schema; return why the file is unusable, or None if it is ready.

    Raises OperationalError for I/O faults (the caller falls back to memory) and `Unusable`
    for a file from a newer version (left untouched for that version).
    """
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise Unusable(
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
        if not is_corruption(exc):
            raise
        return str(exc)
    return None


def _table_names(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return {name for (name,) in rows}


def _schema_matches(conn: sqlite3.Connection, tables: set[str]) -> bool:
    if not set(EXPECTED_COLUMNS) <= tables:
        return False
    for table, columns in EXPECTED_COLUMNS.items():
        found = tuple(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
        if found != columns:
            return False
    return True


def _create(conn: sqlite3.Connection) -> None:
    # auto_vacuum must be chosen before the first table exists.
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    with transaction(conn):
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def move_aside(path: Path, now: float | None, log: logging.Logger, problem: str) -> Path:
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


def memory_fallback(path: Path | None, max_bytes: int | None) -> sqlite3.Connection:
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
