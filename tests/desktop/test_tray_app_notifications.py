"""The tray app's notifications on the bus: once per threshold crossing and per renewal (none
repeated after a restart), a fallback while the notification daemon is down (and back when it
returns), and notifications without any tray host.

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

from tests.support.waiting import poll_until, stays_false

from .harness import DesktopSession
from .tray_app_rig import (
    RunningApp,
    fixture_server,  # noqa: F401 (the `server` fixture)
    fixture_start_app,  # noqa: F401 (the `start_app` fixture)
    set_share,
)

pytestmark = pytest.mark.desktop


def test_notifications_on_the_bus_once_per_crossing_and_reset_and_none_after_restart(
    desktop: DesktopSession, start_app: Callable[..., RunningApp]
) -> None:
    app = start_app(pacing="demo")
    app.wait_colour("ok")
    assert desktop.notifications() == []

    set_share(app.server, 6000)  # 6,050 of 35,050 = 17 %: below 20 %
    os.kill(app.pid, signal.SIGUSR1)
    # 24,000 gone at once is also unusual spend, which heads the one notification.
    low = poll_until(
        lambda: [c for c in desktop.notifications() if "20% warning" in c.body] or None,
        10,
        "the low-credits notification",
    )
    # One event, one notification: nothing else follows for the same drop.
    stays_false(lambda: len(desktop.notifications()) > 1, 1, "a second notification")
    calls = desktop.notifications()
    assert len(calls) == len(low) == 1
    # The balance once: the folded low warning does not repeat what the headline said.
    assert low[0].body.count("6,050") == 1, low[0].body
    assert "6,050 left" in low[0].body
    assert low[0].app_name == "lensmor-tray"

    polls_before = app.requests()
    poll_until(lambda: True if app.requests() >= polls_before + 10 else None, 40, "ten more polls")
    assert [c.summary for c in desktop.notifications()] == [c.summary for c in calls]

    app.server.account.reset()
    renewed = poll_until(
        lambda: [c for c in desktop.notifications() if "renewed" in c.summary.lower()] or None,
        15,
        "the renewal notification",
    )
    assert len(renewed) == 1
    assert "35,0" in renewed[0].body

    count = len(desktop.notifications())
    os.kill(app.pid, signal.SIGTERM)
    assert app.proc.wait(timeout=10) == 0  # type: ignore[attr-defined]
    again = start_app(pacing="demo")
    again.wait_colour("ok")
    seen = again.requests()
    poll_until(lambda: True if again.requests() >= seen + 3 else None, 20, "three polls")
    assert len(desktop.notifications()) == count


def test_notifications_fall_back_when_the_daemon_dies_and_resume_when_it_returns(
    desktop: DesktopSession, start_app: Callable[..., RunningApp]
) -> None:
    app = start_app(pacing="demo")
    app.wait_colour("ok")
    desktop.stop_notifications()
    set_share(app.server, 6000)  # below 20 %: a notification with nowhere to go
    os.kill(app.pid, signal.SIGUSR1)
    desktop.wait_for_output(app.proc, "below your 20% warning", timeout=15)  # type: ignore[arg-type]
    assert app.proc.poll() is None
    app.wait_colour("low")
    desktop.start_notifications()
    set_share(app.server, 1000)  # below 5 %: delivered by the next backend that works
    os.kill(app.pid, signal.SIGUSR1)
    app.wait_colour("critical")
    critical = poll_until(
        lambda: [c for c in desktop.notifications() if "critical" in c.summary.lower()] or None,
        15,
        "the critical notification on the bus",
    )
    assert len(critical) == 1
    log = desktop.log_of(app.proc)  # type: ignore[arg-type]
    assert "Traceback" not in log


@pytest.mark.parametrize("desktop", [{"tray": False}], indirect=True)
def test_without_a_tray_host_the_app_says_so_and_still_notifies(
    desktop: DesktopSession, start_app: Callable[..., RunningApp]
) -> None:
    app = start_app(pacing="demo")
    log = desktop.wait_for_output(app.proc, "no system tray found")  # type: ignore[arg-type]
    assert "notifications still work" in log
    set_share(app.server, 6000)
    os.kill(app.pid, signal.SIGUSR1)
    # The 24,000 drop is one notification (issue 10): "Unusual spend" heads it and the low
    # warning is folded into its body.
    low = poll_until(
        lambda: [c for c in desktop.notifications() if "6,050 left" in c.body] or None,
        15,
        "the low-credits notification without a tray",
    )
    assert len(low) == 1
    assert "below your 20% warning" in low[0].body
    assert low[0].body.count("6,050") == 1, low[0].body
    os.kill(app.pid, signal.SIGTERM)
    assert app.proc.wait(timeout=10) == 0  # type: ignore[attr-defined]
