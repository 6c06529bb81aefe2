"""One instance per user: an exclusive lock on a file in the data directory.

The lock file holds the PID of the running instance, so a second start can tell the first one
to refresh (SIGUSR1 on POSIX) and exit. The OS drops the lock when the process dies, so a crash
never leaves a stale lock behind (unlike a plain PID file).

POSIX: `flock` on the whole file. Windows: `msvcrt.locking` locks `nbytes` "from the current
file position" (Python docs), and the lock is mandatory: no other handle may read the locked
bytes. So every instance locks the same single byte at `WINDOWS_LOCK_OFFSET`, past the PID
text (a lock may extend beyond the end of the file), never "wherever the file position is":
the file was once opened in append mode, positioned at its end, so a second instance locked
a different byte and started anyway.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import IO, Any

#: The byte every instance locks on Windows: beyond any PID, so the PID stays readable.
WINDOWS_LOCK_OFFSET = 4096


class AlreadyRunning(Exception):
    def __init__(self, pid: int | None) -> None:
        super().__init__(f"lensmor-tray is already running (pid {pid})" if pid else "")
        self.pid = pid


class InstanceLock:
    def __init__(self, path: Path, *, msvcrt: Any = None) -> None:
        """`msvcrt`: the Windows locking module (given by tests to check the Windows path on
        any system; on Windows it is imported)."""
        self.path = path
        self._handle: IO[str] | None = None
        if msvcrt is None and sys.platform == "win32":  # pragma: no cover - Windows only
            import msvcrt as windows_msvcrt

            msvcrt = windows_msvcrt
        self._msvcrt = msvcrt

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning with the other instance's PID."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Read/write without truncating or appending (there is no such mode for open()).
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+", encoding="ascii")
        try:
            self._lock(handle)
        except OSError:
            handle.seek(0)
            text = handle.read().strip()
            handle.close()
            raise AlreadyRunning(int(text) if text.isdigit() else None) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.seek(0)
                self._handle.truncate()
            if self._msvcrt is not None:
                with contextlib.suppress(OSError):
                    os.lseek(self._handle.fileno(), WINDOWS_LOCK_OFFSET, os.SEEK_SET)
                    self._msvcrt.locking(self._handle.fileno(), self._msvcrt.LK_UNLCK, 1)
            self._handle.close()
            self._handle = None

    def _lock(self, handle: IO[str]) -> None:
        if self._msvcrt is not None:
            # locking() starts at the descriptor's position: put it there explicitly.
            os.lseek(handle.fileno(), WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            self._msvcrt.locking(handle.fileno(), self._msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def ask_to_refresh(pid: int | None) -> bool:
    """Ask the running instance to refresh now. True if the request was delivered."""
    if pid is None or not hasattr(signal, "SIGUSR1"):
        return False
    try:
        os.kill(pid, signal.SIGUSR1)
    except OSError:
        return False
    return True


def is_running(path: Path) -> bool:
    """Whether an instance holds the lock at `path` (every OS: takes and drops the lock)."""
    lock = InstanceLock(path)
    try:
        lock.acquire()
    except AlreadyRunning:
        return True
    lock.release()
    return False


def running_pid(path: Path) -> int | None:
    """The PID of the instance holding the lock at `path`, or None when none runs (POSIX;
    on Windows always None: the mandatory lock makes the PID unreadable from outside).

    Tries a shared lock without blocking: the running app holds an exclusive one, so failing to
    get it means the app runs. Never takes the lock for longer than this call."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return None
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    with os.fdopen(fd, "r", encoding="ascii", errors="replace") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else None
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None


def ask_to_reload(lock_file: Path) -> int | None:
    """Tell the running tray app (the PID in `lock_file`) to re-read its config and keys:
    SIGHUP, as SIGUSR1 asks it to refresh. The PID it was sent to, or None when no app runs
    (or this OS has no such signal: Windows)."""
    if not hasattr(signal, "SIGHUP"):  # pragma: no cover - Windows
        return None
    pid = running_pid(lock_file)
    if pid is None:
        return None
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError:
        return None
    return pid
