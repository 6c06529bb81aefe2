"""`status --cached` answered again from its own last answer, before argparse is imported.

A status bar runs the same `lensmor-tray status --cached --format …` every few seconds, and
between two polls of the app its answer changes only when time says so ("3 min ago", stale
after two poll intervals, "resets in 3 h"). So the fast path (fast_status.py, with the one
renderer of the full CLI) keeps what it printed in a memo, with the moments at which it
would print something else (`status_feed.cached_timeline`) and everything it was computed
from. The next run with the same command line reads the memo and prints the output of its
moment, when nothing it was computed from has changed:

- the command line, the working folder, the interpreter and the environment variables that
  choose the files, the language and the time zone (`ENV_NAMES`);
- the config file, /etc/localtime and each account's history file and its WAL, by their
  stat (inode, size, modification time, mode; or that they are missing);
- each account's state token (history/state_token.py), which the app writes again after
  every save of the state: two saves in one tick of the file system's clock leave the same
  stat, never the same token.

All of these are taken before the state is read, so a memo never holds an answer older than
what it was checked against. Anything unexpected (no memo, a damaged one, another version of
the app, one changed input) returns None, and the fast path answers and writes a new memo.

Only os, sys, marshal and binascii are imported here: the reader's whole cost is one small file and
a few stat calls (docs/benchmarks.md, issue 20). The memo holds what `status --cached` prints
and file names, never the key; it is private to the user (0600, in a 0700 folder).
"""

from __future__ import annotations

import binascii
import marshal
import os
import stat
import sys

# Not `typing.TYPE_CHECKING`: importing typing alone costs the reader a few ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

#: The memo's own format; a memo of another is never read.
MEMO_VERSION = 1
#: The environment variables the answer depends on: where the config and the data are
#: (platformdirs), the language (support/i18n.py) and the time zone. Never the key.
ENV_NAMES = (
    "HOME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_MESSAGES",
    "TZ",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
)
#: The zone file the local time comes from when TZ is not set.
LOCALTIME = "/etc/localtime"
#: A memo is a few kB (xbar's badge is the largest part); anything bigger is not ours.
MAX_MEMO_BYTES = 1 << 20
#: Memos kept in the folder (one per command line): the oldest go beyond this.
MAX_MEMOS = 32
#: Outputs kept per memo: the text format changes every minute ("3 min ago").
MAX_OUTPUTS = 12

#: A file's stat as kept in the memo: [inode, size, mtime_ns, mode], or None when missing.
Signature = list[int] | None


def memo_folder(environ: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """Where the memos are: in the user's cache folder as platformdirs names it ($XDG_CACHE_HOME
    when it is an absolute path, on macOS too; a test checks the two agree); None where that
    takes more than the environment (Windows)."""
    home = environ.get("HOME", "")
    base = environ.get("XDG_CACHE_HOME", "")
    if not base.startswith("/"):
        if platform == "darwin":
            base = os.path.join(home, "Library", "Caches")
        elif platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
            base = os.path.join(home, ".cache")
        else:
            return None
        if not home.startswith("/"):
            return None  # no home to put it in: the fast path answers every time
    elif not platform.startswith(("darwin", "linux", "freebsd", "openbsd", "netbsd")):
        return None
    return os.path.join(base, "lensmor-tray", "status")


def request_key(argv: Sequence[str], environ: Mapping[str, str], version: str) -> dict[str, Any]:
    """What the answer to `argv` depends on besides files and time."""
    return {
        "memo": MEMO_VERSION,
        "app": version,
        "argv": list(argv),
        "cwd": os.getcwd(),
        "python": sys.executable,
        "frozen": bool(getattr(sys, "frozen", False)),
        "env": {name: environ[name] for name in ENV_NAMES if name in environ},
    }


def signature(path: str) -> Signature:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode]


