"""HistoryStore against real SQLite files: recording changes and heartbeats, alerts and the
app state, keys masked, reads while the poll thread writes, a private file that reopens.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest

from tests.unit.history.store_helpers import RESET_S, T0, bal, raw_rows, sql
from tray_app.core.balance import Balance
from tray_app.core.usage import spent_between
from tray_app.history.opening import SCHEMA_VERSION
from tray_app.history.queries import BalanceChange
from tray_app.history.retention import DAY, HOUR
from tray_app.history.store import DEFAULT_HEARTBEAT_S, HistoryStore

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
