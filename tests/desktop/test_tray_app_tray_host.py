"""The tray app and its tray host: a second instance adds no icon (it asks the first for a
refresh), the icon re-docks when the tray host dies and comes back, and so does the menuless
xorg fallback.

The real tray app runs on a real headless desktop: Xvfb, trayer, a private D-Bus session bus,
dunst, and the real pystray backend (appindicator), against the simulated API on loopback.
Pixels are read from screenshots of the docked icon and classified by the badge's fill colour,
so "the icon shows the low level" is checked on screen, not in a data structure.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

import pytest

from tests.conftest import REPO
from tests.support.waiting import poll_until, stays_false
from tray_app.demo.server import DEMO_KEY

from .harness import DesktopSession
from .tray_app_rig import (
    RunningApp,
    fixture_server,  # noqa: F401 (the `server` fixture)
    fixture_start_app,  # noqa: F401 (the `start_app` fixture)
    set_share,
)

pytestmark = pytest.mark.desktop


def test_a_second_instance_does_not_add_an_icon_and_asks_for_a_refresh(
    desktop: DesktopSession, start_app: Callable[..., RunningApp]
) -> None:
    app = start_app(pacing="production")
    app.wait_colour("ok")
    before = app.requests()
    env = dict(desktop.env)
    env.update(
        PYTHONPATH=str(REPO),
        LENSMOR_BASE_URL=app.server.url,
        LENSMOR_API_KEY=DEMO_KEY,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    other = desktop.popen([sys.executable, "-m", "tray_app", "run"], env=env, name="second")
    assert other.wait(timeout=20) == 0
    assert "already running" in desktop.log_of(other)
    poll_until(lambda: True if app.requests() > before else None, 10, "the refresh request")
    stays_false(lambda: len(desktop.tray_icons()) != 1, 1, "a second tray icon")


def test_the_icon_redocks_when_the_tray_host_dies_and_comes_back(
    desktop: DesktopSession, start_app: Callable[..., RunningApp]
) -> None:
    app = start_app(pacing="demo")
    app.wait_colour("ok")
    desktop.stop_tray(sig=signal.SIGKILL)  # the panel crashes
    assert desktop.tray_icons() == []
    set_share(app.server, 5000)  # the balance moves while there is no panel
    stays_false(lambda: app.proc.poll() is not None, 3, "the app exiting without its panel")
    desktop.start_tray()
    desktop.wait_for_tray_icon(timeout=20)  # re-docked by itself
    os.kill(app.pid, signal.SIGUSR1)
    app.wait_colour("low", timeout=20)  # and showing the current balance
    log = desktop.log_of(app.proc)  # type: ignore[arg-type]
    assert "Traceback" not in log


def test_the_menuless_xorg_fallback_redocks_when_the_tray_host_returns(
    desktop: DesktopSession, start_app: Callable[..., RunningApp]
) -> None:
    # pystray's xorg backend never asks to dock again by itself (see tray/xorg_dock.py).
    app = start_app(pacing="production", backend="xorg")
    app.wait_colour("ok")
    log = desktop.log_of(app.proc)  # type: ignore[arg-type]
    assert "has no menu" in log  # the degraded mode is explained
    desktop.stop_tray(sig=signal.SIGKILL)
    stays_false(lambda: app.proc.poll() is not None, 1, "the app exiting without its panel")
    desktop.start_tray()
    desktop.wait_for_tray_icon(timeout=20)
    app.wait_colour("ok")
    assert "asked the tray host again" in desktop.log_of(app.proc)  # type: ignore[arg-type]


def test_the_xembed_probe_asks_libx11_and_follows_the_tray_host(desktop: DesktopSession) -> None:
    # The probe runs in a child on the session's display, as the app's start does, and must
    # not import python-xlib (issue 20: 14 ms of the XEmbed start).
    probe = (
        "import sys; from tray_app.tray.host_probe import xembed_tray_present as p; "
        "print(p(sys.argv[1]), p(':4711'), p(''), 'Xlib' in sys.modules)"
    )

    def ask() -> str:
        return desktop.run([sys.executable, "-c", probe, desktop.display]).strip()

    assert ask() == "True False False False"
    desktop.stop_tray()
    assert ask() == "False False False False"
    desktop.start_tray()
    assert ask() == "True False False False"
