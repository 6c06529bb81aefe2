"""The real Settings window's key field on a headless X server, driven by the keyboard
through xdotool: the Test button talks to the real simulated API with the typed key (or the
stored one when the field is empty), a key from LENSMOR_API_KEY is named as the one in use,
and a keyring that hangs does not freeze the window.

The window prints its status changes on stdout when LENSMOR_TRAY_DIALOG_ECHO=1 (never the key);
focus changes in that output are the sync points, so nothing here sleeps for a guessed time.
"""

from __future__ import annotations

import pytest

from tray_app.core import fmt
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer

from .harness import DesktopSession
from .settings_dialog_rig import KEY, Dialog, config_path, dialog_env, write_config

pytestmark = [
    pytest.mark.desktop,
    # Only an X server is needed; a larger screen leaves room for the window to grow.
    pytest.mark.parametrize(
        "desktop", [{"tray": False, "notifications": False, "screen": "1024x768x24"}], indirect=True
    ),
]


def test_the_test_button_asks_the_api_with_the_typed_key(desktop: DesktopSession) -> None:
    wrong = "uak_WRONGwrongWRONG0123456789"
    with SimulatedLensmorServer() as server:
        server.account.spend(5000)
        snapshot = server.account.snapshot()
        config = write_config(desktop, f'base_url = "{server.url}"\n')
        dialog = Dialog(desktop, config, dialog_env(desktop))

        dialog.type(wrong)
        dialog.tab_to("test")
        dialog.key("space")
        assert dialog.wait_for("test: ") == "Testing…"
        assert dialog.wait_for("test: ") == "Key rejected — check it and try again"

        dialog.tab_to("key", backwards=True)
        dialog.type(DEMO_KEY)  # replaces the wrong key: Tk selected it on the way in
        dialog.tab_to("test")
        dialog.key("Return")  # Return on a focused button presses that button, not Save
        assert dialog.wait_for("test: ") == "Testing…"
        expected = (
            f"OK: {fmt.credits(snapshot['totalBalance'] or 0)} of "
            f"{fmt.credits(snapshot['totalAmount'] or 0)} credits"
        )
        assert dialog.wait_for("test: ") == expected
        dialog.screenshot("settings-dialog-test-ok")
        sent = [r.header("Authorization") for r in server.account.requests]
        dialog.key("Escape")
        assert dialog.wait_exit() == 1

    assert sent == [f"Bearer {wrong}", f"Bearer {DEMO_KEY}"]
    assert not (config.parent / "api-key").exists()  # testing does not save
    log = desktop.log_of(dialog.proc)
    assert DEMO_KEY not in log
    assert wrong not in log


def test_an_empty_field_tests_the_stored_key(desktop: DesktopSession) -> None:
    with SimulatedLensmorServer() as server:
        config = write_config(desktop, f'base_url = "{server.url}"\n')
        key_file = config.parent / "api-key"
        key_file.write_text(DEMO_KEY + "\n")
        key_file.chmod(0o600)
        dialog = Dialog(desktop, config, dialog_env(desktop))
        hint = dialog.wait_for("key-hint: ")
        assert hint.startswith(f"Current key: {fmt.mask_key(DEMO_KEY)} (in {key_file})")
        dialog.tab_to("test")
        dialog.key("space")
        assert dialog.wait_for("test: ") == "Testing…"
        assert dialog.wait_for("test: ").startswith("OK: ")
        sent = [r.header("Authorization") for r in server.account.requests]
        dialog.key("Escape")
        assert dialog.wait_exit() == 1
    assert sent == [f"Bearer {DEMO_KEY}"]
    assert key_file.read_text() == DEMO_KEY + "\n"


def test_the_environment_key_is_named_as_the_one_in_use(desktop: DesktopSession) -> None:
    config = config_path(desktop)
    env = dialog_env(desktop, LENSMOR_API_KEY=KEY)
    dialog = Dialog(desktop, config, env)
    assert dialog.wait_for("key-hint: ").startswith(
        f"Current key: {fmt.mask_key(KEY)} (from LENSMOR_API_KEY)"
    )
    assert any(
        line.startswith("key-note: LENSMOR_API_KEY is set in the environment and overrides")
        for line in dialog.lines()
    )
    dialog.screenshot("settings-dialog-env-key")
    dialog.key("Escape")
    assert dialog.wait_exit() == 1
    assert KEY not in desktop.log_of(dialog.proc)


def test_a_keyring_that_hangs_does_not_freeze_the_window(desktop: DesktopSession) -> None:
    env = dialog_env(desktop, PYTHON_KEYRING_BACKEND="tests.support.file_keyring.HangingKeyring")
    dialog = Dialog(desktop, config_path(desktop), env)
    # The window answers the keyboard while the keyring read is still stuck in its thread.
    dialog.tab_to("show")
    assert not dialog._has("key-hint: ")
    # Then the read gives up (3 s) and says why instead of hanging.
    assert dialog.wait_for("key-hint: ") == "No key is stored yet: paste one above."
    assert "did not answer" in dialog.wait_for("status: ")
    dialog.key("Escape")
    assert dialog.wait_exit() == 1