def read_token(path: str) -> str | None:
    """The state token at `path`; None when there is none, or something other than a file
    is there (a FIFO would block the read until somebody wrote to it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, 64).decode("ascii", "replace")
    finally:
        os.close(fd)


def _memo_file(folder: str, key: Mapping[str, Any]) -> str:
    # Named from the key's repr, not its marshal bytes: those differ with how many references
    # each string has in the process (marshal's FLAG_REF), the repr never.
    name = binascii.crc32(repr(key).encode("utf-8", "backslashreplace"))
    return os.path.join(folder, f"{name:08x}.memo")


def answer(argv: Sequence[str], environ: Mapping[str, str], now: float, version: str) -> str | None:
    """What `status --cached` printed for `argv` and would print now (without the final
    newline); None when there is no such memo or anything it was computed from changed."""
    folder = memo_folder(environ)
    if folder is None:
        return None
    try:
        key = request_key(argv, environ, version)  # os.getcwd() fails in a removed folder
        memo = _read_memo(_memo_file(folder, key))
        if memo is None or memo.get("key") != key or not _inputs_unchanged(memo):
            return None
        return _output_at(memo, now)
    except (OSError, ValueError, TypeError, KeyError, EOFError):
        return None  # no memo yet, or not one this code wrote: the fast path answers


def _read_memo(path: str) -> dict[str, Any] | None:
    with open(path, "rb") as handle:
        st = os.fstat(handle.fileno())
        if st.st_uid != os.getuid() or st.st_mode & 0o022:
            return None  # not written by `remember` for this user: never read
        data = handle.read(MAX_MEMO_BYTES + 1)
    if len(data) > MAX_MEMO_BYTES:
        return None
    # marshal, not json: it is built in, where json imports re (5 ms of a 10 ms start). The
    # memo holds only strings, numbers, None, lists and dicts, written by `remember`, private
    # to the user (checked above); loading builds data and runs nothing, and bad data raises
    # ValueError, EOFError or TypeError.
    memo = marshal.loads(data)  # noqa: S302
    return memo if isinstance(memo, dict) else None


def _inputs_unchanged(memo: Mapping[str, Any]) -> bool:
    return all(signature(path) == kept for path, kept in memo["files"]) and all(
        read_token(path) == kept for path, kept in memo["tokens"]
    )


def _output_at(memo: Mapping[str, Any], now: float) -> str | None:
    """The output kept for `now`; None for a moment before the first (the clock went back),
    between two (a change is due right then) or after the last."""
    for start, until, output in memo["outputs"]:
        if start <= now and (until is None or now < until):
            return output if isinstance(output, str) else None
    return None


class Inputs:
    """What an answer is computed from on disk: the config file, each account's history file
    (with its WAL and its state token) and the zone file. Taken before the answer is
    computed, and again after it (`settle`)."""

    def __init__(self, config_file: str, histories: Sequence[tuple[str, str]]) -> None:
        """`histories`: (history file, its state token file) of each account read."""
        self._config_file = config_file
        self._histories = list(histories)
        self.files, self.tokens, self.complete = self._take()

    def _take(self) -> tuple[list[list[Any]], list[list[Any]], bool]:
        """(files, tokens, complete). Not complete: an answer from these must not be kept (a
        file that could not be looked at, or a history file without a token: saved by a
        version of the app from before the tokens, whose next save a memo could not tell)."""
        databases = [db for db, _token in self._histories]
        paths = [self._config_file, *databases, *(f"{db}-wal" for db in databases), LOCALTIME]
        try:
            files = [[path, signature(path)] for path in paths]
            tokens = [[token, read_token(token)] for _db, token in self._histories]
        except OSError:
            return [], [], False
        present = {path for path, kept in files if kept is not None}
        complete = all(
            kept is not None or db not in present
            for (db, _token), (_path, kept) in zip(self._histories, tokens, strict=True)
        )
        return files, tokens, complete

    def settle(self) -> None:
        """Take them again once the answer is computed: it is kept only if none changed
        meanwhile, but for an empty WAL that appeared (SQLite makes one for a reader when the
        app closed the file without one; a save writes into it, and changes the token)."""
        files, tokens, complete = self._take()
        if not complete or tokens != self.tokens or len(files) != len(self.files):
            self.complete = False
            return
        for (path, before), (_path, after) in zip(self.files, files, strict=True):
            made_for_the_reader = (
                before is None and path.endswith("-wal") and after is not None and after[1] == 0
            )
            if before != after and not made_for_the_reader:
                self.complete = False
                return
        self.files = files


def remember(
    argv: Sequence[str],
    environ: Mapping[str, str],
    version: str,
    *,
    inputs: Inputs,
    outputs: Sequence[tuple[float, float | None, str]],
) -> None:
    """Keep `outputs` (start, until, output: `status_feed.cached_timeline`) as the answer to
    `argv`. Best effort: a memo that cannot be written only means the next run computes the
    answer again."""
    folder = memo_folder(environ)
    if folder is None or not outputs or not inputs.complete:
        return
    from pathlib import Path

    from tray_app.support.atomic_files import replace_atomically

    try:
        key = request_key(argv, environ, version)
        memo = {
            "key": key,
            "files": inputs.files,
            "tokens": inputs.tokens,
            "outputs": [list(pair) for pair in outputs],
        }
        data = marshal.dumps(memo)
        if len(data) > MAX_MEMO_BYTES:
            return
        os.makedirs(folder, mode=0o700, exist_ok=True)
        path = _memo_file(folder, key)
        replace_atomically(Path(path), data, mode=0o600, durable=False, create_folder=False)
        _prune(folder, keep=path)
    except OSError:
        return


def _prune(folder: str, keep: str) -> None:
    """At most MAX_MEMOS memos: the least recently written go (a bar's command line changed)."""
    with os.scandir(folder) as entries:
        memos = [e for e in entries if e.name.endswith(".memo") and e.path != keep]
    if len(memos) < MAX_MEMOS:
        return
    import contextlib  # here: the reader never needs it

    memos.sort(key=lambda e: e.stat().st_mtime_ns)
    for entry in memos[: len(memos) - MAX_MEMOS + 1]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
