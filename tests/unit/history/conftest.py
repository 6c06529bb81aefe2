"""Fixtures for the history store's tests: a path for the file, and a store opened on it.
(test_export.py defines its own `store`.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tray_app.history.store import HistoryStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[HistoryStore]:
    with HistoryStore.open(db) as opened:
        yield opened
