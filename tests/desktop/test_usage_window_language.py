"""The Usage window in the user's language (issue 15): under LANG=fr_FR.UTF-8 its title is
French, and the keyboard still works (Escape closes it). A screenshot of the French window is
saved as test-artifacts/desktop/.../usage-window-fr.png (open it: the period selector, the
buttons and the summary must fit).

Cost: one window with a year of history, about 4 s."""

from __future__ import annotations

import time

import pytest

from tests.desktop.test_usage_window import Window, find_window
from tests.support.usage_history import year_store

from .harness import REPO_ROOT, DesktopSession, poll_until

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.parametrize(
        "desktop", [{"tray": False, "notifications": False, "screen": "1280x800x24"}], indirect=True
    ),
]


def test_the_usage_window_speaks_french(desktop: DesktopSession) -> None:
    data_dir = desktop.home / ".local" / "share" / "lensmor-tray"
    data_dir.mkdir(parents=True)
    year_store(data_dir / "history.sqlite3", time.time() - 600)
    env = desktop.env
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        LENSMOR_TRAY_DIALOG_ECHO="1",
        LANG="fr_FR.UTF-8",
        LC_ALL="",
        LC_MESSAGES="",
    )
    window = Window(desktop, env)
    found = poll_until(
        lambda: find_window(desktop, "Consommation"), 10, "a window titled in French"
    )
    names = [desktop.run(["xdotool", "getwindowname", w]).strip() for w in found]
    assert "Lensmor tray — Consommation" in names, names
    left, _top, right, _bottom = window.box()
    assert right - left >= 760
    window.screenshot("usage-window-fr")
    window.desktop.key("Escape")
    assert window.wait_for("exit: ") == "0"
    assert window.proc.wait(timeout=10) == 0
