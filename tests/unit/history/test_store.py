"""HistoryStore against real SQLite files: recording, state, retention and faults.

Faults provoked for real: garbage bytes and foreign databases in the file, a path under a regular
file (ENOTDIR, works anywhere), a size cap reached (SQLite's own SQLITE_FULL), and, where the
test runs as root with CAP_SYS_ADMIN, a real full tmpfs and a real read-only mount (EROFS).
Running as root, chmod does not block writes, so no test relies on it.
"""

from __future__ import annotations

import datetime as dt
import errno
import itertools
import json
import logging
import os
import random
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tray_app.core.balance import Balance
from tray_app.core.usage import spent_between
from tray_app.history.opening import SCHEMA_VERSION
from tray_app.history.queries import BalanceChange
from tray_app.history.retention import DAY, HOUR
from tray_app.history.store import DEFAULT_HEARTBEAT_S, HistoryStore

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
RESET_S = T0 + 30 * DAY
UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))


def bal(
    total: int,
    *,
    amount: int = 35_050,
    gift: int = 50,
    reset_s: float | None = RESET_S,
) -> Balance:
    """A consistent balance: subscription credits are spent before gift credits."""
    gift_balance = min(gift, total)
    return Balance(
        total_amount=amount,
        total_balance=total,
        subscription_amount=amount - gift,
        subscription_balance=total - gift_balance,
        gift_amount=gift,
        gift_balance=gift_balance,
        reset_at_ms=None if reset_s is None else int(reset_s * 1000),
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[HistoryStore]:
    with HistoryStore.open(db) as opened:
        yield opened


@contextmanager
def sql(path: Path) -> Iterator[sqlite3.Connection]:
    """An independent autocommit connection: what is really on disk, closed afterwards."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def raw_rows(path: Path) -> list[tuple[float, float]]:
    with sql(path) as conn:
        return conn.execute("SELECT ts, total_balance FROM balance_raw ORDER BY id").fetchall()


# -- recording ---------------------------------------------------------------------------------


def test_only_changes_are_recorded_plus_a_heartbeat_every_six_hours(
    store: HistoryStore, db: Path
) -> None:
    assert store.record_balance(T0, bal(30_000)) is True  # the first poll always writes
    written = [store.record_balance(T0 + i * 300, bal(30_000)) for i in range(1, 72)]
    assert written == [False] * 71  # six hours minus one poll of the same balance
    assert store.record_balance(T0 + DEFAULT_HEARTBEAT_S, bal(30_000)) is True  # heartbeat
    assert store.record_balance(T0 + DEFAULT_HEARTBEAT_S + 300, bal(29_950)) is True  # change
    assert store.record_balance(T0 + DEFAULT_HEARTBEAT_S + 600, bal(29_950)) is False
    assert raw_rows(db) == [
        (T0, 30_000),
        (T0 + DEFAULT_HEARTBEAT_S, 30_000),
        (T0 + DEFAULT_HEARTBEAT_S + 300, 29_950),
    ]


def test_a_change_in_any_field_is_recorded_even_if_the_total_is_the_same(
    store: HistoryStore, db: Path
) -> None:
    store.record_balance(T0, bal(30_000))
    assert store.record_balance(T0 + 300, bal(30_000, reset_s=RESET_S + 30 * DAY)) is True
    assert len(raw_rows(db)) == 2
    assert store.changes() == []  # the total did not move: not a balance change


def test_the_heartbeat_interval_is_configurable(db: Path) -> None:
    with HistoryStore.open(db, heartbeat_s=HOUR) as store:
        store.record_balance(T0, bal(100))
        assert store.record_balance(T0 + HOUR - 1, bal(100)) is False
        assert store.record_balance(T0 + HOUR, bal(100)) is True


def test_changes_carry_delta_and_spending_newest_first(store: HistoryStore) -> None:
    store.record_balance(T0, bal(30_000))
    store.record_balance(T0 + 300, bal(28_000))  # an event unlock
    store.record_balance(T0 + 600, bal(28_500, amount=35_550, gift=550))  # a 500 gift
    store.record_balance(T0 + 900, bal(28_450, amount=35_550, gift=550))
    assert store.changes() == [
        BalanceChange(T0 + 900, 28_450, -50, 50),
        BalanceChange(T0 + 600, 28_500, 500, 0),
        BalanceChange(T0 + 300, 28_000, -2_000, 2_000),
    ]
    assert [c.ts for c in store.changes(limit=2)] == [T0 + 900, T0 + 600]


def test_the_last_row_is_remembered_across_a_restart(db: Path) -> None:
    with HistoryStore.open(db) as store:
        store.record_balance(T0, bal(30_000))
    with HistoryStore.open(db) as store:
        assert store.last_recorded() == (T0, bal(30_000))
        assert store.record_balance(T0 + 300, bal(30_000)) is False
        assert store.record_balance(T0 + 600, bal(29_000)) is True
        assert store.changes()[0].spent == 1_000


def test_a_non_finite_timestamp_is_refused(store: HistoryStore) -> None:
    with pytest.raises(ValueError, match="finite"):
        store.record_balance(float("nan"), bal(1))


@pytest.mark.parametrize(
    ("name", "prev", "cur", "ts", "expected"),
    [
        ("spend", bal(30_000), bal(29_950), T0, 50),
        ("no change", bal(30_000), bal(30_000), T0, 0),
        ("gift top-up", bal(30_000), bal(30_500, amount=35_550, gift=550), T0, 0),
        ("top-up and spend in one poll", bal(30_000), bal(30_450, amount=35_550, gift=550), T0, 50),
        ("reset refill", bal(1_000), bal(35_050, reset_s=RESET_S + 30 * DAY), RESET_S, 0),
        ("reset to a smaller plan", bal(20_000), bal(10_050, amount=10_050, reset_s=None), T0, 0),
        ("expiry seen before resetAt moves", bal(20_000), bal(50), RESET_S + 60, 0),
        ("grant shrinks without spending", bal(30_000), bal(29_000, amount=34_050), T0, 0),
    ],
)
def test_spent_between(name: str, prev: Balance, cur: Balance, ts: float, expected: int) -> None:
    assert spent_between(prev, cur, ts) == expected, name


# -- alerts and state --------------------------------------------------------------------------


def test_alert_rows_are_kept_newest_first(store: HistoryStore, db: Path) -> None:
    store.record_alert(T0, "threshold", "low:20%", "Credits low", "7,000 credits left (20%)")
    store.record_alert(T0 + 60, "reset", "reset:1769817600000", "Credits renewed", "35,000")
    alerts = store.alerts()
    assert [(a.ts, a.kind, a.key, a.title) for a in alerts] == [
        (T0 + 60, "reset", "reset:1769817600000", "Credits renewed"),
        (T0, "threshold", "low:20%", "Credits low"),
    ]
    assert [a.kind for a in store.alerts(since=T0 + 1)] == ["reset"]
    with sql(db) as conn:
        assert conn.execute("SELECT count(*) FROM alert_event").fetchone()[0] == 2


def test_state_round_trips_across_a_restart(db: Path) -> None:
    state: dict[str, object] = {
        "balance": bal(30_050).to_api_dict(),
        "fetchedAt": T0,
        "alerts": {"armed": ["low", "critical"], "lastReset": None},
    }
    with HistoryStore.open(db) as store:
        assert store.load_state() is None
        store.save_state({"old": True})
        store.save_state(state)
    with HistoryStore.open(db) as store:
        assert store.load_state() == state


def test_state_that_is_not_json_gives_none_a_log_line_and_is_kept_aside(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    HistoryStore.open(db).close()
    with sql(db) as conn:
        conn.execute("INSERT INTO app_state (name, json) VALUES ('state', '{\"balance\": 30')")
    with HistoryStore.open(db) as store, caplog.at_level(logging.WARNING):
        assert store.load_state() is None
        assert "saved state is not valid JSON" in caplog.text
        assert store.load_state() is None  # asking again does not raise either
        store.save_state({"fresh": 1})
        assert store.load_state() == {"fresh": 1}
    with sql(db) as conn:
        kept = conn.execute("SELECT json FROM app_state WHERE name = 'state.corrupt'").fetchone()
    assert kept == ('{"balance": 30',)


def test_state_that_is_json_but_not_an_object_gives_none(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    HistoryStore.open(db).close()
    with sql(db) as conn:
        conn.execute("INSERT INTO app_state (name, json) VALUES ('state', '[1, 2]')")
    with HistoryStore.open(db) as store, caplog.at_level(logging.WARNING):
        assert store.load_state() is None
    assert "JSON list, not an object" in caplog.text


def test_state_that_is_not_serialisable_is_a_caller_bug(store: HistoryStore) -> None:
    with pytest.raises(ValueError, match="JSON"):
        store.save_state({"rate": float("nan")})


def test_key_like_strings_are_masked_before_reaching_the_file(
    store: HistoryStore, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    canary = "uak_CANARYcanary0123456789abcdef"
    with caplog.at_level(logging.WARNING):
        store.save_state({"note": f"key {canary}"})
        store.record_alert(T0, "auth", "auth", "Key rejected", f"The key {canary} was rejected")
    store.close()
    assert "CANARY" not in caplog.text
    on_disk = b"".join(p.read_bytes() for p in db.parent.iterdir())
    assert b"CANARY" not in on_disk
    assert b"uak_\xe2\x80\xa6cdef" in on_disk  # the masked form, as fmt.mask_key writes it


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


# -- retention ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Year:
    samples: list[tuple[float, Balance]]
    spent: list[tuple[float, int]]  # what the simulated user spent, by poll time
    end: float


def simulate_year(seed: int = 7, days: int = 365, interval: int = 300) -> Year:
    """Five-minute polls of an account with a 35,000 monthly plan, bursty spending,
    occasional gifts and a resetAt that moves every 30 days (expiry + refill)."""
    rng = random.Random(seed)
    plan, sub, gift_amount, gift = 35_000, 35_000, 0, 0
    reset = T0 + 30 * DAY
    samples: list[tuple[float, Balance]] = []
    spent: list[tuple[float, int]] = []
    for i in range(days * DAY // interval):
        ts = T0 + i * interval
        if ts >= reset:
            sub, reset = plan, reset + 30 * DAY  # unused credits expire, the plan refills
        else:
            if rng.random() < 0.002:
                gift_amount, gift = gift_amount + 500, gift + 500
            if rng.random() < 0.1:
                cost = rng.choice((15, 15, 50, 50, 2_000) if rng.random() < 0.01 else (15, 50))
                if cost <= sub + gift:
                    from_sub = min(cost, sub)
                    sub, gift = sub - from_sub, gift - (cost - from_sub)
                    spent.append((ts, cost))
        balance = Balance(
            plan + gift_amount, sub + gift, plan, sub, gift_amount, gift, int(reset * 1000)
        )
        samples.append((ts, balance))
    return Year(samples, spent, T0 + (days * DAY // interval - 1) * interval)


@pytest.fixture(scope="module")
def year() -> Year:
    return simulate_year()


def expected_daily(year: Year, tz: dt.tzinfo) -> dict[dt.date, int]:
    result: dict[dt.date, int] = {}
    for ts, cost in year.spent:
        day = dt.datetime.fromtimestamp(ts, tz).date()
        result[day] = result.get(day, 0) + cost
    return result


def usage_map(store: HistoryStore, year: Year, tz: dt.tzinfo) -> dict[dt.date, float]:
    return {d.day: d.spent for d in store.daily_usage(367, tz, year.end) if d.spent}


def test_a_year_compacts_to_a_small_file_and_keeps_daily_usage(db: Path, year: Year) -> None:
    def size() -> int:
        return sum(p.stat().st_size for p in db.parent.iterdir())

    with HistoryStore.open(db) as store:
        store.record_balances(year.samples)
        before = store.row_counts()["balance_raw"]
        assert usage_map(store, year, UTC) == expected_daily(year, UTC)
    size_before = size()
    with HistoryStore.open(db) as store:
        store.compact(year.end)
        counts = store.row_counts()
        assert usage_map(store, year, UTC) == expected_daily(year, UTC)
        assert store.usage_between(0, year.end + 1) == sum(c for _, c in year.spent)
    assert before > 10_000
    assert sum(counts.values()) < 20_000
    assert counts["balance_raw"] < 28 * 288  # only the last four weeks stay raw
    assert counts["balance_agg"] < 190 * 24
    assert size() < 2 * 1024 * 1024
    assert size() < size_before / 2  # freed pages went back to the file system


def test_local_days_are_exact_where_hourly_data_is_kept_and_totals_everywhere(
    db: Path, year: Year
) -> None:
    with HistoryStore.open(db) as store:
        store.record_balances(year.samples)
        store.compact(year.end)
        got = usage_map(store, year, PLUS2)
    want = expected_daily(year, PLUS2)
    recent = dt.datetime.fromtimestamp(year.end - 170 * DAY, PLUS2).date()
    assert {d: v for d, v in got.items() if d >= recent} == {
        d: v for d, v in want.items() if d >= recent
    }
    # Older days are kept per UTC day, so a day's spending may shift to its UTC neighbour.
    assert sum(got.values()) == sum(want.values())


def test_daily_compaction_through_the_year_equals_one_compaction_at_the_end(
    tmp_path: Path, year: Year
) -> None:
    with HistoryStore.open(tmp_path / "daily.sqlite3") as daily:
        per_day = 288
        for start in range(0, len(year.samples), per_day):
            chunk = year.samples[start : start + per_day]
            daily.record_balances(chunk)
            daily.compact(chunk[-1][0])
        with HistoryStore.open(tmp_path / "once.sqlite3") as once:
            once.record_balances(year.samples)
            once.compact(year.end)
            assert daily.row_counts() == once.row_counts()
            assert daily.samples(0) == once.samples(0)
            assert daily.daily_usage(366, UTC, year.end) == once.daily_usage(366, UTC, year.end)


def test_samples_span_raw_and_aggregated_ranges_in_time_order(db: Path, year: Year) -> None:
    with HistoryStore.open(db) as store:
        store.record_balances(year.samples)
        store.compact(year.end)
        points = store.samples(0)
        recent = store.samples(year.end - 7 * DAY)
    times = [ts for ts, _ in points]
    assert times == sorted(times)
    assert times[0] < T0 + DAY  # daily buckets reach back to the start
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps[: len(gaps) // 3]) > 12 * HOUR  # daily resolution at the old end
    assert max(gaps[-100:]) <= DEFAULT_HEARTBEAT_S  # raw resolution at the recent end
    assert all(ts >= year.end - 7 * DAY for ts, _ in recent)
    # Every returned value is a balance the account really had at that time.
    actual = {ts: b.total_balance for ts, b in year.samples}
    assert all(actual[ts] == value for ts, value in points)


def test_the_latest_row_survives_a_long_absence_so_the_gap_is_still_counted(db: Path) -> None:
    with HistoryStore.open(db) as store:
        store.record_balance(T0, bal(30_000, reset_s=None))
        later = T0 + 90 * DAY
        store.compact(later)
        assert store.row_counts()["balance_raw"] == 1
        store.record_balance(later, bal(25_000, reset_s=None))
        assert store.changes()[0] == BalanceChange(later, 25_000, -5_000, 5_000)


def test_a_late_row_after_a_clock_jump_merges_into_its_bucket(db: Path) -> None:
    with HistoryStore.open(db) as store:
        store.record_balance(T0, bal(30_000))
        store.record_balance(T0 + 600, bal(29_000))
        store.record_balance(T0 + 1_200, bal(28_000))
        store.compact(T0 + 60 * DAY)
        store.record_balance(T0 + 900, bal(27_000))  # the clock went back an hour... or two months
        store.record_balance(T0 + 61 * DAY, bal(27_000, reset_s=None))
        store.compact(T0 + 60 * DAY + DAY)
        # The first row stays raw (every later row that adds credits is compared with it).
        assert store.samples(0) == [
            (T0, 30_000.0),
            (T0 + 1_200, 28_000.0),
            (T0 + 61 * DAY, 27_000.0),
        ]
        assert store.usage_between(0, T0 + 62 * DAY) == 3_000
        assert store.row_counts()["balance_agg"] == 1


def test_old_alerts_are_dropped_after_a_year(store: HistoryStore) -> None:
    store.record_alert(T0, "reset", "r1", "Renewed", "35,000")
    store.record_alert(T0 + 300 * DAY, "reset", "r2", "Renewed", "35,000")
    store.compact(T0 + 400 * DAY)
    assert [a.key for a in store.alerts()] == ["r2"]


# -- usage queries -----------------------------------------------------------------------------


def test_daily_usage_ignores_resets_and_top_ups(store: HistoryStore) -> None:
    store.record_balances(
        [
            (T0 + 1 * HOUR, bal(1_000)),
            (T0 + 2 * HOUR, bal(900)),  # spent 100
            (RESET_S + HOUR, bal(35_050, reset_s=RESET_S + 30 * DAY)),  # reset
            (RESET_S + 2 * HOUR, bal(35_000, reset_s=RESET_S + 30 * DAY)),  # spent 50
            (RESET_S + 3 * HOUR, bal(36_000, amount=36_050, reset_s=RESET_S + 30 * DAY)),  # gift
        ]
    )
    usage = store.daily_usage(31, UTC, RESET_S + 3 * HOUR)
    assert len(usage) == 31
    assert usage[0].day == dt.date(2026, 1, 1)
    assert usage[-1].day == dt.date(2026, 1, 31)
    assert [(d.day, d.spent) for d in usage if d.spent] == [
        (dt.date(2026, 1, 1), 100),
        (dt.date(2026, 1, 31), 50),
    ]
    assert usage[0].balance == 900
    assert usage[1].balance is None
    assert usage[-1].balance == 36_000


def test_daily_usage_follows_the_local_day(store: HistoryStore) -> None:
    store.record_balance(T0 - 3 * HOUR, bal(1_000))
    store.record_balance(T0 - 1 * HOUR, bal(900))  # 23:00 UTC on 31 Dec = 01:00 on 1 Jan at +2
    assert [(d.day, d.spent) for d in store.daily_usage(2, UTC, T0)] == [
        (dt.date(2025, 12, 31), 100),
        (dt.date(2026, 1, 1), 0),
    ]
    assert [(d.day, d.spent) for d in store.daily_usage(2, PLUS2, T0)] == [
        (dt.date(2025, 12, 31), 0),
        (dt.date(2026, 1, 1), 100),
    ]


def test_daily_usage_follows_daylight_saving_changes(store: HistoryStore) -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time zone database on this machine")
    # Summer time starts on 29 Mar 2026, a 23-hour day; from then midnight is 22:00 UTC.
    utc = dt.datetime(2026, 3, 29, 21, 0, tzinfo=UTC).timestamp()
    store.record_balance(utc, bal(1_000, reset_s=None))
    store.record_balance(utc + 1_800, bal(990, reset_s=None))  # 23:30 local on 29 Mar
    store.record_balance(utc + 5_400, bal(970, reset_s=None))  # 00:30 local on 30 Mar
    usage = store.daily_usage(2, berlin, utc + 6_000)
    assert [(d.day, d.spent) for d in usage] == [
        (dt.date(2026, 3, 29), 10),
        (dt.date(2026, 3, 30), 20),
    ]


def test_daily_usage_of_an_empty_history_without_now_is_empty(store: HistoryStore) -> None:
    assert store.daily_usage(7, UTC) == []
    store.record_balance(T0, bal(5))
    assert [d.day for d in store.daily_usage(2, UTC)] == [
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 1),
    ]


def test_usage_between_is_half_open(store: HistoryStore) -> None:
    store.record_balance(T0, bal(1_000))
    store.record_balance(T0 + 100, bal(990))
    store.record_balance(T0 + 200, bal(970))
    assert store.usage_between(T0 + 100, T0 + 200) == 10
    assert store.usage_between(T0, T0 + 201) == 30
    assert store.usage_between(T0 + 201, T0 + 999) == 0


# -- threads and files -------------------------------------------------------------------------


def test_reads_from_another_thread_while_the_poll_thread_writes(store: HistoryStore) -> None:
    errors: list[Exception] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                store.samples(0)
                store.changes()
        except Exception as exc:  # noqa: BLE001 - any error in the reader fails the test below
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(500):
            store.record_balance(T0 + i * 300, bal(30_000 - i))
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len(store.samples(0)) == 500


def test_the_file_is_private_and_reopens_with_the_same_data(db: Path) -> None:
    with HistoryStore.open(db) as store:
        store.record_balance(T0, bal(1))
    assert db.stat().st_mode & 0o777 == 0o600
    with sql(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with HistoryStore.open(db) as store:
        assert json.dumps(store.samples(0)) == json.dumps([[T0, 1.0]])
