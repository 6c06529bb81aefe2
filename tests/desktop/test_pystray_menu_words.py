"""The pystray adapter's GTK menu against the real backends: a view whose rows differ only in
their words relabels the menu already built (the same `Gtk.Menu`, so an open menu stays open
and shows the new words); a view whose rows differ otherwise builds a new one."""

from __future__ import annotations

import json
import sys

import pytest

from .harness import DesktopSession

pytestmark = pytest.mark.desktop

# Runs PystrayTray on the main thread; a helper thread shows four views and, after each, asks
# the GTK thread which Gtk.Menu pystray holds and what its labels say.
CHILD = r"""
import json, sys, threading, time
from gi.repository import GLib
from tray_app.core.badge import BadgeKind, state_badge
from tray_app.core.view import SEPARATOR, Action, MenuRow, TrayView
from tray_app.tray.pystray_tray import PystrayTray

def rows(balance, updated, checked=False):
    return (
        MenuRow(balance, Action.REFRESH, default=True),
        MenuRow(updated),
        SEPARATOR,
        MenuRow("Recent alerts", children=(MenuRow(updated + " ago: low"), MenuRow("older"))),
        MenuRow("Start at login", Action.TOGGLE_AUTOSTART, checked=checked),
        MenuRow("Quit", Action.QUIT),
    )

def labels(menu):
    out = []
    for child in menu.get_children():
        label = child.get_child()
        if label is None:
            out.append("-")
            continue
        out.append(label.get_text())
        if child.get_submenu() is not None:
            out.append(labels(child.get_submenu()))
    return out

tray = PystrayTray(lambda action: None)
seen = []
menus = []  # every Gtk.Menu seen, kept alive so that `is` tells them apart

def probe(done):
    handle = tray._icon._menu_handle
    if not any(menu is handle for menu in menus):
        menus.append(handle)
    index = next(i for i, menu in enumerate(menus) if menu is handle)
    bold = handle.get_children()[0].get_child().get_use_markup()
    seen.append({"menu": index, "labels": labels(handle), "bold": bold})
    done.set()
    return False

def drive():
    badge = state_badge(BadgeKind.STARTING)
    for view_rows in (
        rows("Balance: 20,000", "Updated just now"),
        rows("Balance: 19,000", "Updated 1 min"),
        rows("Balance: 19,000", "Updated 1 min", checked=True),
        rows("Balance: 18,000", "Updated 2 min", checked=True),
    ):
        tray.show(TrayView(badge, "Lensmor", view_rows))
        time.sleep(0.3)
        done = threading.Event()
        GLib.idle_add(probe, done)
        done.wait(5)
    print("SEEN " + json.dumps(seen), flush=True)
    tray.stop()

tray.run(lambda: threading.Thread(target=drive, daemon=True).start())
"""


@pytest.mark.parametrize("backend", ["appindicator", "gtk"])
def test_new_words_relabel_the_menu_and_a_new_shape_rebuilds_it(
    desktop: DesktopSession, backend: str
) -> None:
    env = desktop.env
    env["PYSTRAY_BACKEND"] = backend
    child = desktop.popen([sys.executable, "-c", CHILD], env=env, name=f"menu-{backend}")
    log = desktop.wait_for_output(child, "SEEN ", timeout=30)
    first, words, shape, again = json.loads(log.split("SEEN ", 1)[1].splitlines()[0])
    assert first["labels"] == [
        "Balance: 20,000",
        "Updated just now",
        "-",
        "Recent alerts",
        ["Updated just now ago: low", "older"],
        "Start at login",
        "Quit",
    ]
    # Only words changed: the same menu, relabelled, submenu included; the default row bold.
    assert words["menu"] == first["menu"]
    assert words["labels"][0] == "Balance: 19,000"
    assert words["labels"][1] == "Updated 1 min"
    assert words["labels"][4] == ["Updated 1 min ago: low", "older"]
    assert words["bold"] is True
    # A check mark changed: a new menu (setting it in place would run the toggle's action).
    assert shape["menu"] != words["menu"]
    assert shape["labels"] == words["labels"]
    # New words again: the labels of that new menu (not of the one it replaced) are set.
    assert again["menu"] == shape["menu"]
    assert again["labels"][:2] == ["Balance: 18,000", "Updated 2 min"]
    assert again["labels"][4] == ["Updated 2 min ago: low", "older"]
    desktop.stop_process(child)
