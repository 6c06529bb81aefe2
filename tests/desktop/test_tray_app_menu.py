"""The tray app's menu, used with the keyboard as a user would: Refresh now and Quit, the
Usage… row (its window in its own process), Start at login (and the entry it writes starts the
app), and a menu that works at once while a poll is stalled.

The real tray app runs on a real headless desktop: Xvfb, trayer, a private D-Bus session bus,
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
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import REPO
from tests.support.waiting import poll_until
from tray_app.demo.server import DEMO_KEY, Fault

from .harness import DesktopSession
from .tray_app_rig import (
    RunningApp,
    fixture_server,  # noqa: F401 (the `server` fixture)
    fixture_start_app,  # noqa: F401 (the `start_app` fixture)
    set_share,
    ups_to,
)

pytestmark = pytest.mark.desktop


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


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_an_open_menu_takes_the_new_balance_when_a_poll_adds_a_row(
    start_app: Callable[..., RunningApp],
) -> None:
    """A first alert adds "Recent alerts": a menu built anew then went to the indicator while
    the open one went on showing the old balance. The open menu now gets the new words in its
    rows, and the new row is there the next time it opens."""
    app = start_app(pacing="production")
    app.wait_colour("ok")
    menu = app.desktop.open_menu(button=1)
    assert "Recent alerts" not in _menu_text(app.desktop)
    set_share(app.server, 500)
    os.kill(app.proc.pid, signal.SIGUSR1)
    app.wait_colour("critical", timeout=10)

    def new_balance_shown() -> str | None:
        text = _menu_text(app.desktop)
        return text if "550 of" in text else None

    text = poll_until(new_balance_shown, 5, "the new balance in the open menu")
    assert [m.id for m in app.desktop.menus()] == [menu.id], "the menu closed or another opened"
    width = app.desktop.screenshot().width  # a longer row widened it: placed again to fit
    poll_until(
        lambda: all(m.x + m.width <= width for m in app.desktop.menus()) or None,
        5,
        "the widened open menu on the screen",
    )
    app.desktop.screenshot("tray-app-menu-open-across-a-new-row")
    assert "Recent alerts" not in text  # the open menu keeps its rows
    app.desktop.key("Escape")
    poll_until(lambda: not app.desktop.menus() or None, 5, "the menu to close")
    app.desktop.open_menu(button=1)
    assert "Recent alerts" in _menu_text(app.desktop)
    app.desktop.key("Escape")


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
