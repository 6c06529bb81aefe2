"""The desktop's dark/light preference read over a real private D-Bus session bus, from a
stand-in for the portal's Settings interface (tests/support/portal_stub.py)."""

from __future__ import annotations

import sys
import time

import pytest

from tray_app.tray.appearance import PORTAL_NAME, desktop_panel, read_color_scheme
from tray_app.tray.badge_palette import Panel

from .harness import REPO_ROOT, DesktopSession, poll_until

pytestmark = [
    pytest.mark.desktop,
    # A session bus is what is needed; it comes with the notification daemon.
    pytest.mark.parametrize("desktop", [{"tray": False, "notifications": True}], indirect=True),
]


def start_portal(desktop: DesktopSession, *args: str) -> None:
    env = desktop.env
    env["PYTHONPATH"] = str(REPO_ROOT)
    desktop.popen(
        [sys.executable, "-m", "tests.support.portal_stub", *args], env=env, name="portal"
    )
    poll_until(lambda: desktop.name_has_owner(PORTAL_NAME) or None, 10, "the portal stand-in")


@pytest.fixture
def on_bus(desktop: DesktopSession) -> DesktopSession:
    return desktop


def test_a_dark_preference_gives_light_ink_and_a_light_one_dark_ink(
    on_bus: DesktopSession,
) -> None:
    start_portal(on_bus, "1")
    assert read_color_scheme(bus_address=on_bus.bus_address) == 1
    assert desktop_panel("linux", bus_address=on_bus.bus_address) is Panel.DARK
    # Only Linux asks the portal.
    assert desktop_panel("win32", bus_address=on_bus.bus_address) is Panel.LIGHT


@pytest.mark.parametrize(("value", "panel"), [(0, Panel.LIGHT), (2, Panel.LIGHT)])
def test_no_preference_and_light_mean_a_light_panel(
    on_bus: DesktopSession, value: int, panel: Panel
) -> None:
    start_portal(on_bus, str(value))
    assert read_color_scheme(bus_address=on_bus.bus_address) == value
    assert desktop_panel("linux", bus_address=on_bus.bus_address) is panel


def test_without_a_portal_the_light_default_comes_at_once(on_bus: DesktopSession) -> None:
    started = time.monotonic()
    assert read_color_scheme(bus_address=on_bus.bus_address) is None
    assert desktop_panel("linux", bus_address=on_bus.bus_address) is Panel.LIGHT
    assert time.monotonic() - started < 2  # the bus says "no such name" without waiting


def test_a_portal_that_hangs_costs_the_timeout_not_the_start(on_bus: DesktopSession) -> None:
    start_portal(on_bus, "1", "--delay", "5")
    started = time.monotonic()
    assert read_color_scheme(timeout_s=0.5, bus_address=on_bus.bus_address) is None
    assert time.monotonic() - started < 1.5
