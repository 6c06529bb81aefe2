"""Read what the running app last saved, for `status --cached` and `doctor`: no request, no key.

The app keeps its state as one JSON row in the history database (`store.HistoryStore`). This
reader opens that file read-only (`mode=ro`: it never creates, repairs or moves the file the
app owns) and imports nothing heavier than sqlite3, so a status bar can run it every few
seconds (see docs/benchmarks.md).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

#: How long to wait for the app's write transaction to finish (WAL readers rarely wait at all).
BUSY_TIMEOUT_S = 0.5


class CachedStateError(Exception):
    """The saved state exists but cannot be read; the message is one line for the user."""


def read_saved_state(db: Path) -> dict[str, Any] | None:
    """The app's last saved state, or None when it never saved one (never ran here)."""
    if not db.exists():
        return None
    uri = f"file:{quote(str(db))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            row = conn.execute("SELECT json FROM app_state WHERE name = 'state'").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise CachedStateError(f"cannot read the saved state in {db}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise CachedStateError(f"cannot read the saved state in {db}: {exc}") from None
    if row is None:
        return None
    try:
        value = json.loads(row[0])
    except (TypeError, ValueError):
        raise CachedStateError(
            f"the saved state in {db} is not valid JSON; the app replaces it at its next poll"
        ) from None
    return value if isinstance(value, dict) else None
