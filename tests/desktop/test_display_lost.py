"""The X server goes away under the running app: the session ends, or Xvfb is killed; or it
closes the connection as the icon is being made.

pystray's xorg backend (the XEmbed tray) ends its loop with the error logged, and then its
`Icon.__del__` tried to destroy the window over the dead connection: Python printed that
traceback ("Exception ignored in ... __del__") as the app exited.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tray_app.demo.server import SimulatedLensmorServer

from .app_env import app_env
from .harness import DesktopSession

pytestmark = pytest.mark.desktop


def test_the_xembed_tray_quits_in_one_line_when_the_x_server_goes_away(
    desktop: DesktopSession,
) -> None:
    with SimulatedLensmorServer() as server:
        env = app_env(desktop, server, PYSTRAY_BACKEND="xorg")
        proc = desktop.popen(
            [sys.executable, "-m", "tray_app", "-v", "run"], env=env, name="lensmor-tray"
        )
        desktop.wait_for_output(proc, "poll: ", timeout=20)
        desktop._stop_service("Xvfb")
        assert proc.wait(timeout=20) == 0
        log = desktop.log_of(proc)
        assert "Traceback" not in log, log
        assert "the X display connection closed" in log, log


#: The dock keeper of the xorg backend on its own, checking every 50 ms, on the given display;
#: it says "watching" once it has checked.
DOCK_KEEPER = """
import json
import signal
import subprocess
import sys
from tray_app.tray import xorg_dock
xorg_dock.FAST_CHECK_S = 0.05
check_once = xorg_dock.XorgDockKeeper.check_once
def checking(self, disp, said=[]):
    if not said:  # connected and checking: the parent may now take the X server away
        said.append(print("watching", flush=True))
    return check_once(self, disp)
xorg_dock.XorgDockKeeper.check_once = checking
keeper = xorg_dock.XorgDockKeeper(0x1234567, sys.argv[1])
keeper.start()
keeper._thread.join(20)
print("still running" if keeper._thread.is_alive() else "ended", flush=True)
"""


@pytest.mark.parametrize("desktop", [{"tray": False, "notifications": False}], indirect=True)
def test_the_dock_keeper_stops_quietly_when_the_x_server_goes_away(
    desktop: DesktopSession,
) -> None:
    """Seen stopping `xvfb-run make run` with no tray host: the keeper's thread died on
    python-xlib's ConnectionClosedError, raised again by its close(), with a traceback; the
    socket left open then raised a ResourceWarning (an error here, with -X dev -W error)."""
    env = {**desktop.env, "PYTHONPATH": str(REPO)}
    proc = desktop.popen(
        [sys.executable, "-X", "dev", "-W", "error", "-c", DOCK_KEEPER, desktop.display],
        env=env,
        name="dock-keeper",
    )
    desktop.wait_for_output(proc, "watching", timeout=10)
    desktop._stop_service("Xvfb")
    assert proc.wait(timeout=30) == 0
    log = desktop.log_of(proc)
    assert "ended" in log, log
    for bad in ("Traceback", "Exception", "ResourceWarning", "cannot watch"):
        assert bad not in log, log


def test_the_xembed_tray_quits_without_a_traceback_when_the_x_server_goes_at_the_same_time(
    desktop: DesktopSession,
) -> None:
    """Seen stopping `xvfb-run make run` with Ctrl-C: the app quits while xvfb-run takes Xvfb
    down. pystray's loop ended by the quit, with the connection still alive, and Python then
    printed `Icon.__del__`'s ConnectionClosedError as the app exited."""
    with SimulatedLensmorServer() as server:
        env = app_env(desktop, server, PYSTRAY_BACKEND="xorg")
        proc = desktop.popen(
            [sys.executable, "-m", "tray_app", "-v", "run"], env=env, name="lensmor-tray"
        )
        desktop.wait_for_output(proc, "poll: ", timeout=20)
        proc.send_signal(signal.SIGTERM)
        desktop.wait_for_output(proc, "quitting", timeout=10)
        desktop._stop_service("Xvfb")
        assert proc.wait(timeout=20) == 0
        log = desktop.log_of(proc)
        assert "Traceback" not in log, log
        assert "Exception ignored" not in log, log


#: pystray's xorg backend connects to the display twice: once when imported (here, to the
#: session's Xvfb) and once in `Icon()`, which is made to fail by a display that does not exist.
FAILED_ICON = """
import gc, json, os, sys
import pystray
unraisable = []
sys.unraisablehook = lambda u: unraisable.append(f"{type(u.exc_value).__name__}: {u.exc_value}")
os.environ["DISPLAY"] = ":987"
from tray_app.tray.pystray_tray import PystrayTray
failed = None
try:
    PystrayTray(lambda action: None)
except Exception as exc:
    failed = type(exc).__name__
gc.collect()
print(json.dumps({"failed": failed, "unraisable": unraisable}))
"""


def test_an_xembed_icon_that_cannot_connect_leaves_no_traceback(desktop: DesktopSession) -> None:
    # Seen once in four `xvfb-run -a make run`: the X server closed the connection as pystray's
    # xorg Icon connected, the app said "the tray icon could not be created", and then the
    # half-built Icon's __del__ printed an AttributeError with its traceback
    # (tray/xorg_quirks.py).
    env = {**desktop.env, "PYTHONPATH": str(REPO), "PYSTRAY_BACKEND": "xorg"}
    done = subprocess.run(
        [sys.executable, "-c", FAILED_ICON],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["failed"] is not None  # the icon could not be made: the caller reports it
    assert answer["unraisable"] == []
    assert "Traceback" not in done.stderr, done.stderr
