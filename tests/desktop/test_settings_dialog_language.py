"""The Settings window in the user's language (issue 15): under LANG=de_DE.UTF-8 its title,
key hint, validation messages and status line are German, and it stays usable from the
keyboard alone. A screenshot of the German window is saved as
test-artifacts/desktop/.../settings-dialog-de.png (German labels are longer: the window
grows to fit them; look at it).

Cost: one window, about 3 s."""

from __future__ import annotations

import pytest

from tests.desktop.settings_dialog_rig import Dialog, config_path, dialog_env

from .harness import DesktopSession

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.parametrize(
        "desktop", [{"tray": False, "notifications": False, "screen": "1024x768x24"}], indirect=True
    ),
]

GERMAN = {"LANG": "de_DE.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}


def test_the_settings_window_speaks_german(desktop: DesktopSession) -> None:
    config = config_path(desktop)
    dialog = Dialog(desktop, config, dialog_env(desktop, **GERMAN))
    # The title is on Tk's wrapper window, not on the one the window echoes: find it by name.
    found = desktop.run(["xdotool", "search", "--name", "Einstellungen"])
    names = [desktop.run(["xdotool", "getwindowname", w]).strip() for w in found.split()]
    assert "Lensmor-Tray — Einstellungen" in names, names
    assert found.split(), "no window titled in German"
    assert dialog.wait_for("key-hint: ") == (
        "Noch kein Schlüssel gespeichert: fügen Sie oben einen ein."
    )
    dialog.tab_to("save")
    window = dialog.screenshot("settings-dialog-de")
    # German labels are longer than the English ones: the window is sized to them.
    assert window.width > 400

    # The form's own messages, from the keyboard: bad thresholds and interval, Return.
    dialog.page("alerts")
    dialog.type("abc")
    dialog.tab_to("poll_interval")
    dialog.type("10")
    dialog.key("Return")
    assert dialog.wait_for("error thresholds: ") == (
        "'abc' ist weder ein Prozentsatz (20%) noch eine Zahl von Credits (500)"
    )
    assert dialog.wait_for("error poll_interval: ") == (
        "Der Abstand muss mindestens 30 Sekunden betragen (nicht 10)"
    )
    assert dialog.wait_for("status: ") == (
        "Nicht gespeichert: korrigieren Sie die rot markierten Felder"
    )
    dialog.screenshot("settings-dialog-de-errors")
    dialog.key("Escape")
    assert dialog.wait_exit() == 1
    assert not config.exists()
