"""A random word beside a history file, written again after every change of its saved state.

`status --cached` keeps its last answer (cli/status_memo.py) with the stat of each history
file it read, so that the next run can tell the state is unchanged without opening SQLite.
Two saves within one tick of the file system's clock can leave the same stat; they never
leave the same token. The token is written after the state is committed, and a reader takes
it before it reads the state, so a memo can only hold a state as new as its token or newer.

The token is overwritten in place, not replaced by a rename: every poll saves the state, and a
temporary file and its rename cost a poll about 0.35 ms, an eighth of its CPU (issue 20). In
place is as safe for the memo. A reader that catches the write half done reads bytes mixed from
the old and the new token: a word that is never the token again, so the memo it writes is never
trusted. The file is not truncated first, so no reader sees it empty (an empty token written
twice would compare equal across a save).
"""

from __future__ import annotations

import os
import stat
from contextlib import suppress
from pathlib import Path

#: Bytes of randomness in a token (written as hex).
TOKEN_BYTES = 8


def state_token_path(db: Path) -> Path:
    """`history.sqlite3` -> `history.state-token`, in the same folder."""
    return db.with_name(f"{db.stem}.state-token")


def bump_state_token(db: Path) -> None:
    """Write a new token for `db`. Not durable: it is lost with a crash only as the WAL's
    last commits are (synchronous=NORMAL). When it cannot be written it is removed, so that no
    reader trusts the old one; when even that fails, the history file's own stat still
    changed with the commit."""
    path = state_token_path(db)
    token = os.urandom(TOKEN_BYTES).hex().encode("ascii")
    try:
        write_in_place(path, token)
    except OSError:
        with suppress(OSError):
            path.unlink(missing_ok=True)


def write_in_place(path: Path, token: bytes) -> None:
    """Overwrite the start of `path` with `token` (created 0600 when missing). Only a regular
    file is written: a link is not followed, and a FIFO put there is not waited on (opening
    it for writing would block the poll until someone read it)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        written = os.write(fd, token)
        if written != len(token):
            raise OSError(f"only {written} of {len(token)} bytes of the state token written")
        # A longer file (another version's token) would keep its tail: a token is its length.
        if os.fstat(fd).st_size != len(token):
            os.ftruncate(fd, len(token))
    finally:
        os.close(fd)
