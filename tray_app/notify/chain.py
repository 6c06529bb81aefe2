"""Try each notifier in turn until one delivers; never raise, never block the poll loop long.

Policy, and why:

* Order is preference: the first backend that does not raise delivers, the rest are not tried.
* A backend that failed is skipped for `retry_after` seconds (default 5 min), then tried
  again: a notification server that crashed (dunst) usually comes back, and trying a dead
  one on every notification would only add latency and noise. A backend with a cheap
  `ready()` check (is a notification server on the bus?) is tried again as soon as it
  says yes, so a restarted daemon gets the next alert instead of the log.
* Failures are logged with the backend's name at WARNING once per failure streak (the first
  failure after it last worked); repeats within the streak go to DEBUG, recovery to INFO. A
  user with no notification server gets one warning, not one per alert.
* Every send runs in its own daemon thread and is waited for at most `send_timeout` seconds.
  A D-Bus call to a stuck server otherwise blocks for libdbus's default 25 s. A new thread
  per send (notifications are rare) means a hung call ties up only its own thread: nothing
  queues behind it, the backend counts as failed while it hangs (a second send to it fails
  at once instead of starting another thread), and a daemon thread never delays the app's
  exit, which a ThreadPoolExecutor's joined-at-exit worker would. A send that answers after
  the timeout may still show up late, next to the fallback's copy; the timeout is far above
  a normal round trip (milliseconds) so that stays rare.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tray_app.notify.base import Notification, Notifier, NotifyError, describe
from tray_app.notify.log_backend import LogNotifier
from tray_app.notify.plyer_backend import PlyerNotifier
from tray_app.notify.pystray_backend import IconSource, PystrayNotifier
from tray_app.support.bounded import CallTimedOut, call_with_timeout

_log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 300.0
DEFAULT_SEND_TIMEOUT = 3.0


@dataclass
class _Health:
    """One backend's failure streak and its in-flight send, if any."""

    failed_at: float | None = None
    error: str = ""
    in_flight: threading.Thread | None = None


class NotifierChain:
    """A Notifier-like front for several backends; `send` returns the name that delivered."""

    name = "chain"

    def __init__(
        self,
        backends: Sequence[Notifier],
        *,
        retry_after: float = DEFAULT_RETRY_AFTER,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        if not backends:
            raise ValueError("a notifier chain needs at least one backend")
        self._entries = [(backend, _Health()) for backend in backends]
        self.retry_after = retry_after
        self.send_timeout = send_timeout
        self._clock = clock
        self._log = logger or _log
        # The scheduler's poll and a "Refresh now" click may send at the same moment.
        self._lock = threading.Lock()

    @property
    def backend_names(self) -> list[str]:
        return [backend.name for backend, _ in self._entries]

    def failing(self) -> dict[str, str]:
        """Backends in a failure streak, with the last error (for diagnostics and tests)."""
        return {b.name: h.error for b, h in self._entries if h.failed_at is not None}

    def send(self, n: Notification) -> str | None:
        """Deliver through the first backend that works; None when none did. Never raises."""
        with self._lock:
            for backend, health in self._entries:
                now = self._clock()
                waiting = health.failed_at is not None and now < health.failed_at + self.retry_after
                if waiting and not self._back_early(backend):
                    self._log.debug(
                        "notification backend %s skipped until its retry (%s)",
                        backend.name,
                        health.error,
                    )
                    continue
                try:
                    self._run_bounded(backend, health, n)
                except Exception as exc:  # noqa: BLE001 - NotifyError, or no thread: send never raises
                    self._failed(backend.name, health, describe_failure(exc))
                    continue
                self._delivered(backend.name, health, n)
                return backend.name
            self._log.warning(
                "notification %r could not be delivered by any of %s",
                n.key or n.title,
                ", ".join(self.backend_names),
            )
            return None

    def _back_early(self, backend: Notifier) -> bool:
        """True when a failed backend says, by a cheap check, that it can deliver again (the
        notification server was restarted): then the retry window is not waited out and no
        alert is lost to the log meanwhile. Backends without a `ready()` check wait."""
        ready = getattr(backend, "ready", None)
        if ready is None:
            return False
        try:
            return bool(call_with_timeout(ready, self.send_timeout, name=f"probe-{backend.name}"))
        except Exception:  # noqa: BLE001 - a failing probe means "not yet"
            return False

    def _run_bounded(self, backend: Notifier, health: _Health, n: Notification) -> None:
        if health.in_flight is not None and health.in_flight.is_alive():
            raise NotifyError("its previous send has not returned yet")
        try:
            call_with_timeout(backend.send, self.send_timeout, n, name=f"notify-{backend.name}")
        except CallTimedOut as exc:
            health.in_flight = exc.thread
            raise NotifyError(f"no answer within {self.send_timeout:g} s") from None
        except NotifyError:
            raise
        except Exception as exc:
            # A backend broke its promise to raise only NotifyError: still just a failure.
            raise NotifyError(describe(exc)) from exc

    def _failed(self, name: str, health: _Health, error: str) -> None:
        first = health.failed_at is None
        health.failed_at = self._clock()
        health.error = error
        if first:
            self._log.warning(
                "notification backend %s failed: %s; falling back, will retry in %s",
                name,
                error,
                _minutes(self.retry_after),
            )
        else:
            self._log.debug("notification backend %s still fails: %s", name, error)

    def _delivered(self, name: str, health: _Health, n: Notification) -> None:
        if health.failed_at is not None:
            self._log.info("notification backend %s works again", name)
        health.failed_at = None
        health.error = ""
        self._log.debug("notification %r delivered by %s", n.key or n.title, name)


def describe_failure(exc: BaseException) -> str:
    """A NotifyError's own text; anything else with its type name."""
    return str(exc) if isinstance(exc, NotifyError) else describe(exc)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def build_default_chain(
    icon_provider: IconSource | None = None,
    *,
    first: Notifier | None = None,
    platform: str = sys.platform,
    retry_after: float = DEFAULT_RETRY_AFTER,
    send_timeout: float = DEFAULT_SEND_TIMEOUT,
    clock: Callable[[], float] = time.monotonic,
) -> NotifierChain:
    """`first` (the app passes desktop-notifier, the only one with buttons and replacing),
    then plyer, then the tray icon's own notifications (given an icon), then the log.

    On Windows and macOS the tray icon goes first when there is one: there pystray's balloon
    uses the app's own icon and raises on failure, whereas plyer adds a stray tray icon per
    notification and hides its errors in a thread (Windows, kivy/plyer#645, #752) or needs
    the deprecated NSUserNotification API through pyobjus (macOS, kivy/plyer#449, #780).
    """
    plyer = PlyerNotifier(platform=platform)
    backends: list[Notifier] = [plyer]
    if icon_provider is not None:
        tray = PystrayNotifier(icon_provider, platform=platform)
        backends = [tray, plyer] if platform in ("win32", "darwin") else [plyer, tray]
    backends.append(LogNotifier())
    if first is not None:
        backends.insert(0, first)
    return NotifierChain(backends, retry_after=retry_after, send_timeout=send_timeout, clock=clock)
