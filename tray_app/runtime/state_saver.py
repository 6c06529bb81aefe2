"""Writes an account's newest saved state, never an older one over a newer.

The poll thread and the UI thread (a pause, a resume, quit) both change what is saved. Each
change is numbered when it is made (`mark`, called under the monitor's lock, so the numbers
follow the order of the changes); `save` writes until nothing newer is left. A caller that
finds another thread writing returns at once: the writer picks its state up, so the UI never
waits on a slow disk and a poll's save never undoes a pause saved meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple


class _Marked(NamedTuple):
    seq: int
    data: dict[str, object]


class StateSaver:
    def __init__(self, write: Callable[[dict[str, object]], object]) -> None:
        self._write = write  # must not raise (the monitor guards it)
        self._lock = threading.Lock()  # guards _made and _latest
        self._write_lock = threading.Lock()  # held by the one thread writing
        self._made = 0
        self._latest = _Marked(0, {})
        self._written = 0  # the seq last written (under _write_lock)

    def mark(self, data: dict[str, object]) -> None:
        """`data` is now the newest state to save."""
        with self._lock:
            self._made += 1
            self._latest = _Marked(self._made, data)

    def save(self, *, wait: bool = False) -> None:
        """Write the newest state. `wait` (quit): block until it is on disk."""
        while True:
            if not self._write_lock.acquire(blocking=wait):
                return
            try:
                while True:
                    with self._lock:
                        latest = self._latest
                    if latest.seq <= self._written:
                        break
                    self._write(latest.data)
                    self._written = latest.seq
            finally:
                self._write_lock.release()
            # A state marked between the last check and the release found the lock held
            # and left it to us: look once more.
            with self._lock:
                if self._latest.seq <= self._written:
                    return
