"""The state token beside a history file (history/state_token.py): new after every change of
the saved state, so that `status --cached`'s memo can tell two saves apart."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from tray_app.cli.status_memo import read_token
from tray_app.history import state_token
from tray_app.history.opening import SCHEMA_VERSION
from tray_app.history.state_token import state_token_path
from tray_app.history.store import HistoryStore


def token(db: Path) -> str:
    return state_token_path(db).read_text()


def test_every_save_writes_a_new_private_token(store: HistoryStore, db: Path) -> None:
    assert not state_token_path(db).exists()  # opening alone changes no state
    seen = set()
    for _ in range(5):
        store.save_state({"monitor": {"version": 1}, "alerts": {}})  # the same state each time
        seen.add(token(db))
    assert len(seen) == 5
    assert all(len(t) == 16 and int(t, 16) >= 0 for t in seen)
    assert stat.S_IMODE(state_token_path(db).stat().st_mode) == 0o600
    assert state_token_path(db).name == "history.state-token"
    assert [p.name for p in db.parent.glob("*.tmp")] == []  # no temporary file left


def test_the_token_is_overwritten_in_place_never_emptied(store: HistoryStore, db: Path) -> None:
    """A reader catching the write must never read an empty file (two empty reads would look
    alike across a save): the same inode is written over, with no truncation to zero."""
    store.save_state({"monitor": {"version": 1}})
    path = state_token_path(db)
    inode = path.stat().st_ino
    path.write_text("0123456789abcdef-and-a-longer-tail-of-an-older-version")
    store.save_state({"monitor": {"version": 1}})
    assert path.stat().st_ino == inode
    assert len(token(db)) == 16
    assert "tail" not in token(db)


def test_a_link_in_place_of_the_token_is_not_followed(store: HistoryStore, db: Path) -> None:
    elsewhere = db.parent / "elsewhere.txt"
    elsewhere.write_text("keep me")
    state_token_path(db).symlink_to(elsewhere)
    store.save_state({"monitor": {"version": 1}})  # the token cannot be written: removed
    assert elsewhere.read_text() == "keep me"
    assert not state_token_path(db).exists()


def test_setting_an_unreadable_state_aside_writes_a_new_token(
    store: HistoryStore, db: Path
) -> None:
    store.save_state({"monitor": {"version": 1}})
    before = token(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE app_state SET json = 'not json' WHERE name = 'state'")
    conn.close()
    assert store.load_state() is None  # set aside: `status --cached` now has no state
    assert token(db) != before


def test_a_history_kept_in_memory_writes_no_token(db: Path) -> None:
    HistoryStore.open(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")  # a newer app's file
    conn.close()
    with HistoryStore.open(db) as store:
        assert not store.persistent
        store.save_state({"monitor": {"version": 1}})
    assert not state_token_path(db).exists()


def test_a_token_that_cannot_be_written_is_removed(
    store: HistoryStore, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk: the old token must not stay, or a memo would trust it after the save."""
    store.save_state({"monitor": {"version": 1}})
    assert state_token_path(db).exists()

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(state_token, "write_in_place", disk_full)
    store.save_state({"monitor": {"version": 2}})  # never raises: the state itself is saved
    assert not state_token_path(db).exists()
    assert store.load_state() == {"monitor": {"version": 2}}


def test_a_fifo_in_place_of_the_token_does_not_block_the_save(
    store: HistoryStore, db: Path
) -> None:
    """Opening a FIFO for writing waits for a reader: the poll's state save hung there."""
    os.mkfifo(state_token_path(db))
    saving = threading.Thread(target=store.save_state, args=({"monitor": {"version": 1}},))
    saving.start()
    saving.join(5)
    assert not saving.is_alive()
    assert not state_token_path(db).exists()  # not a token: removed, as a failed write is
    assert store.load_state() == {"monitor": {"version": 1}}


def test_a_reader_does_not_wait_on_a_fifo_either(tmp_path: Path) -> None:
    fifo = tmp_path / "history.state-token"
    os.mkfifo(fifo)
    assert read_token(str(fifo)) is None
