"""Keeps pystray's xorg icon docked: re-sends the XEmbed dock request when it is not.

pystray's xorg backend asks the tray host to dock its window once, at start and when the
host it knew is destroyed, and never again: when no host exists at that moment (the panel
crashed and restarts a second later) or the host drops the window again (seen under load:
trayer reparents the icon into its panel, then back to the root window), the icon stays
invisible for good (pystray/_xorg.py `_show` and `_on_destroy_notify` only log "Failed to
dock icon"; upstream moses-palmer/pystray#186). This keeper checks from its own X
connection (pystray's is not safe to share, see xorg_bridge.py) and, when a tray host
exists but our window sits on the root window, sends the same SYSTEM_TRAY_REQUEST_DOCK
message the System Tray Protocol specifies.

Only used with the xorg backend; gtk/appindicator re-dock by themselves.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

SYSTEM_TRAY_REQUEST_DOCK = 0
FAST_CHECK_S = 5.0  # right after start, when the panel may still be settling
FAST_PERIOD_S = 120.0
SLOW_CHECK_S = 60.0


class XorgDockKeeper:
    def __init__(self, window_id: int, display_name: str | None) -> None:
        self._window_id = window_id
        self._display_name = display_name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xorg-dock", daemon=True)
        self.redocks = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        from Xlib import display as xdisplay
        from Xlib.error import ConnectionClosedError, DisplayError

        try:
            disp = xdisplay.Display(self._display_name)
        except (DisplayError, OSError) as exc:
            log.warning("cannot watch the tray icon's docking: %s", exc)
            return
        waited = 0.0
        try:
            while True:
                interval = FAST_CHECK_S if waited < FAST_PERIOD_S else SLOW_CHECK_S
                if self._stop.wait(interval):
                    return
                waited += interval
                self.check_once(disp)
        except (ConnectionClosedError, OSError) as exc:
            # The X server went away (the session ended, `xvfb-run` returned): the app's own
            # loop ends on it and says so; this thread only stops, without a traceback.
            log.debug("dock keeper: the X display connection closed (%s)", exc)
        finally:
            _close(disp)

    def check_once(self, disp: Any) -> bool:
        """Re-dock if needed; True when a dock request was sent."""
        from Xlib import X
        from Xlib.error import XError
        from Xlib.protocol import event

        try:
            screen = disp.screen()
            atom = disp.intern_atom(f"_NET_SYSTEM_TRAY_S{disp.get_default_screen()}")
            manager = disp.get_selection_owner(atom)
            if not manager or manager == X.NONE:
                return False  # no tray host right now: check again later
            window = disp.create_resource_object("window", self._window_id)
            if window.query_tree().parent != screen.root:
                return False  # embedded: all is well
            opcode = disp.intern_atom("_NET_SYSTEM_TRAY_OPCODE")
            message = event.ClientMessage(
                window=manager,
                client_type=opcode,
                data=(32, [X.CurrentTime, SYSTEM_TRAY_REQUEST_DOCK, self._window_id, 0, 0]),
            )
            manager.send_event(message, event_mask=X.NoEventMask)
            disp.flush()
        except XError as exc:
            log.debug("dock check failed: %s", exc)
            return False
        self.redocks += 1
        log.info("the tray icon was not docked: asked the tray host again")
        return True


def _close(disp: Any) -> None:
    """Close our X connection; on a dead one python-xlib's close() raises the same
    ConnectionClosedError again and leaves the socket open, so close the socket itself."""
    try:
        disp.close()
    except Exception:  # noqa: BLE001 - any failure here: the connection is gone either way
        socket = getattr(getattr(disp, "display", None), "socket", None)
        if socket is not None:
            socket.close()
