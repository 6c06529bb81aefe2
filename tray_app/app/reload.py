"""One reload at a time: the queue every reload request goes through, and the diff it applies.

A reload (SIGHUP, `lensmor-tray key|account ...`, the Settings window closing, `refresh`)
re-reads the config and the keys and brings the running accounts in line with them. Requests
never run a reload themselves: they go to `ReloadQueue`, whose one worker thread runs them one
after another. Requests that arrive while a reload runs are served by ONE more reload after it
(the config may have changed after the running one read it); a burst of requests costs at most
two reloads. Two reloads running at once once built an added account twice: the orphan kept
polling (twice the requests) and wrote the same history, which then showed a top-up that never
happened.

A reload is idempotent: `plan_reload` compares what each running account was built from (its
`Wiring`: a digest of its base URL and key, and its settings) with what the config and key
store say now, and only accounts that were added, removed or changed are touched.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tray_app.config.model import Settings
from tray_app.core.language import Language

if TYPE_CHECKING:
    from tray_app.history.store import HistoryStore
    from tray_app.notify.base import Notification
    from tray_app.runtime.monitor import Monitor

log = logging.getLogger(__name__)

#: How long `wait` blocks by default: reading a slow keyring per account, then the rebuild.
RELOAD_WAIT_S = 60.0


@dataclass(frozen=True)
class Credentials:
    """An account's base URL and key, as the key store gives them now."""

    base_url: str
    key: str = field(repr=False)  # never in a repr, a log line or an exception

    def digest(self) -> str:
        """Tells two credentials apart without keeping the key in a second place."""
        return hashlib.sha256(f"{self.base_url}\n{self.key}".encode()).hexdigest()


@dataclass(frozen=True)
class Wiring:
    """What one account's runtime was built from. Equal wirings: the reload leaves it alone."""

    #: `Credentials.digest()`, a fixed label for a source given by the demo, None: no key.
    credentials: str | None
    settings: Settings


@dataclass
class AccountRuntime:
    """One account's parts: its own history and monitor (alert state, pacing, client with its
    own rate-limit bucket). Several of these share the tray, the notifier and the one poll
    scheduler (runtime/scheduler.py), where each has a job of its own."""

    name: str
    store: HistoryStore
    monitor: Monitor
    wiring: Wiring


@dataclass(frozen=True)
class ReloadPlan:
    """The accounts a reload adds, removes, and reconfigures (new key, URL or settings)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    def __str__(self) -> str:
        """For the log: "1 added, 0 removed, 2 changed" (names are left out: they may be
        personal, and the log is attached to bug reports)."""
        return f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"


def plan_reload(running: Mapping[str, Wiring], wanted: Mapping[str, Wiring]) -> ReloadPlan:
    """Diff the running accounts against the wanted ones (both by name; `wanted` in config
    order)."""
    return ReloadPlan(
        added=tuple(name for name in wanted if name not in running),
        removed=tuple(name for name in running if name not in wanted),
        changed=tuple(
            name for name, wiring in wanted.items() if name in running and running[name] != wiring
        ),
    )


class ReloadQueue:
    """Runs `reload` on its own thread, one at a time; requests are coalesced.

    `request()` never blocks (a signal's thread, a menu callback, the Settings window's
    watcher); it returns a ticket that `wait(ticket)` blocks on until a reload that started
    after the request has finished. Requests made before `start()` are kept and served then
    (a SIGHUP while the tray is still starting is not lost).
    """

    def __init__(self, reload: Callable[[], None]) -> None:
        self._reload = reload
        self._cond = threading.Condition()
        self._requested = 0  # tickets handed out
        self._served = 0  # every ticket up to this one has been reloaded for
        self._stopped = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._cond:
            if self._thread is not None or self._stopped:
                return
            self._thread = threading.Thread(target=self._serve, name="lensmor-reload", daemon=True)
        self._thread.start()

    def request(self) -> int:
        with self._cond:
            self._requested += 1
            self._cond.notify_all()
            return self._requested

    def wait(self, ticket: int, timeout: float = RELOAD_WAIT_S) -> bool:
        """True once the reload for `ticket` has run; False at the timeout or after stop()."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._served >= ticket or self._stopped, timeout
            ) and (self._served >= ticket)

    def stop(self, timeout: float = 10.0) -> None:
        """No more reloads; waits up to `timeout` for one that is running to finish (so it
        cannot build an account after the app has shut the others down)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _serve(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopped or self._requested > self._served)
                if self._stopped:
                    return
                # Everything asked for until now is covered by the reload about to start.
                target = self._requested
            try:
                self._reload()
            except Exception:  # the queue outlives a failing reload (logged with its cause)
                log.exception("reload failed")
            with self._cond:
                self._served = target
                self._cond.notify_all()


def config_not_reloaded(detail: str, lang: Language) -> Notification:
    """What the tray says when the config it was asked to reload is not valid: it keeps
    running on the one it has."""
    from tray_app.notify.base import Notification

    _ = lang.gettext
    body = _("{detail}. Still using the previous settings; fix the file and save it.")
    return Notification(
        _("Lensmor: config not reloaded"), body.format(detail=detail), key="config-invalid"
    )
