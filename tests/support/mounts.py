"""Folders that cannot be written, made real: a tmpfs mounted over a test folder.

Tests run as root (here and in CI), and root ignores file modes, so `chmod a-w` does not make
a folder read-only. A mount does: `read_only(folder)` and `full(folder)` mount a small tmpfs
over `folder` with a copy of what it held, then remount it read-only or fill it to the last
byte. Every mount is undone when the context ends (the folder's own files reappear as they
were). Without root or without `mount`, the test is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Big enough for a config, a key file and a history; small enough to fill at once.
TINY_TMPFS = "256k"
FILLER_NAME = ".filler"


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=30)


def _skip_unless_mounts_work() -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount(8) to make a folder read-only or full")


@contextlib.contextmanager
def tmpfs_over(folder: Path, *, size: str = TINY_TMPFS) -> Iterator[Path]:
    """Mount an empty-but-for-a-copy tmpfs of `size` over `folder` (created if missing):
    what `folder` held is copied in first, so the app sees its files as before."""
    _skip_unless_mounts_work()
    folder.mkdir(parents=True, exist_ok=True)
    saved = folder.with_name(folder.name + ".before-mount")
    shutil.copytree(folder, saved, symlinks=True)
    try:
        _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder))
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(saved)
        pytest.skip(f"cannot mount a tmpfs here: {exc.stderr.decode(errors='replace').strip()}")
    try:
        shutil.copytree(saved, folder, symlinks=True, dirs_exist_ok=True)
        yield folder
    finally:
        try:
            _run("umount", str(folder))
        except subprocess.CalledProcessError:
            _run("umount", "-l", str(folder))  # a process still inside: detach it anyway
        shutil.rmtree(saved)


@contextlib.contextmanager
def read_only(folder: Path, *, size: str = TINY_TMPFS) -> Iterator[Path]:
    """`folder` with its current files, mounted read-only (EROFS on every write)."""
    with tmpfs_over(folder, size=size):
        _run("mount", "-o", "remount,ro", str(folder))
        yield folder


@contextlib.contextmanager
def full(folder: Path, *, size: str = TINY_TMPFS) -> Iterator[Path]:
    """`folder` with its current files, on a filesystem with no byte left (ENOSPC)."""
    with tmpfs_over(folder, size=size):
        fill(folder)
        yield folder


def fill(folder: Path) -> None:
    """Write a filler file in `folder` until its filesystem has no room left."""
    chunk = b"\0" * 4096
    with (folder / FILLER_NAME).open("wb", buffering=0) as handle:
        while True:
            try:
                handle.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    # Bytes are in pages: a last small write may still fit in the page the filler ends in.
    with contextlib.suppress(OSError), (folder / FILLER_NAME).open("ab", buffering=0) as handle:
        while handle.write(b"\0"):
            pass


def files_under(folder: Path) -> dict[str, bytes]:
    """Every regular file under `folder` (but the filler and the config's empty lock file,
    which config_file.py's lock leaves by design) by relative path, with its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and path.name != FILLER_NAME
        and not (path.name.endswith(".lock") and path.stat().st_size == 0)
    }
