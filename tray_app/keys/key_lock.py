"""One key save at a time: an exclusive lock on the folder that holds the key files.

Why: a save writes the keyring, reads it back and may fall back to the file and remove the
keyring's copy. Two `key set` at once (or `key set` beside the settings window) interleaving
those steps could each see the other's key on read-back, fall back, and remove the copy the
other had just verified, leaving no key at all while both report success. The lock makes each
save see only its own writes.

POSIX: `flock` on the folder itself (a directory can be opened read-only and locked), so no
lock file is left among the user's files; Windows, which cannot open a folder so: a lock file
and `msvcrt.locking` on one byte (as instance.py does). The OS drops the lock when the process
dies. A folder that cannot be created or opened (a read-only parent) is not an error here: the
save itself then reports what it cannot write.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

WINDOWS_LOCK_FILE_NAME = ".api-key.lock"
#: Longer than one save can take with a keyring that hangs on every call (three 3 s calls).
DEFAULT_WAIT_S = 20.0
_POLL_S = 0.05

log = logging.getLogger(__name__)


class KeySaveBusy(Exception):
    """Another process kept the lock for longer than the wait."""


@contextlib.contextmanager
def key_save_lock(folder: Path, wait_s: float = DEFAULT_WAIT_S) -> Iterator[None]:
    """Hold the key-save lock of `folder` (the config folder) for the block."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = _open_lock_target(folder)
    except OSError as exc:
        log.debug("no key-save lock in %s: %s", folder, exc.strerror)
        yield
        return
    try:
        _acquire(fd, wait_s)
        try:
            yield
        finally:
            _release(fd)
    finally:
        os.close(fd)


def _open_lock_target(folder: Path) -> int:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return os.open(folder / WINDOWS_LOCK_FILE_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    return os.open(folder, os.O_RDONLY)


def _acquire(fd: int, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            _try_lock(fd)
            return
        except OSError:
            if time.monotonic() >= deadline:
                raise KeySaveBusy(f"another key save held the lock for {wait_s:g} s") from None
            time.sleep(_POLL_S)


def _try_lock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _release(fd: int) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":  # pragma: no cover - Windows only
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
