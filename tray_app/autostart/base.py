"""The `Autostart` port: one protocol, one implementation per OS (linux.py, macos.py, windows.py).

Every implementation keeps the same promises, so the app, the CLI and the menu never ask which
OS they are on:

- `enable()` writes (or rewrites) the entry so that the current installation starts at login.
  Enabling twice is harmless, and enabling repairs an entry that points at a launcher that no
  longer exists.
- `disable()` removes the entry. Disabling when nothing is there is harmless.
- `status()` reads what is really there; it never trusts a remembered flag.
- None of them raise for the environment's failures (read-only home, launchctl refusing,
  registry access denied): they return an `AutostartStatus` whose `detail` says what went wrong.
  Callers decide success by `status.enabled`.
- No entry ever contains the API key or any environment variable: it holds an argv only.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

# `subprocess.run` and any stand-in with the same shape (tests pass a recorder). Called as
# run_command(argv, capture_output=True, text=True, timeout=..., check=False).
RunCommand = Callable[..., "subprocess.CompletedProcess[Any]"]


@dataclass(frozen=True)
class AutostartStatus:
    """What is registered to start at login, as read back from the system.

    enabled:       the entry is present, not switched off (Hidden=true, Task Manager, ...) and
                   its launcher exists, so the app will start at the next login.
    location:      where the entry lives (a file path or a registry key and value name), shown
                   to the user even when there is no entry yet.
    detail:        one human sentence: why it is not enabled, what was repaired, what failed.
    target_exists: the program the entry runs exists (False when there is no entry).
    command:       the argv the entry runs, parsed back from it (empty when there is no entry).
    """

    enabled: bool
    location: str
    detail: str
    target_exists: bool
    command: tuple[str, ...] = ()


class Autostart(Protocol):
    """Start the tray app when the user logs in. No admin rights needed on any OS."""

    def enable(self) -> AutostartStatus: ...

    def disable(self) -> AutostartStatus: ...

    def status(self) -> AutostartStatus: ...


def program_exists(program: str) -> bool:
    """The entry's program can be started: an existing file, executable where that applies.

    A bare name (a hand-written entry saying `Exec=lensmor-tray`) is looked up on PATH.
    """
    if not os.path.isabs(program):
        return shutil.which(program) is not None
    # os.access(X_OK) is meaningful on POSIX only; on Windows it is true for any existing file.
    return os.path.isfile(program) and os.access(program, os.X_OK)


def with_detail(status: AutostartStatus, detail: str) -> AutostartStatus:
    """`status` with `detail` put first (e.g. the reason an enable failed)."""
    joined = f"{detail}; {status.detail}" if status.detail else detail
    return dataclasses.replace(status, detail=joined)


def entry_status(
    command: tuple[str, ...],
    location: str,
    this_executable: str,
    *,
    switched_off: str | None,
) -> AutostartStatus:
    """The status of an entry that was read: enabled only when the OS will run it (nothing
    switched it off, `switched_off` is None) and its program exists. Shared by every OS so the
    three agree on what "enabled" means."""
    exists = program_exists(command[0])
    if switched_off is not None:
        return AutostartStatus(False, location, switched_off, exists, command)
    if not exists:
        detail = f"the entry points at a missing launcher: {command[0]}"
        return AutostartStatus(False, location, detail, exists, command)
    if command[0] == this_executable:
        detail = "starts at login"
    else:
        detail = f"starts {command[0]} at login, not this installation ({this_executable})"
    return AutostartStatus(True, location, detail, exists, command)
