"""Opening the history file when it is unusable, with faults provoked for real.

Garbage bytes and foreign databases in the file, a path under a regular file (ENOTDIR, works
anywhere), a size cap reached (SQLite's own SQLITE_FULL), and, where the test runs as root
with CAP_SYS_ADMIN, a real full tmpfs and a real read-only mount (EROFS). Running as root,
chmod does not block writes, so no test relies on it.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.history.store_helpers import T0, bal, raw_rows, sql
from tray_app.history.opening import SCHEMA_VERSION
from tray_app.history.store import HistoryStore

# -- corrupt files -----------------------------------------------------------------------------


def only_aside(db: Path) -> Path:
    asides = [p for p in db.parent.glob(db.name + ".corrupt-*") if not p.name.endswith("-wal")]
    assert len(asides) == 1, asides
    return asides[0]


def test_a_file_of_garbage_is_moved_aside_and_a_fresh_history_started(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = random.Random(3).randbytes(10_000)
    db.parent.mkdir(parents=True)
    db.write_bytes(garbage)
    with caplog.at_level(logging.WARNING), HistoryStore.open(db, now=T0) as store:
        assert store.persistent
        assert store.record_balance(T0, bal(30_000))
    aside = only_aside(db)
    assert aside.name == "history.sqlite3.corrupt-20260101T000000Z"
    assert aside.read_bytes() == garbage
    assert "moved it aside to history.sqlite3.corrupt-20260101T000000Z" in caplog.text
    assert raw_rows(db) == [(T0, 30_000)]


def test_a_foreign_sqlite_database_is_moved_aside_untouched(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db.parent.mkdir(parents=True)
    with sql(db) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO photos (name) VALUES ('cat.jpg')")
    original = db.read_bytes()
    with caplog.at_level(logging.WARNING), HistoryStore.open(db, now=T0) as store:
        store.save_state({"ok": True})
        assert store.load_state() == {"ok": True}
    assert "foreign tables: photos" in caplog.text
    assert only_aside(db).read_bytes() == original


def test_our_version_with_a_damaged_schema_is_moved_aside(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    HistoryStore.open(db).close()
    with sql(db) as conn:
        conn.execute("DROP TABLE balance_agg")
    with caplog.at_level(logging.WARNING), HistoryStore.open(db, now=T0) as store:
        assert store.record_balance(T0, bal(1))
        store.compact(T0)  # would fail without balance_agg
    assert "unexpected schema" in caplog.text
    only_aside(db)


def test_a_truncated_database_is_moved_aside(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    with HistoryStore.open(db) as store:
        store.record_balances((T0 + i * 300, bal(30_000 - i)) for i in range(5_000))
    original = db.read_bytes()
    db.write_bytes(original[: len(original) // 2])
    with caplog.at_level(logging.WARNING), HistoryStore.open(db, now=T0) as store:
        assert store.samples(0) == []
    assert "is unusable" in caplog.text
    assert only_aside(db).read_bytes() == original[: len(original) // 2]


def test_a_stale_journal_moves_aside_with_the_file_and_is_not_replayed(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"not a database at all" * 100)
    wal = db.with_name(db.name + "-wal")
    wal.write_bytes(b"old wal bytes")
    with HistoryStore.open(db, now=T0) as store:
        store.record_balance(T0, bal(5))
    aside = only_aside(db)
    assert aside.with_name(aside.name + "-wal").read_bytes() == b"old wal bytes"
    assert raw_rows(db) == [(T0, 5)]


def test_a_file_from_a_newer_version_is_left_untouched_and_memory_is_used(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    HistoryStore.open(db).close()
    with sql(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    original = db.read_bytes()
    with caplog.at_level(logging.WARNING), HistoryStore.open(db) as store:
        assert not store.persistent
        assert store.record_balance(T0, bal(1))
    assert "newer than this app's" in caplog.text
    assert db.read_bytes() == original
    assert list(db.parent.glob("*.corrupt-*")) == []


def test_a_file_damaged_while_open_is_replaced_without_raising(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Larger than SQLite's 2 MB page cache: a smaller file stays cached after the integrity
    # check at open, so damage done meanwhile is only seen (and handled) at the next start.
    with HistoryStore.open(db) as store:
        store.record_balances((T0 + i * 300, bal(60_000 - i, amount=60_050)) for i in range(60_000))
    assert db.stat().st_size > 2_500_000
    with HistoryStore.open(db, now=T0) as store:
        db.write_bytes(random.Random(5).randbytes(db.stat().st_size))
        with caplog.at_level(logging.WARNING):
            assert store.samples(0) == []  # the damage is noticed here, nothing is raised
            assert store.record_balance(T0 + 300 * 60_000, bal(100))
            store.save_state({"after": True})
            assert store.load_state() == {"after": True}
    assert "became unreadable" in caplog.text
    only_aside(db)
    assert raw_rows(db) == [(T0 + 300 * 60_000, 100)]


# -- directories that cannot be written --------------------------------------------------------


def test_a_path_under_a_regular_file_falls_back_to_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be")
    with caplog.at_level(logging.WARNING), HistoryStore.open(blocker / "h.sqlite3") as store:
        assert not store.persistent
        assert store.record_balance(T0, bal(10))
        store.save_state({"kept": "in memory"})
        assert store.load_state() == {"kept": "in memory"}
        assert store.samples(0) == [(T0, 10.0)]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "keeping history in memory" in warnings[0].getMessage()


def test_a_size_cap_makes_writes_fail_quietly_once_and_the_app_keeps_going(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with HistoryStore.open(db, max_bytes=64 * 1024) as store, caplog.at_level(logging.WARNING):
        results = [store.record_balance(T0 + i * 300, bal(30_000 - i)) for i in range(3_000)]
        assert results[0] is True
        assert results[-1] is False  # the cap (SQLITE_FULL) was reached
        failures = [r for r in caplog.records if "could not save balance" in r.getMessage()]
        assert len(failures) == 1  # logged once, not once per poll
        assert "full" in failures[0].getMessage()
        # The last row written is still what the next poll is compared with.
        last_ts, last_balance = store.samples(0)[-1]
        assert store.last_recorded() == (last_ts, bal(int(last_balance)))


def _mount_tmpfs(target: Path, size: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root + CAP_SYS_ADMIN): {done.stderr!r}")


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KiB file system: filling it gives ENOSPC, remounting it ro gives EROFS."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "mnt"
    _mount_tmpfs(mnt, "512k")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def _write_until_error(fd: int) -> None:
    while True:
        os.write(fd, b"\0" * 4096)


def fill(fs: Path) -> Path:
    filler = fs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(OSError) as info:  # noqa: PT011 - the errno is checked below
            _write_until_error(fd)
    finally:
        os.close(fd)
    assert info.value.errno == errno.ENOSPC
    return filler


def test_a_full_disk_at_start_falls_back_to_memory(
    small_fs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fill(small_fs)
    with caplog.at_level(logging.WARNING), HistoryStore.open(small_fs / "h.sqlite3") as store:
        assert not store.persistent
        assert store.record_balance(T0, bal(10))
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "keeping history in memory" in warnings[0]


def test_a_disk_filling_up_while_running_is_survived_and_recovered_from(
    small_fs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = small_fs / "h.sqlite3"
    with HistoryStore.open(db) as store, caplog.at_level(logging.INFO):
        assert store.record_balance(T0, bal(30_000))
        filler = fill(small_fs)
        results = [store.record_balance(T0 + i * 300, bal(30_000 - i)) for i in range(1, 2_000)]
        assert False in results
        assert "could not save balance" in caplog.text
        filler.unlink()
        assert store.record_balance(T0 + 2_000 * 300, bal(1))
        assert "saving works again" in caplog.text
    assert raw_rows(db)[-1] == (T0 + 2_000 * 300, 1)


def test_a_read_only_file_system_uses_memory_seeded_from_the_file(
    small_fs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = small_fs / "h.sqlite3"
    with HistoryStore.open(db) as store:
        store.record_balance(T0, bal(30_000))
        store.save_state({"last": 30_000})
    before = {p.name: p.read_bytes() for p in small_fs.iterdir()}
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    with caplog.at_level(logging.WARNING), HistoryStore.open(db) as store:
        assert not store.persistent
        assert store.load_state() == {"last": 30_000}  # the last good state is still shown
        assert store.record_balance(T0 + 300, bal(29_000))
        assert store.samples(0) == [(T0, 30_000.0), (T0 + 300, 29_000.0)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "Read-only file system" in warnings[0]
    assert "keeping history in memory" in warnings[0]
    assert {p.name: p.read_bytes() for p in small_fs.iterdir()} == before
