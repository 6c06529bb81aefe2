"""A random word beside a history file, written again after every change of its saved state.

`status --cached` keeps its last answer (cli/status_memo.py) with the stat of each history
file it read, so that the next run can tell the state is unchanged without opening SQLite.
Two saves within one tick of the file system's clock can leave the same stat; they never
leave the same token. The token is written after the state is committed, and a reader takes
it before it reads the state, so a memo can only hold a state as new as its token or newer.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from tray_app.support.atomic_files import replace_atomically

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
        replace_atomically(path, token, mode=0o600, durable=False, create_folder=False)
    except OSError:
        with suppress(OSError):
            path.unlink(missing_ok=True)
