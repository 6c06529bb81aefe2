"""Files and folders the app cannot use, said in one line: which path, what is wrong, what to do.

An `OSError` from a write names a path (`filename`) and an `errno`; the person reading the line
wants to know whether to free space, fix permissions or move something out of the way, not the
errno. `cli.main` words every OSError that reaches it with `one_line`; the tray says the same
of its data folder at start (`data_folder_problem`, then `data_folder_line`).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from tray_app.core.language import N_, Language

_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)
_READ_ONLY = (errno.EROFS,)
_DENIED = (errno.EACCES, errno.EPERM)
_NOT_A_FOLDER = (errno.ENOTDIR, errno.EEXIST)  # EEXIST: mkdir found a file (or a bad symlink)
_A_FOLDER = (errno.EISDIR,)
_LINK = (errno.ELOOP,)


def reason(exc: OSError, lang: Language) -> str:
    """What is wrong, in a few words ("the disk is full", "the disk is read-only")."""
    worded = (
        (_FULL, N_("the disk is full")),
        (_READ_ONLY, N_("the disk is read-only")),
        (_DENIED, N_("permission denied")),
        (_NOT_A_FOLDER, N_("something that is not a folder is in the way")),
        (_A_FOLDER, N_("it is a folder, not a file")),
        (_LINK, N_("it is a symbolic link the app does not follow")),
    )
    # N_: marked for the catalog here, translated below.
    for codes, words in worded:
        if exc.errno in codes:
            return lang.gettext(words)
    return exc.strerror or str(exc) or type(exc).__name__


def advice(exc: OSError, lang: Language) -> str:
    """What to do about it."""
    code = exc.errno
    if code in _FULL:
        return lang.gettext("free some space on that disk")
    if code in _READ_ONLY + _DENIED:
        return lang.gettext("check the permissions of that folder (it must be writable)")
    if code in _NOT_A_FOLDER + _A_FOLDER + _LINK:
        return lang.gettext("move what is there out of the way")
    return lang.gettext("check that file and its folder")


def one_line(exc: OSError, lang: Language) -> str:
    """The CLI's line for an OSError that reached it (a write of the config or a key file)."""
    if not isinstance(exc.filename, (str, bytes, os.PathLike)):  # None, or a descriptor
        return lang.gettext("a file could not be used: {reason}; {advice}, then try again").format(
            reason=reason(exc, lang), advice=advice(exc, lang)
        )
    path = os.fsdecode(exc.filename)
    folder = os.path.dirname(path)
    if folder and not os.path.lexists(path) and os.path.isdir(folder):
        # A file that was to be made (a temporary file, a new key file): the folder is what
        # the person can fix; the temporary name would only puzzle them.
        return lang.gettext("cannot write in {folder}: {reason}; {advice}, then try again").format(
            folder=folder, reason=reason(exc, lang), advice=advice(exc, lang)
        )
    return lang.gettext("cannot use {path}: {reason}; {advice}, then try again").format(
        path=path, reason=reason(exc, lang), advice=advice(exc, lang)
    )


def data_folder_problem(folder: Path) -> OSError | None:
    """Why the app cannot write in `folder` (creating it if needed), or None if it can.

    Writes and removes one small file: a folder that exists and is writable can still be full,
    and a full disk lets the app create an empty file but not write to it."""
    import tempfile  # here: `status --cached` and the tray's start import this module

    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        try:
            os.write(fd, b"lensmor-tray")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        if not isinstance(exc.filename, (str, bytes, os.PathLike)):  # None, or a descriptor
            exc.filename = str(folder)
        return exc
    return None


def data_folder_line(folder: Path, problem: OSError, lock_note: str | None, lang: Language) -> str:
    """The one line the tray says at start when its data folder cannot be written."""
    line = lang.gettext(
        "cannot write the data folder {folder} ({reason}): the history and the app's "
        "state are kept in memory this session and may not be saved; {advice}, then "
        "restart the app"
    ).format(folder=folder, reason=reason(problem, lang), advice=advice(problem, lang))
    return line if lock_note is None else f"{line} ({lock_note})"


def lock_note(held_at: Path | None, lang: Language) -> str:
    """Where the single-instance lock is, when it is not in the data folder."""
    if held_at is None:
        return lang.gettext("running without the single-instance lock")
    return lang.gettext("the single-instance lock is in {path}").format(path=held_at)
