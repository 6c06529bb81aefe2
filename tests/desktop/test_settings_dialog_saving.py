"""The real Settings window (tkinter) in a child process on a headless X server, driven by the
keyboard through xdotool the way a user would: type the key, Tab between fields, Return to save,
Escape to cancel. Saving writes the config and stores the key (in the file, or a keyring), bad
fields are marked and nothing is written, and a broken config is never overwritten.

The window prints its status changes on stdout when LENSMOR_TRAY_DIALOG_ECHO=1 (never the key);
focus changes in that output are the sync points, so nothing here sleeps for a guessed time.
"""

from __future__ import annotations

import stat

import pytest
from PIL import ImageChops

from tray_app.config.loading import load_settings
from tray_app.core import fmt
from tray_app.core.badge import BadgeStyle
from tray_app.core.levels import Threshold
from tray_app.keys.key_store import KEYRING_SERVICE, KEYRING_USERNAME

from .harness import DesktopSession
from .settings_dialog_rig import KEY, Dialog, config_path, dialog_env, write_config

pytestmark = [
    pytest.mark.desktop,
    # Only an X server is needed; a larger screen leaves room for the window to grow.
    pytest.mark.parametrize(
        "desktop", [{"tray": False, "notifications": False, "screen": "1024x768x24"}], indirect=True
    ),
]


def test_typing_and_saving_writes_the_config_and_stores_the_key(desktop: DesktopSession) -> None:
    config = config_path(desktop)
    dialog = Dialog(desktop, config, dialog_env(desktop))
    assert dialog.wait_for("key-hint: ") == "No key is stored yet: paste one above."

    dialog.type(KEY)
    dialog.page("alerts")  # Ctrl+Tab, twice: its first field, the thresholds, has the focus
    dialog.type("30%, 1,000")  # replaces "20%, 5%": Tk selects a field's text on Tab
    dialog.tab_to("poll_interval")
    dialog.type("120")
    dialog.tab_to("notifications")
    dialog.key("space")
    # The badge style from the keyboard: Down opens the read-only list, Down moves to the next
    # style, Return picks it and gives the focus back to the box (it does not save). The list
    # shows the styles in words; the config gets the style's name ("percent").
    dialog.page("appearance")
    dialog.key("Down")
    dialog.key("Down")
    dialog.key("Return")
    dialog.wait_for("focus: badge_style")
    dialog.tab_to("save")  # also a sync point: the keys above have been handled
    window = dialog.screenshot("settings-dialog")
    assert window.width > 300
    assert window.height > 200

    dialog.key("Return")
    key_file = config.parent / "api-key"
    assert dialog.wait_for("key-hint: ").startswith(
        f"Current key: {fmt.mask_key(KEY)} (in {key_file})"
    )
    dialog.wait_for("saved: ")
    status = dialog.wait_for("status: Saved. ")
    # Without a keyring the user reads where the key went before the window closes.
    assert "No OS keyring is available, so the key is stored in" in status
    dialog.screenshot("settings-dialog-saved")
    dialog.key("Return")
    assert dialog.wait_exit() == 0

    settings = load_settings(config)
    assert settings.poll_interval == 120
    assert settings.alerts.thresholds == (Threshold(30, True), Threshold(1000, False))
    assert settings.alerts.notifications is False
    assert settings.badge_style is BadgeStyle.PERCENT
    assert key_file.read_text().strip() == KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert KEY not in desktop.log_of(dialog.proc)


def test_with_a_keyring_return_saves_and_closes_at_once(desktop: DesktopSession) -> None:
    keyring_file = desktop.home / "keyring.json"
    config = write_config(desktop, 'base_url = "http://127.0.0.1:9"\n[alerts]\nlarge_spend = 777\n')
    env = dialog_env(
        desktop,
        PYTHON_KEYRING_BACKEND="tests.support.file_keyring.FileKeyring",
        TEST_KEYRING_FILE=str(keyring_file),
    )
    dialog = Dialog(desktop, config, env)
    dialog.type(KEY)
    dialog.key("Return")
    assert dialog.wait_exit() == 0

    assert f'"{KEYRING_SERVICE}/{KEYRING_USERNAME}": "{KEY}"' in keyring_file.read_text()
    assert not (config.parent / "api-key").exists()
    settings = load_settings(config)
    # What the form does not show is kept; what it shows kept its defaults.
    assert settings.base_url == "http://127.0.0.1:9"
    assert settings.alerts.large_spend == 777
    assert settings.poll_interval == 300
    assert KEY not in desktop.log_of(dialog.proc)


