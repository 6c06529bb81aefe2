"""Changing the config file: one writer at a time, starting from the file as it is now.

Every writer (`lensmor-tray account add|remove|rename`, the Settings window's Save and its
Accounts list, the tray's badge pin) goes through `update_config` or `locked_config`:

1. take the config lock, a file lock beside the config (`.config.toml.lock`), so that two
   processes (or threads) never interleave their read-modify-write: four `account add` at
   once each add their account, instead of the last one's config winning;
2. read and parse the file as it is now (a file that does not parse raises ConfigError and is
   never replaced), and let the caller check and change *that* (e.g. "an account with this
   name exists already" is decided here, not on what the caller read earlier);
3. write the change into the user's own text (config_toml.py: comments and layout kept),
   atomically (a temporary file renamed over it), 0600, and through a symbolic link to its
   target, so a dotfile manager's link stays a link.

Errors: ConfigError for a config that cannot be used or a lock that another writer holds too
long; OSError (naming the config file) when the folder cannot be written (full, read-only).
Either way the file on disk is the old one, whole.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tray_app.config.loading import read_config_bytes, settings_from_bytes
from tray_app.config.model import ConfigError, Settings
from tray_app.support.atomic_files import write_private_file

log = logging.getLogger(__name__)

#: How long a writer waits for another one: longer than a keyring prompt usually takes (an
#: account's key is stored while the lock is held), short enough to report a stuck writer.
LOCK_TIMEOUT_S = 30.0


def lock_file_for(config_file: Path) -> Path:
    return config_file.parent / f".{config_file.name}.lock"


@dataclass
class LockedConfig:
    """The config file while this process holds its lock: `settings` is what it says now."""

    path: Path
    settings: Settings
    text: str  # as read; edited by `write`
    exists: bool = True

    def write(self, new: Settings) -> None:
        """Make the file say `new` (an existing file that says so already is not touched)."""
        if new == self.settings and self.exists:
            return
        from tray_app.config.config_toml import edit_config_text, fresh_config_text

        if self.text.strip():
            text = edit_config_text(self.text, self.settings, new, str(self.path))
        else:
            text = fresh_config_text(new)
        target = write_target(self.path)
        try:
            write_private_file(target, text.encode("utf-8"))
        except OSError as exc:
            raise _naming(exc, target) from None
        self.settings, self.text, self.exists = new, text, True


@contextmanager
def locked_config(path: Path) -> Iterator[LockedConfig]:
    """Hold the config lock; yield the config as it is on disk now."""
    from filelock import FileLock, Timeout

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise _naming(exc, path.parent) from None
    lock = FileLock(str(lock_file_for(path)), timeout=LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except Timeout:
        raise ConfigError(
            f"another lensmor-tray has been changing the config {path} for "
            f"{LOCK_TIMEOUT_S:.0f} s; try again when it has finished"
        ) from None
    except OSError as exc:  # a read-only or full folder: say which file could not change
        raise _naming(exc, path) from None
    try:
        yield _read(path)
    finally:
        lock.release()


def update_config(path: Path, change: Callable[[Settings], Settings]) -> Settings:
    """Apply `change` to the config as it is on disk now, under the lock; return the result.
    `change` may raise ConfigError to refuse (then nothing is written)."""
    with locked_config(path) as config:
        config.write(change(config.settings))
        return config.settings


def apply_edits(current: Settings, before: Settings, after: Settings) -> Settings:
    """What a form that showed `before` and was saved as `after` means for a config that
    says `current` now: the values the user changed, on top of everything else as it is now
    (an account another program added while the form was open stays)."""
    merged: Settings = _merge(current, before, after)
    return merged


def _merge(current: Any, before: Any, after: Any) -> Any:
    if (
        dataclasses.is_dataclass(current)
        and not isinstance(current, type)
        and type(after) is type(before) is type(current)
    ):
        changes = {
            f.name: _merge(
                getattr(current, f.name), getattr(before, f.name), getattr(after, f.name)
            )
            for f in dataclasses.fields(after)
        }
        return dataclasses.replace(current, **changes)
    return current if after == before else after


def write_target(path: Path) -> Path:
    """Where writing `path` must go: through a symbolic link to its target, whose folder
    must exist (a link into a dotfiles repository that is not there is reported, not
    followed by creating folders elsewhere)."""
    if not path.is_symlink():
        return path
    target = path.resolve()
    if not target.parent.is_dir():
        raise ConfigError(
            f"config {path} is a symbolic link to {target}, whose folder does not exist; "
            "create that folder or remove the link"
        )
    return target


def _read(path: Path) -> LockedConfig:
    raw = read_config_bytes(path)  # ConfigError for anything that is not a usable config
    if raw is None:
        return LockedConfig(path, Settings(), "", exists=False)
    # Its warnings (a config readable by others) are left out: every caller read the config
    # before editing it, and said them then; the edit writes it back 0600 anyway.
    settings, _warnings = settings_from_bytes(path, *raw)
    return LockedConfig(path, settings, raw[0].decode("utf-8"))


def _naming(exc: OSError, path: Path) -> OSError:
    """`exc` as an OSError about `path` (the config, not a hidden temporary or lock file),
    with its errno, so the CLI words it as one line (cannot write …: No space left …)."""
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def save_settings(path: Path, settings: Settings) -> None:
    """Make the config file say `settings`: under the config lock, editing the file in place
    (comments and layout kept), through a symlink, atomically, 0600 (config_file.py). Refuses
    to replace a file that does not parse. Writers that change one thing (an account, the
    pinned badge) use `config_file.update_config`, which starts from the file as it is now."""
    from tray_app.config.config_file import update_config

    update_config(path, lambda _current: settings)
