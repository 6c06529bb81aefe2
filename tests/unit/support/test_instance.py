"""The single-instance lock, on this system (flock) and on Windows' msvcrt.locking semantics.

`FakeMsvcrt` stands in for Windows' `msvcrt` (it cannot run here), following what its
documentation says (docs.python.org/3/library/msvcrt.html#msvcrt.locking):
- `locking(fd, mode, nbytes)` locks `nbytes` bytes "from the current file position" of `fd`,
  and the locked region "may continue beyond the end of the file";
- `LK_NBLCK` raises OSError when the bytes are already locked (by another handle);
- `LK_UNLCK` unlocks them; closing the handle drops its locks (the OS does it).
The position comes from the real descriptor (os.lseek), so a file opened in append mode
really sits at its end, as it does on Windows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tray_app.support.instance import AlreadyRunning, InstanceLock


@dataclass
class FakeMsvcrt:
    LK_UNLCK: int = 0
    LK_LOCK: int = 1
    LK_NBLCK: int = 2
    #: (file identity, first byte, length) -> the descriptor holding it
    regions: dict[tuple[tuple[int, int], int, int], int] = field(default_factory=dict)

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        st = os.fstat(fd)
        identity = (st.st_dev, st.st_ino)
        start = os.lseek(fd, 0, os.SEEK_CUR)
        self.regions = {k: v for k, v in self.regions.items() if _open(v)}  # closed: unlocked
        if mode == self.LK_UNLCK:
            self.regions.pop((identity, start, nbytes), None)
            return
        for (ident, first, length), holder in self.regions.items():
            overlaps = first < start + nbytes and start < first + length
            if ident == identity and overlaps and holder != fd:
                raise OSError(36, "Resource deadlock avoided")  # what msvcrt raises (EDEADLOCK)
        self.regions[(identity, start, nbytes)] = fd


def _open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def test_a_second_instance_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path / "lock")
    first.acquire()
    try:
        with pytest.raises(AlreadyRunning) as refused:
            InstanceLock(tmp_path / "lock").acquire()
        assert refused.value.pid == os.getpid()
    finally:
        first.release()
    again = InstanceLock(tmp_path / "lock")
    again.acquire()  # released: the next start gets it
    again.release()


def test_on_windows_semantics_a_second_instance_is_refused_with_the_pid(tmp_path: Path) -> None:
    # Before the fix the file was opened in append mode: the first instance locked byte 0 of an
    # empty file, wrote its PID, and the second, positioned at the end, locked byte 5: "free".
    msvcrt = FakeMsvcrt()
    first = InstanceLock(tmp_path / "lock", msvcrt=msvcrt)
    first.acquire()
    try:
        with pytest.raises(AlreadyRunning) as refused:
            InstanceLock(tmp_path / "lock", msvcrt=msvcrt).acquire()
        assert refused.value.pid == os.getpid()
    finally:
        first.release()
    assert msvcrt.regions == {}
    again = InstanceLock(tmp_path / "lock", msvcrt=msvcrt)
    again.acquire()
    again.release()


def test_the_fake_follows_the_documented_position_rule(tmp_path: Path) -> None:
    # The stand-in itself: a lock starts at the descriptor's position, so two handles at
    # different positions lock different bytes, and at the same position the second fails.
    path = tmp_path / "f"
    path.write_text("12345")
    msvcrt = FakeMsvcrt()
    with open(path, "a+") as a, open(path, "a+") as b:
        assert os.lseek(a.fileno(), 0, os.SEEK_CUR) == 5  # append mode: at the end
        msvcrt.locking(a.fileno(), msvcrt.LK_NBLCK, 1)
        os.lseek(b.fileno(), 0, os.SEEK_SET)
        msvcrt.locking(b.fileno(), msvcrt.LK_NBLCK, 1)  # byte 0 is another byte: allowed
        os.lseek(b.fileno(), 5, os.SEEK_SET)
        with pytest.raises(OSError, match="deadlock"):
            msvcrt.locking(b.fileno(), msvcrt.LK_NBLCK, 1)


def test_a_lock_file_planted_by_another_user_is_neither_obeyed_nor_signalled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without XDG_RUNTIME_DIR the fallback lock lies in the shared temp folder, where another
    # user could plant one holding any PID: the tray would refuse to start and `key set` would
    # SIGHUP that PID (whose default action ends it). Only this user's files count.
    import fcntl
    import subprocess
    import sys

    from tray_app.support.instance import fallback_lock_path, running_pid

    if os.getuid() != 0:
        pytest.skip("chown to another user needs root (as CI runs)")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir()
    primary = tmp_path / "data" / "instance.lock"
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        planted = fallback_lock_path(primary)
        planted.write_text(str(victim.pid))
        os.chown(planted, 65534, 65534)
        with planted.open("r") as held:
            fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # "another user's" running instance
            assert running_pid(primary) is None
            lock = InstanceLock(primary)
            lock.acquire()  # not AlreadyRunning
            assert lock.held_at == primary
            lock.release()
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()
