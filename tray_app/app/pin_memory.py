"""Remembers the account pinned on the tray's badge as the config's `badge_account`, off the
thread that clicked.

The pin is a menu click, and the menu's callbacks run on the tray's UI thread; writing the
config takes its lock (config_file.update_config), which a CLI `account add` may hold for as
long as it waits on a keyring (up to config_file.LOCK_TIMEOUT_S). The menu must not freeze for
that: the board shows the pin at once, and the write goes to one worker thread, which keeps
the writes in the order of the clicks (the last pin is the one remembered).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app.config.model import ConfigError

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class PinMemory:
    """`remember(account)` never blocks; `close()` at quit waits for the writes asked for."""

    def __init__(self, config_file: Path) -> None:
        self._config_file = config_file
        self._lock = threading.Lock()  # guards the two fields below
        self._writer: ThreadPoolExecutor | None = None  # started at the first pin
        self._closed = False

    def remember(self, account: str | None) -> None:
        with self._lock:
            if self._closed:
                log.info("quitting: the account shown on the icon is not remembered")
                return
            if self._writer is None:
                from concurrent.futures import ThreadPoolExecutor  # at the first pin only

                self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lensmor-pin")
            self._writer.submit(self._write, account)

    def close(self) -> None:
        """No more writes; wait for those asked for (a pin made just before quitting is kept)."""
        with self._lock:
            self._closed = True
            writer = self._writer
        if writer is not None:
            writer.shutdown(wait=True)

    def _write(self, account: str | None) -> None:
        from tray_app.config.config_file import update_config

        try:
            # Onto the config as it is now, under its lock: a CLI change made meanwhile stays.
            update_config(
                self._config_file, lambda current: replace(current, badge_account=account)
            )
        except (ConfigError, OSError) as exc:
            log.warning("could not remember the account shown on the icon: %s", exc)
        except Exception:  # the worker outlives anything else too (logged with its cause)
            log.exception("could not remember the account shown on the icon")
