"""The real Settings window's Accounts list on a headless X server, driven by the keyboard
through xdotool (issue 12): accounts are added (their key tested first against the real
simulated API), tested, renamed and removed, saved at once, and the running tray is told.

The window prints its status changes on stdout when LENSMOR_TRAY_DIALOG_ECHO=1 (never the key);
focus changes in that output are the sync points, so nothing here sleeps for a guessed time.
"""

from __future__ import annotations

import stat

import pytest

from tests.support.waiting import poll_until
from tray_app.config.loading import load_settings
from tray_app.core import fmt
from tray_app.demo.demo_accounts import PERSONAL_DEMO_KEY, simulated_demo_accounts
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer

from .harness import DesktopSession
from .settings_dialog_rig import Dialog, StandInTray, dialog_env, write_config

pytestmark = [
    pytest.mark.desktop,
    # Only an X server is needed; a larger screen leaves room for the window to grow.
    pytest.mark.parametrize(
        "desktop", [{"tray": False, "notifications": False, "screen": "1024x768x24"}], indirect=True
    ),
]


def test_accounts_are_added_tested_renamed_and_removed_from_the_keyboard(
    desktop: DesktopSession,
) -> None:
    """Issue 12: the Accounts list against a simulated server with two accounts (two keys)."""
    wrong = "uak_WRONGwrongWRONG0123456789"
    with SimulatedLensmorServer(accounts=simulated_demo_accounts()) as server:
        config = write_config(desktop, f'base_url = "{server.url}"\n')
        tray = StandInTray(desktop, config)
        dialog = Dialog(desktop, config, dialog_env(desktop))
        # The unnamed account ("default" in the config file) is shown as "Main".
        assert dialog.wait_for("accounts: ") == "Main — no key"

        # Add "Work": the key is tested first; the empty placeholder account makes way.
        dialog.page("accounts")
        dialog.tab_to("account_name")
        dialog.type("Work")
        dialog.tab_to("account_key")
        dialog.type(DEMO_KEY)
        dialog.key("Return")  # in the Add fields Return adds, it does not Save
        assert dialog.wait_for("account: ") == "Testing the key of Work…"
        added = dialog.wait_for("account: ")
        work = server.accounts["Work"].snapshot()
        masked_work = fmt.mask_key(DEMO_KEY)
        assert added == (
            f"Added Work (key {masked_work} in the file): OK: "
            f"{fmt.credits(work['totalBalance'] or 0)} of {fmt.credits(work['totalAmount'] or 0)}"
            " credits"
        )
        assert dialog.wait_for("accounts: ") == f"Work — {masked_work} (file)"
        # The running tray is told at once, not only when the window closes.
        poll_until(lambda: tray.reloads() >= 1 or None, 10, "a reload request to the tray")

        # A rejected key adds nothing; the right one adds "Personal".
        dialog.tab_to("account_name", backwards=True)
        dialog.type("Personal")
        dialog.tab_to("account_key")
        dialog.type(wrong)
        dialog.tab_to("account_add")
        dialog.key("Return")
        assert dialog.wait_for("account: ") == "Testing the key of Personal…"
        assert dialog.wait_for("account: ") == "Not added: Key rejected — check it and try again"
        # The error marks the Accounts tab, as a wrong field marks its tab (seen from any tab).
        assert dialog.wait_for("tabs: ") == "API key | ⚠ Accounts | Alerts | Appearance"
        dialog.tab_to("account_key", backwards=True)
        dialog.type(PERSONAL_DEMO_KEY)  # replaces the wrong key: Tk selected it on the way in
        dialog.key("Return")
        assert dialog.wait_for("account: ") == "Testing the key of Personal…"
        assert dialog.wait_for("tabs: ") == "API key | Accounts | Alerts | Appearance"
        assert dialog.wait_for("account: ").startswith("Added Personal (key ")
        masked_personal = fmt.mask_key(PERSONAL_DEMO_KEY)
        assert dialog.wait_for("accounts: ") == (
            f"Work — {masked_work} (file) | Personal — {masked_personal} (file)"
        )
        dialog.screenshot("settings-dialog-accounts")

        # Choose Personal in the list with the arrow keys, then Test and Rename… it.
        dialog.tab_to("accounts", backwards=True)
        dialog.key("Down")
        assert dialog.wait_for("selected: ") == "Personal"
        dialog.tab_to("account_test")
        dialog.key("Return")
        assert dialog.wait_for("account: ") == "Testing Personal…"
        assert dialog.wait_for("account: ").startswith("Personal: OK: ")
        dialog.tab_to("account_rename")
        dialog.key("Return")
        assert dialog.wait_for("focus: ") == "prompt_entry"
        dialog.type("work")  # the old name is selected: typing replaces it
        dialog.key("Return")
        # A taken name is refused in the prompt, which stays open with the name selected.
        assert (
            dialog.wait_for("error prompt: ")
            == "An account named 'work' exists already; choose another name"
        )
        dialog.type("Home")
        dialog.key("Return")
        assert dialog.wait_for("account: ") == "Renaming Personal…"
        assert dialog.wait_for("account: ") == "Renamed Personal to Home"
        assert dialog.wait_for("accounts: ") == (
            f"Work — {masked_work} (file) | Home — {masked_personal} (file)"
        )

        # Remove… asks first; Return on its focused Remove button confirms.
        dialog.tab_to("accounts", backwards=True)
        dialog.tab_to("account_remove")
        dialog.key("Return")
        assert dialog.wait_for("focus: ") == "prompt_ok"
        dialog.screenshot("settings-dialog-remove-account")
        dialog.key("Return")
        assert dialog.wait_for("account: ") == "Removing Home…"
        assert dialog.wait_for("account: ") == "Removed Home and forgot its key"
        assert dialog.wait_for("accounts: ") == f"Work — {masked_work} (file)"
        dialog.screenshot("settings-dialog-accounts-after")

        # The accounts were saved at once: leaving with Escape still tells the tray to reload.
        dialog.key("Escape")
        assert dialog.wait_exit() == 0
        sent = {
            name: [r.header("Authorization") for r in account.requests]
            for name, account in server.accounts.items()
        }

    settings = load_settings(config)
    assert settings.account_names == ("Work",)
    keys_dir = config.parent / "api-keys"
    assert (keys_dir / "work").read_text().strip() == DEMO_KEY
    assert stat.S_IMODE((keys_dir / "work").stat().st_mode) == 0o600
    assert sorted(p.name for p in keys_dir.iterdir()) == ["work"]  # Personal/Home forgotten
    # The simulator logs a key no account accepts on its first account (Work).
    assert sent == {
        "Work": [f"Bearer {DEMO_KEY}", f"Bearer {wrong}"],
        "Personal": [f"Bearer {PERSONAL_DEMO_KEY}"] * 2,  # added, then tested
    }
    log = desktop.log_of(dialog.proc)
    for key in (DEMO_KEY, PERSONAL_DEMO_KEY, wrong):
        assert key not in log
