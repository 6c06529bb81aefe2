"""The real tray app on a real headless desktop: Xvfb, trayer, a private D-Bus session bus,
dunst, and the real pystray backend (appindicator), against the simulated API on loopback.

Pixels are read from screenshots of the docked icon and classified by the badge's fill colour,
so "the icon shows the low level" is checked on screen, not in a data structure.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import REPO
from tests.support.waiting import poll_until, stays_false
from tray_app.core.levels import Level
from tray_app.demo.server import DEMO_KEY, Fault, SimulatedLensmorServer
from tray_app.tray.badge_palette import LEVEL_FILL, NEUTRAL_FILL, STALE_DESATURATE, mix

from .harness import DesktopSession

pytestmark = pytest.mark.desktop

GREY = (96, 96, 96)
FILLS: dict[str, tuple[int, int, int]] = {
    "ok": LEVEL_FILL[Level.OK],
    "low": LEVEL_FILL[Level.LOW],
    "critical": LEVEL_FILL[Level.CRITICAL],
    "depleted": LEVEL_FILL[Level.DEPLETED],
    "neutral": NEUTRAL_FILL,
    "stale-ok": mix(LEVEL_FILL[Level.OK], GREY, STALE_DESATURATE),
    "stale-low": mix(LEVEL_FILL[Level.LOW], GREY, STALE_DESATURATE),
}


def badge_colour(image: Image.Image) -> str:
    """The known fill that most pixels of the icon are close to."""
    raw = image.convert("RGB").tobytes()
    counts = dict.fromkeys(FILLS, 0)
    for i in range(0, len(raw), 3):
        pixel = (raw[i], raw[i + 1], raw[i + 2])
        best, distance = min(
            (
                (name, sum((a - b) ** 2 for a, b in zip(pixel, fill, strict=True)))
                for name, fill in FILLS.items()
            ),
            key=lambda item: item[1],
        )
        if distance < 30**2:
            counts[best] += 1
    return max(counts, key=lambda name: counts[name])


@dataclass
class RunningApp:
    desktop: DesktopSession
    server: SimulatedLensmorServer
    proc: object

    @property
    def pid(self) -> int:
        return self.proc.pid  # type: ignore[attr-defined]

    def colour(self) -> str:
        icon = self.desktop.wait_for_tray_icon(timeout=10)
        return badge_colour(self.desktop.icon_image(icon))

    def wait_colour(self, expected: str, timeout: float = 15) -> None:
        def matches() -> bool | None:
            return True if self.colour() == expected else None

        try:
            poll_until(matches, timeout, f"the badge to turn {expected}")
        except TimeoutError:
            self.desktop.screenshot(f"tray-app-expected-{expected}")
            raise AssertionError(
                f"badge is {self.colour()}, expected {expected}; log:\n"
                + self.desktop.log_of(self.proc)[-3000:]  # type: ignore[arg-type]
            ) from None

    def requests(self) -> int:
        return len(self.server.account.requests)


def set_share(server: SimulatedLensmorServer, subscription_balance: int) -> None:
    server.account.set_balance(
        subscriptionAmount=35000,
        subscriptionBalance=subscription_balance,
        giftAmount=50,
        giftBalance=50,
    )


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as srv:
        set_share(srv, 30000)
        yield srv


@pytest.fixture
def start_app(
    desktop: DesktopSession, server: SimulatedLensmorServer
) -> Iterator[Callable[..., RunningApp]]:
    apps: list[RunningApp] = []

    def start(
        pacing: str = "production", key: str = DEMO_KEY, backend: str = "appindicator"
    ) -> RunningApp:
        env = dict(desktop.env)
        env.update(
            PYTHONPATH=str(REPO),
            LENSMOR_BASE_URL=server.url,
            LENSMOR_API_KEY=key,
            LENSMOR_TRAY_PACING=pacing,
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            PYSTRAY_BACKEND=backend,
        )
        proc = desktop.popen(
            [sys.executable, "-m", "tray_app", "-v", "run"], env=env, name="lensmor-tray"
        )
        app = RunningApp(desktop, server, proc)
        apps.append(app)
        desktop.wait_for_output(proc, "poll: ", timeout=20)
        return app

    yield start
    for app in apps:
        if app.proc.poll() is None:  # type: ignore[attr-defined]
            os.kill(app.pid, signal.SIGTERM)


def ups_to(label: str) -> int:
    """Up-arrow presses from the bottom of the menu to reach an action (the menu's order is
    fixed by core.view: ... Refresh now, Open dashboard, Usage…, Settings…, Pause, Start at
    login, Quit)."""
    bottom_up = [
        "Quit",
        "Start at login",
        "Pause notifications",
        "Settings…",
        "Usage…",
        "Open Lensmor dashboard",
        "Refresh now",
    ]
    return bottom_up.index(label) + 1


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


def test_menu_refresh_and_quit(start_app: Callable[..., RunningApp]) -> None:
    app = start_app(pacing="production")  # next scheduled poll is minutes away
    app.wait_colour("ok")
    before = app.requests()
    set_share(app.server, 5000)

    app.desktop.open_menu(button=1)
    app.desktop.screenshot("tray-app-menu")
    app.desktop.key(*["Up"] * ups_to("Refresh now"), "Return")
    app.wait_colour("low", timeout=10)
    assert app.requests() == before + 1

    app.desktop.open_menu(button=1)
    app.desktop.key(*["Up"] * ups_to("Quit"), "Return")
    assert app.proc.wait(timeout=10) == 0  # type: ignore[attr-defined]
    app.desktop.wait_for_no_tray_icon(timeout=5)


def children_of(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_the_usage_row_opens_the_window_in_its_own_process(
    start_app: Callable[..., RunningApp],
) -> None:
    app = start_app(pacing="production")
    app.wait_colour("ok")
    app.desktop.open_menu(button=1)
    app.desktop.key(*["Up"] * ups_to("Usage…"), "Return")

    def usage_child() -> int | None:
        for child in children_of(app.pid):
            if b"usage" in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0"):
                return child
        return None

    child = poll_until(usage_child, 10, "the Usage window's process")

    def has_window() -> bool | None:
        maps = Path(f"/proc/{child}/maps").read_text()
        return True if "_tkagg" in maps else None

    # The child loads matplotlib's Tk backend (the chart is drawn); the tray never does.
    poll_until(has_window, 30, "the Usage window to load its chart")
    tray_maps = Path(f"/proc/{app.pid}/maps").read_text()
    assert "matplotlib" not in tray_maps
    assert "numpy" not in tray_maps
    app.desktop.key("Escape")  # the window took the focus when it mapped
    poll_until(lambda: True if child not in children_of(app.pid) else None, 10, "it to close")
    assert app.proc.poll() is None  # type: ignore[attr-defined]  # the tray keeps running


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


def test_start_at_login_from_the_menu_and_the_entry_starts_the_app(
    desktop: DesktopSession, start_app: Callable[..., RunningApp]
) -> None:
    from tray_app.autostart.linux import read_group, split_exec

    entry = desktop.home / ".config" / "autostart" / "lensmor-tray.desktop"
    app = start_app(pacing="production")
    app.wait_colour("ok")
    assert not entry.exists()

    app.desktop.open_menu(button=1)
    app.desktop.key(*["Up"] * ups_to("Start at login"), "Return")
    poll_until(lambda: True if entry.exists() else None, 10, "the autostart entry")
    desktop.run(["desktop-file-validate", str(entry)])
    text = entry.read_text()
    assert DEMO_KEY not in text
    argv = split_exec(read_group(text)["Exec"])
    assert argv[-2:] == ["run", "--autostart"]

    # The real entry starts the real app: quit the running one, then run the Exec line.
    os.kill(app.pid, signal.SIGTERM)
    assert app.proc.wait(timeout=10) == 0  # type: ignore[attr-defined]
    desktop.wait_for_no_tray_icon(timeout=5)
    env = dict(desktop.env)
    env.update(
        PYTHONPATH=str(REPO),
        LENSMOR_BASE_URL=app.server.url,
        LENSMOR_API_KEY=DEMO_KEY,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    seen = app.requests()
    login = desktop.popen(argv, env=env, name="autostarted")
    desktop.wait_for_tray_icon(timeout=20)
    poll_until(lambda: True if app.requests() > seen else None, 20, "the autostarted poll")

    # Unticking the menu item removes the entry and the menu shows the real state.
    desktop.open_menu(button=1)
    desktop.key(*["Up"] * ups_to("Start at login"), "Return")
    poll_until(lambda: True if not entry.exists() else None, 10, "the entry to go")
    os.kill(login.pid, signal.SIGTERM)
    assert login.wait(timeout=10) == 0


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


def _menu_text(desktop: DesktopSession) -> str:
    """The open menu's words, read off the screen (tesseract, on a 3x enlargement)."""
    menu = desktop.wait_for_menu(timeout=5)
    shot = desktop.screenshot().crop(menu.box).convert("L")
    big = shot.resize((shot.width * 3, shot.height * 3), Image.Resampling.LANCZOS)
    path = desktop.tmpdir / "menu-ocr.png"
    big.save(path)
    done = subprocess.run(
        ["tesseract", str(path), "-", "--psm", "6"], capture_output=True, text=True, check=False
    )
    return done.stdout


