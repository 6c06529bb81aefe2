"""The X server goes away under the running app: the session ends, or Xvfb is killed.

pystray's xorg backend (the XEmbed tray) ends its loop with the error logged, and then its
`Icon.__del__` tried to destroy the window over the dead connection: Python printed that
traceback ("Exception ignored in ... __del__") as the app exited.
"""

from __future__ import annotations

import sys

import pytest

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
