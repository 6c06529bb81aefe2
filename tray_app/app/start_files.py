"""What the tray claims at start: the single-instance lock and its data folder.

Neither may stop it: a data folder it cannot write leaves the history and state in memory
(HistoryStore's fallback), a lock file it cannot use moves to the runtime folder or is done
without. Whatever it had to give up is said once, in one line (`claim_at_start`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from tray_app.config.paths import AppPaths
from tray_app.support.file_problems import data_folder_line, data_folder_problem, lock_note, reason
from tray_app.support.instance import AlreadyRunning, InstanceLock, LockUnavailable, ask_to_refresh


def claim_at_start(lock: InstanceLock, paths: AppPaths, environ: Mapping[str, str]) -> str | None:
    """Take `lock` (or do without it) and check the data folder; return the line to say about
    what could not be used, or None. When another instance runs: ask it to refresh, say so and
    raise AlreadyRunning."""
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        asked = ask_to_refresh(exc.pid)
        print(
            "lensmor-tray is already running"
            + (f" (pid {exc.pid}); asked it to refresh" if asked else ""),
            file=sys.stderr,
        )
        raise
    except LockUnavailable:
        pass  # said in the notice: the app runs without the lock
    return start_notice(paths.data_dir, paths.lock_file, lock.held_at, lock.problem, environ)


def start_notice(
    data_dir: Path,
    lock_file: Path,
    lock_held_at: Path | None,
    lock_problem: OSError | None,
    environ: Mapping[str, str],
) -> str | None:
    """The one line the tray says at start about files it cannot use, or None when all is well:
    the data folder (then the history and state stay in memory) and where the lock went."""
    problem = data_folder_problem(data_dir)
    if problem is None and lock_held_at == lock_file:
        return None
    from tray_app.support.i18n import language_from_environ

    lang = language_from_environ(environ)
    moved = None if lock_held_at == lock_file else lock_note(lock_held_at, lang)
    if problem is not None:
        return data_folder_line(data_dir, problem, moved, lang)
    why = reason(lock_problem, lang) if lock_problem is not None else "?"
    return lang.gettext("cannot use the lock file {path} ({reason}); {where}").format(
        path=lock_file, reason=why, where=moved
    )
