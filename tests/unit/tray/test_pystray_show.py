"""The pystray adapter hands the UI thread only views that differ from the last (issue 20)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO

# pystray picks its backend when imported: a child process with the "dummy" backend, which
# needs no display, and the adapter's hop to the UI thread counted.
CHILD = r"""
from tray_app.core.badge import BadgeKind, state_badge
from tray_app.core.view import Action, MenuRow, TrayView
from tray_app.tray.pystray_tray import PystrayTray

def view(title, words="Quit"):
    return TrayView(state_badge(BadgeKind.STARTING), title, (MenuRow(words, Action.QUIT),))

tray = PystrayTray(lambda action: None)
hops = []
tray._on_ui_thread = hops.append
tray.show(view("20,000 credits"))
tray.show(view("20,000 credits"))  # a poll that changed nothing: equal, not the same object
print(len(hops))
tray.show(view("19,000 credits"))
tray.show(view("19,000 credits", words="Beenden"))
print(len(hops))
"""


def test_an_unchanged_view_does_not_wake_the_ui_thread() -> None:
    env = {**os.environ, "PYSTRAY_BACKEND": "dummy"}
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "3"]
