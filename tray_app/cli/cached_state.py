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
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

# Already loaded by the time this runs (status_feed.py and the config need it): no cost.
from tray_app.core.language import N_

if TYPE_CHECKING:
    from tray_app.core.language import Language

#: How long to wait for the app's write transaction to finish (WAL readers rarely wait at all).
BUSY_TIMEOUT_S = 0.5


class CachedStateError(Exception):
    """The saved state exists but cannot be read: one line for the user. Like ConfigError:
    `message` is English (marked with N_) with {named} `values`; `str()` is the English line,
    `text(lang)` the line where it is printed (cli/commands/status.py), in the user's language."""

    def __init__(self, message: str, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(message.format(**values))

    def text(self, lang: Language) -> str:
        return lang.gettext(self.message).format(**self.values)


_CANNOT_READ = N_("cannot read the saved state in {path}: {error}")


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
        raise CachedStateError(_CANNOT_READ, path=db, error=exc) from None
    except sqlite3.DatabaseError as exc:
        raise CachedStateError(_CANNOT_READ, path=db, error=exc) from None
    if row is None:
        return None
    try:
        value = json.loads(row[0])
    except (TypeError, ValueError):
        raise CachedStateError(
            N_("the saved state in {path} is not valid JSON; the app replaces it at its next poll"),
            path=db,
        ) from None
    return value if isinstance(value, dict) else None
