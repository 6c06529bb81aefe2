"""One instance per user: an exclusive lock on a file in the data directory.

The lock file holds the PID of the running instance, so a second start can tell the first one
to refresh (SIGUSR1 on POSIX) and exit. The OS drops the lock when the process dies, so a crash
never leaves a stale lock behind (unlike a plain PID file).

A data directory the app cannot write (read-only, full, a file where the folder should be) or a
lock path that is not a plain file (a folder, a symlink: never followed, so a link to someone
else's file is never truncated) does not stop the app: the lock is then taken beside the
session's runtime files (`fallback_lock_path`: $XDG_RUNTIME_DIR, else the temp folder), and
every check (`running_pid`, `is_running`, a second start) looks in both places.

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
import stat
import sys
import zlib
from pathlib import Path
from typing import IO, Any

#: The byte every instance locks on Windows: beyond any PID, so the PID stays readable.
WINDOWS_LOCK_OFFSET = 4096


class AlreadyRunning(Exception):
    def __init__(self, pid: int | None) -> None:
        super().__init__(f"lensmor-tray is already running (pid {pid})" if pid else "")
        self.pid = pid


class LockUnavailable(OSError):
    """Neither the data directory's lock file nor the fallback could be opened: the app may
    run without a lock (and says so)."""


def fallback_lock_path(primary: Path) -> Path:
    """Where the lock goes when `primary` cannot be used: the session's runtime folder, one
    name per data directory (the demo and each test HOME keep their own)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime):
        folder = Path(runtime)
    else:
        import tempfile  # only here: the tray's start-up is a benchmarked figure

        folder = Path(tempfile.gettempdir())
    digest = f"{zlib.crc32(os.fsencode(primary)):08x}"  # not a secret: a short, stable tag
    owner = os.getuid() if hasattr(os, "getuid") else 0  # the temp folder may be shared
    return folder / f"lensmor-tray-{owner}-{digest}.lock"


class InstanceLock:
    def __init__(self, path: Path, *, msvcrt: Any = None, use_fallback: bool = True) -> None:
        """`msvcrt`: the Windows locking module (given by tests to check the Windows path on
        any system; on Windows it is imported). `use_fallback`: False to use `path` only."""
        self.path = path
        self.fallback = fallback_lock_path(path) if use_fallback else None
        #: Where the lock is held once acquired (`path` or `fallback`).
        self.held_at: Path | None = None
        #: Why `path` could not be used, when the fallback was tried.
        self.problem: OSError | None = None
        self._handle: IO[str] | None = None
        if msvcrt is None and sys.platform == "win32":  # pragma: no cover - Windows only
            import msvcrt as windows_msvcrt

            msvcrt = windows_msvcrt
        self._msvcrt = msvcrt

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning with the other instance's PID; LockUnavailable
        when no lock file can be opened at all."""
        try:
            handle = self._open(self.path)
        except OSError as exc:
            self.problem = exc
        else:
            self._take(handle, self.path)
            # One that started while the data directory was unusable holds the fallback.
            other = _holder(self.fallback, self._msvcrt) if self.fallback else None
            if other is not None:
                self.release()
                raise AlreadyRunning(other or None)
            return
        if self.fallback is None:
            raise LockUnavailable(self.problem.errno, self.problem.strerror, self.problem.filename)
        other = _holder(self.path, self._msvcrt)
        if other is not None:  # the data directory went read-only under a running instance
            raise AlreadyRunning(other or None)
        try:
            handle = self._open(self.fallback)
        except OSError as exc:
            raise LockUnavailable(exc.errno, exc.strerror, exc.filename) from None
        self._take(handle, self.fallback)

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
            self.held_at = None

    @staticmethod
    def _open(path: Path) -> IO[str]:
        """Open (or create) `path` for reading and writing, never through a symlink and only
        if it is a plain file: the PID is written into it, so it must be ours."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # Read/write without truncating or appending (there is no such mode for open()).
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags, 0o600)
        if not _ours(os.fstat(fd)):  # a FIFO, a device, another user's file in a shared /tmp
            os.close(fd)
            raise OSError(0, "not a plain file of this user's", str(path))
        return os.fdopen(fd, "r+", encoding="ascii", errors="replace")

    def _take(self, handle: IO[str], path: Path) -> None:
        try:
            self._lock(handle)
        except OSError:
            handle.seek(0)
            text = handle.read(32).strip()
            handle.close()
            raise AlreadyRunning(int(text) if text.isdigit() else None) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        self.held_at = path

    def _lock(self, handle: IO[str]) -> None:
        if self._msvcrt is not None:
            # locking() starts at the descriptor's position: put it there explicitly.
            os.lseek(handle.fileno(), WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            self._msvcrt.locking(handle.fileno(), self._msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _holder(path: Path, msvcrt: Any) -> int | None:
    """The PID holding the lock at `path` (0 when held but the PID is unreadable), or None
    when nobody holds it. Creates nothing: a missing file is a free lock."""
    try:
        if not _ours(os.lstat(path)):
            return None  # never a lock we took: the app does not follow links
    except OSError:
        return None
    if msvcrt is None:
        pid = _pid_holding(path)
        if pid is not None:
            return pid
    probe = InstanceLock(path, msvcrt=msvcrt, use_fallback=False)
    try:
        probe.acquire()
    except AlreadyRunning as exc:
        return exc.pid or 0
    except OSError:
        return None  # neither writable nor locked by anyone we can see
    probe.release()
    return None


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
    """Whether an instance holds the lock at `path` or its fallback (every OS: takes and drops
    the lock). False when no lock can be taken anywhere: nothing to ask about then."""
    lock = InstanceLock(path)
    try:
        lock.acquire()
    except AlreadyRunning:
        return True
    except LockUnavailable:
        return False
    lock.release()
    return False


def running_pid(path: Path) -> int | None:
    """The PID of the instance holding the lock at `path` or at its fallback (one whose data
    directory could not be written), or None when none runs (see `_pid_holding`)."""
    for place in (path, fallback_lock_path(path)):
        # Only a plain file of this user's can be a lock the app took (it never follows a
        # symlink): the PID read from it is signalled.
        with contextlib.suppress(OSError):
            if _ours(os.lstat(place)) and (pid := _pid_holding(place)):
                return pid
    return None


def _ours(info: os.stat_result) -> bool:
    """A plain file owned by this user. Without the owner check, another user could plant a
    lock file holding any PID in a shared temp folder (the fallback when XDG_RUNTIME_DIR is
    unset): the tray would then refuse to start, and `key set` or `account add` would send
    that PID SIGHUP, whose default action ends a process."""
    if not stat.S_ISREG(info.st_mode):
        return False
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _pid_holding(path: Path) -> int | None:
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
