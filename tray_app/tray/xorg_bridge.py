"""Runs icon updates on pystray's xorg main-loop thread, so one thread owns its X connection.

pystray's xorg backend lets other threads change the icon by sending a message over the
*same* python-xlib connection its main loop reads from. When that main loop is waiting for a
reply (`get_geometry` while it redraws after an Expose) and another thread flushes at the
same moment, the two deadlock now and again: the main loop never returns, the icon freezes,
and at start-up the app never begins polling (about 1 start in 10 on a loaded 2-core machine,
reproduced with a stack dump). This bridge keeps every other thread off that connection: it
queues the call and wakes the main loop with a ClientMessage sent over *its own* connection;
the main loop, seeing our atom, runs the queued calls itself (pystray then calls its methods
directly, as they come from its own thread).

It relies on two pystray internals, `_window` and `_message_handlers` (pystray 0.19.x); if
they are missing the bridge is not installed and updates go the usual way.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ATOM_NAME = "_LENSMOR_TRAY_CALL"


class XorgBridge:
    def __init__(self, icon: Any, display_name: str | None) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self._icon = icon
        self._calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._display = xdisplay.Display(display_name)  # ours: never shared with pystray
        self._send_lock = threading.Lock()
        self._atom = int(self._display.intern_atom(ATOM_NAME))
        self._window = self._display.create_resource_object("window", int(icon._window.id))
        previous = icon._message_handlers.get(X.ClientMessage)

        def on_client_message(event: Any) -> None:
            if int(event.client_type) == self._atom:
                self._run_pending()
            elif previous is not None:
                previous(event)

        icon._message_handlers[X.ClientMessage] = on_client_message

    @classmethod
    def install(cls, icon: Any, display_name: str | None) -> XorgBridge | None:
        if not hasattr(icon, "_window") or not hasattr(icon, "_message_handlers"):
            log.warning("pystray's xorg internals changed: icon updates use its own path")
            return None
        try:
            return cls(icon, display_name)
        except Exception as exc:  # noqa: BLE001 - no bridge: the usual (racier) path still works
            log.warning("cannot set up the xorg update bridge: %s", exc)
            return None

    def call(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the icon's main-loop thread (soon, in order). Safe from any thread."""
        from Xlib import X
        from Xlib.protocol import event

        self._calls.put(fn)
        message = event.ClientMessage(
            window=self._window, client_type=self._atom, data=(32, [0, 0, 0, 0, 0])
        )
        with self._send_lock:  # our own connection, shared by the poll and signal paths
            self._window.send_event(message, event_mask=X.NoEventMask)
            self._display.flush()

    def _run_pending(self) -> None:
        run_queued(self._calls)

    def close(self) -> None:
        self._display.close()


def run_queued(calls: queue.SimpleQueue[Callable[[], None]]) -> None:
    """Run every queued call, in order; one that fails is logged and the others still run.

    One that finds the X server gone (the session ended, Xvfb stopped just after a poll) is
    not a bug: pystray's loop ends on the same closed connection, and the app says so in one
    line (pystray_tray._let_go_of_a_lost_display), so no traceback here."""
    from Xlib.error import ConnectionClosedError

    while True:
        try:
            fn = calls.get_nowait()
        except queue.Empty:
            return
        try:
            fn()
        except ConnectionClosedError as exc:
            log.debug("a tray update found the X display gone: %s", exc)
        except Exception:
            log.exception("a tray update failed")
