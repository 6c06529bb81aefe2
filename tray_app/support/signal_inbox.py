"""POSIX signals handled on a thread of their own, never inside the signal handler.

Python runs a signal handler in the main thread between two bytecodes, wherever that thread
is, and it can run again inside itself when a second signal arrives. A handler that takes a
lock (`threading.Event.set`, `Thread.start`, a logging call) can so deadlock the main thread on
a lock it already holds: a burst of SIGHUPs from a script, or SIGHUP and SIGUSR1 close
together, would freeze the tray's main loop (and SIGTERM at logout with it). And the Python
handler may not run for a long time: the kernel delivers a process-wide signal to any thread
(one that has none pending), and then the main thread only notices when it next runs Python
code; the headless tray's main thread sleeps for an hour at a time. Seen in a storm of 200
SIGHUPs: no reload at all.

So the signal's number goes into a pipe that a daemon thread reads, which then calls the real
action: written by the C-level handler itself, in whatever thread took the signal, through
`signal.set_wakeup_fd` (made for this), and again by the Python handler (`os.write` takes no
Python lock), for the time a GUI toolkit puts its own wakeup fd in place of ours (PyGObject
does while its main loop runs). Signals that arrive together are coalesced: each action runs
once per read, which suits actions that are idempotent ("reload", "refresh").

Only where the OS has the signals (`install_signal_inbox`): Windows has neither SIGHUP nor
SIGUSR1, and before Python 3.12 no `os.set_blocking` either, which the inbox needs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from types import FrameType

log = logging.getLogger(__name__)


def install_signal_inbox(actions: Mapping[str, Callable[[], object]]) -> SignalInbox | None:
    """A SignalInbox routing `actions` (see `SignalInbox.install`); None, and nothing done, on
    an OS that has none of these signals. Main thread only."""
    if not any(hasattr(signal, name) for name in actions):
        return None
    inbox = SignalInbox()
    inbox.install(actions)
    return inbox


class SignalInbox:
    """`install({"SIGHUP": reload, ...})` from the main thread; `close()` at the end."""

    def __init__(self) -> None:
        self._read_fd, self._write_fd = os.pipe()
        # A full pipe must never block the handler (a reader that fell behind loses nothing
        # that matters: the actions are idempotent and one byte of each is already queued).
        os.set_blocking(self._write_fd, False)
        self._actions: dict[int, Callable[[], object]] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        self._previous_wakeup_fd: int | None = None

    def install(self, actions: Mapping[str, Callable[[], object]]) -> None:
        """Route each named signal (those this OS has) to its action. Main thread only."""
        if self._previous_wakeup_fd is None:
            self._previous_wakeup_fd = signal.set_wakeup_fd(
                self._write_fd, warn_on_full_buffer=False
            )
        for name, action in actions.items():
            number = getattr(signal, name, None)
            if number is None:
                continue
            self._actions[int(number)] = action
            signal.signal(number, self._on_signal)
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="lensmor-signals", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the reader thread (signals that come later are ignored). Main thread only."""
        if self._closed:
            return
        self._closed = True
        for number in self._actions:
            signal.signal(number, signal.SIG_IGN)
        if self._previous_wakeup_fd is not None:
            signal.set_wakeup_fd(self._previous_wakeup_fd)
        with contextlib.suppress(OSError):
            os.write(self._write_fd, b"\0")  # wakes the reader, which then sees _closed
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        for fd in (self._read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        # Only os.write here: see the module docstring.
        with contextlib.suppress(OSError):
            os.write(self._write_fd, bytes([number & 0xFF]))

    def _serve(self) -> None:
        while not self._closed:
            try:
                data = os.read(self._read_fd, 512)
            except OSError:
                return
            if not data or self._closed:
                return
            for number in dict.fromkeys(data):  # each signal once, in arrival order
                action = self._actions.get(number)
                if action is None:
                    continue
                try:
                    action()
                except Exception:  # the thread must outlive a failing action
                    log.exception("handling signal %d failed", number)
