"""Work handed off to a thread of its own, so the caller (a menu callback, the poll) never
waits for it: opening a browser, a notification's send, waiting for a child window."""

from __future__ import annotations

import threading
from collections.abc import Callable


def in_background(fn: Callable[[], None], name: str = "lensmor-background") -> None:
    """Run `fn` on a new daemon thread (it must not keep the app from quitting)."""
    threading.Thread(target=fn, name=name, daemon=True).start()
