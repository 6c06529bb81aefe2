"""Replacing a file in one rename, so that a reader never sees half of it: the one writer of
the config, the key file, the autostart entries and the feed files.

The new content goes to a temporary file in the same folder, which is then renamed over the
old one. A symlink is written through to its target (the rename would otherwise replace a
dotfile manager's link with a plain file). A failed write names the file being replaced, not
the temporary one, so the one-line error (file_problems.py) names what the person knows.
"""

from __future__ import annotations

import os
from pathlib import Path


def replace_atomically(
    path: Path, data: bytes, *, mode: int, durable: bool, create_folder: bool
) -> None:
    """Replace `path` (or the file it links to) with `data`, with permissions `mode`.

    `durable`: fsync before the rename (the config and keys: a crash must not leave an empty
    file); the feed files, rewritten after every poll, skip it. `create_folder`: make missing
    folders 0700 whatever the umask (a folder others can write to would let them swap in a
    config pointing base_url, and so the key, at their own server); a feed's folder is the
    person's and is never created."""
    import tempfile  # here: `status --cached` imports modules that import this one

    target = Path(os.path.realpath(path))
    if create_folder:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # a failed write() names no file: the one being replaced
        raise


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`, readable only by the user (0600), durably: the
    config, the key file and the autostart entries."""
    replace_atomically(path, data, mode=0o600, durable=True, create_folder=True)