def test_bad_fields_are_marked_and_the_window_stays_open(desktop: DesktopSession) -> None:
    config = config_path(desktop)
    dialog = Dialog(desktop, config, dialog_env(desktop))
    dialog.type("uak_with space")
    dialog.page("alerts")
    dialog.type("abc")
    dialog.tab_to("poll_interval")
    dialog.type("10")
    dialog.key("Return")

    assert dialog.wait_for("error key: ").startswith("The key contains spaces")
    assert dialog.wait_for("error thresholds: ").startswith("'abc' is not a percentage")
    assert dialog.wait_for("error poll_interval: ") == (
        "The interval must be at least 30 seconds (not 10)"
    )
    # The tab shown has errors, so it stays in front, its first bad field focused; the key's
    # tab is marked, so its error is not missed.
    assert dialog.wait_for("tabs: ") == "⚠ API key | Accounts | ⚠ Alerts | Appearance"
    assert dialog.wait_for("status: ") == "Not saved: correct the fields marked in red"
    assert dialog.wait_for("focus: ") == "thresholds"
    image = dialog.screenshot("settings-dialog-errors")
    # The messages are drawn in red (ERROR_COLOUR #b3261e): look for such pixels.
    red, green, blue = image.convert("RGB").split()
    reddish = ImageChops.multiply(
        red.point(lambda v: 255 if v > 150 else 0),
        ImageChops.multiply(
            green.point(lambda v: 255 if v < 80 else 0), blue.point(lambda v: 255 if v < 80 else 0)
        ),
    )
    reds = reddish.histogram()[255]
    assert reds > 200
    assert dialog.proc.poll() is None

    dialog.key("Escape")
    assert dialog.wait_exit() == 1
    assert not config.exists()
    assert not (config.parent / "api-key").exists()


@pytest.mark.parametrize("how", ["Escape", "Cancel button"])
def test_cancelling_writes_nothing(desktop: DesktopSession, how: str) -> None:
    config = config_path(desktop)
    dialog = Dialog(desktop, config, dialog_env(desktop))
    dialog.type(KEY)
    dialog.page("alerts")
    dialog.tab_to("poll_interval")
    dialog.type("600")
    if how == "Escape":
        dialog.key("Escape")
    else:
        dialog.tab_to("cancel")
        dialog.key("Return")  # presses the focused Cancel, not Save
    assert dialog.wait_exit() == 1
    assert dialog.lines()[-1] == "exit: 1"
    assert not config.parent.exists() or not any(config.parent.iterdir())


def test_a_broken_config_is_shown_and_never_overwritten(desktop: DesktopSession) -> None:
    config = write_config(desktop, "poll_interval = [oops\n")
    before = config.read_bytes()
    dialog = Dialog(desktop, config, dialog_env(desktop))
    assert "is not valid TOML" in next(
        line for line in dialog.lines() if line.startswith("config-error: ")
    )
    dialog.screenshot("settings-dialog-broken-config")
    dialog.type(KEY)
    dialog.key("Return")  # Save is disabled: Return only explains why
    assert dialog.wait_for("status: ") == (
        "Nothing can be saved until the config file is fixed (see above)"
    )
    assert dialog.proc.poll() is None
    assert not dialog._has("saved: ")

    dialog.key("Escape")
    assert dialog.wait_exit() == 2
    assert config.read_bytes() == before
    assert not (config.parent / "api-key").exists()


def test_a_config_broken_while_open_is_kept_and_so_is_the_form(desktop: DesktopSession) -> None:
    config = write_config(desktop, "poll_interval = 60\n")
    env = dialog_env(
        desktop,
        PYTHON_KEYRING_BACKEND="tests.support.file_keyring.FileKeyring",
        TEST_KEYRING_FILE=str(desktop.home / "keyring.json"),
    )
    dialog = Dialog(desktop, config, env)
    dialog.page("alerts")
    dialog.tab_to("poll_interval")
    dialog.type("900")
    # Someone (the user, in an editor) breaks the file while the window is open.
    config.write_text("poll_interval = \n")
    dialog.key("Return")
    status = dialog.wait_for("status: Not saved: ")
    assert "is not valid TOML" in status
    assert config.read_text() == "poll_interval = \n"
    assert dialog.proc.poll() is None

    # Fixed again: the same Return now saves what was typed before, nothing retyped.
    config.write_text("poll_interval = 60\n")
    dialog.key("Return")
    assert dialog.wait_exit() == 0
    assert load_settings(config).poll_interval == 900