def _saved_pause_until(desktop: DesktopSession) -> float | None:
    db = desktop.home / ".local" / "share" / "lensmor-tray" / "history.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT json FROM app_state").fetchone()
    value = json.loads(row[0])["alerts"]["pause_until"] if row else None
    return float(value) if value is not None else None


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_the_menu_works_at_once_while_a_poll_is_stalled_and_quit_ends_it(
    desktop: DesktopSession, start_app: Callable[..., RunningApp]
) -> None:
    # Issue 11: the monitor's lock was held across the fetch, so "Pause" froze the app until
    # the server answered. Here the server never answers the poll in flight.
    app = start_app(pacing="production")  # the next scheduled poll is minutes away
    app.wait_colour("ok")
    before = app.requests()
    app.server.account.inject(Fault.stall())
    os.kill(app.pid, signal.SIGUSR1)
    poll_until(lambda: app.requests() > before, 10, "the poll that stalls")

    app.desktop.open_menu(button=1)
    pressed = time.monotonic()
    app.desktop.key(*["Up"] * ups_to("Pause notifications"), "Right", "Return")  # For 1 hour
    poll_until(lambda: _saved_pause_until(desktop), 2, "the pause to take effect")
    assert time.monotonic() - pressed < 2  # at once, not when the poll ends (15 s read timeout)
    app.desktop.open_menu(button=1)
    text = _menu_text(desktop)
    app.desktop.screenshot("tray-app-paused-during-a-stalled-poll")
    assert "paused until" in text.lower(), text
    app.desktop.key("Escape")

    assert app.requests() == before + 1  # the stalled poll is still the only one out
    app.desktop.open_menu(button=1)
    app.desktop.key(*["Up"] * ups_to("Quit"), "Return")
    quit_pressed = time.monotonic()
    assert app.proc.wait(timeout=10) == 0  # type: ignore[attr-defined]
    assert time.monotonic() - quit_pressed < 2.0
    assert _saved_pause_until(desktop) is not None  # the state was saved on the way out
