"""The tray app's badge on screen: it docks and follows the balance, keeps the last balance
dimmed while offline, shows a rejected key (and stops polling), and after a clean SIGTERM the
next start shows the saved balance at once.

The real tray app runs on a real headless desktop: Xvfb, trayer, a private D-Bus session bus,
dunst, and the real pystray backend (appindicator), against the simulated API on loopback.
Pixels are read from screenshots of the docked icon and classified by the badge's fill colour,
so "the icon shows the low level" is checked on screen, not in a data structure.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import pytest

from tests.support.waiting import stays_false
from tray_app.demo.server import Fault

from .harness import DesktopSession
from .tray_app_rig import (
    RunningApp,
    fixture_server,  # noqa: F401 (the `server` fixture)
    fixture_start_app,  # noqa: F401 (the `start_app` fixture)
    set_share,
)

pytestmark = pytest.mark.desktop


def test_badge_docks_and_follows_the_balance(start_app: Callable[..., RunningApp]) -> None:
    app = start_app(pacing="demo")
    app.wait_colour("ok")
    app.desktop.screenshot("tray-app-ok")

    # SIGUSR1 = refresh now.
    set_share(app.server, 5000)  # 5,050 of 35,050 = 14 %: low
    os.kill(app.pid, signal.SIGUSR1)
    app.wait_colour("low", timeout=10)
    app.desktop.screenshot("tray-app-low")

    # Without a signal: the adaptive interval (short after a change) picks up the next drop.
    set_share(app.server, 1000)  # 1,050 = 3 %: critical
    app.wait_colour("critical", timeout=15)
    app.desktop.screenshot("tray-app-critical")


def test_offline_keeps_the_last_balance_dimmed_then_recovers(
    start_app: Callable[..., RunningApp],
) -> None:
    app = start_app(pacing="demo")
    app.wait_colour("ok")
    app.server.account.inject(Fault.status(503), times=1000)
    os.kill(app.pid, signal.SIGUSR1)
    app.wait_colour("stale-ok", timeout=10)
    app.desktop.screenshot("tray-app-offline")
    app.server.account.clear_faults()
    app.wait_colour("ok", timeout=30)  # recovers by itself through the backoff


def test_a_rejected_key_stops_polling_and_shows_it(
    start_app: Callable[..., RunningApp],
) -> None:
    app = start_app(pacing="demo")
    app.wait_colour("ok")
    app.server.account.set_valid_keys(["uak_someoneelse000000000000"])
    os.kill(app.pid, signal.SIGUSR1)
    app.wait_colour("critical", timeout=10)  # the "!" badge uses the critical red
    app.desktop.screenshot("tray-app-key-rejected")
    seen = app.requests()
    # Several demo intervals: no polling while the key is rejected.
    stays_false(lambda: app.requests() != seen, 6, "a poll while the key is rejected")


def test_sigterm_quits_cleanly_and_the_next_start_shows_the_saved_balance(
    desktop: DesktopSession, start_app: Callable[..., RunningApp]
) -> None:
    app = start_app(pacing="production")
    app.wait_colour("ok")
    os.kill(app.pid, signal.SIGTERM)
    assert app.proc.wait(timeout=10) == 0  # type: ignore[attr-defined]
    desktop.wait_for_no_tray_icon(timeout=5)
    log = desktop.log_of(app.proc)  # type: ignore[arg-type]
    assert "stopped" in log
    assert "Traceback" not in log

    # Next start with the API unreachable: the saved balance is shown at once, marked stale.
    app.server.account.inject(Fault.status(503), times=1000)
    again = start_app(pacing="production")
    again.wait_colour("stale-ok", timeout=10)
