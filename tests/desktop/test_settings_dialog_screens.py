"""The Settings window on a small laptop screen (issue 23): in each language (en, de, fr, es,
ja), with every message it can show at once (a bad key, a bad threshold and interval, a bad new
account, the LENSMOR_API_KEY note, the status line), on a 1366x768 screen (and 1280x720 for
the longest languages), its Cancel and Save buttons are inside the screen on every tab, the
tabs with errors are marked, and the first account is called "Main" in the user's language.

Screenshots: test-artifacts/desktop/settings-<lang>-<screen>-<tab>.png (look at them; the
appearance tab's badge-style list shows its widest label whole).
Cost: one window per language and screen, 3-5 s each.
"""

from __future__ import annotations

import pytest

from tests.desktop.settings_dialog_rig import KEY, Dialog, config_path, dialog_env
from tray_app.core.account_label import MAIN_ACCOUNT
from tray_app.support.i18n import language_for
from tray_app.windows.settings_pages import ERROR_MARK, PAGE_LABELS, Page

from .harness import DesktopSession

pytestmark = [pytest.mark.desktop]

LAPTOP = {"tray": False, "notifications": False, "screen": "1366x768x24"}
SMALL = {"tray": False, "notifications": False, "screen": "1280x720x24"}
LOCALES = {
    "en": "en_US.UTF-8",
    "de": "de_DE.UTF-8",
    "fr": "fr_FR.UTF-8",
    "es": "es_ES.UTF-8",
    "ja": "ja_JP.UTF-8",
}


def with_every_error(desktop: DesktopSession, language: str) -> Dialog:
    """The window in `language`, with every field on every tab wrong and Save pressed."""
    env = dialog_env(
        desktop, LANG=LOCALES[language], LC_ALL="", LC_MESSAGES="", LENSMOR_API_KEY=KEY
    )
    dialog = Dialog(desktop, config_path(desktop), env)
    dialog.type("not a key")
    # A new account with no name, a key that is not one and a base URL that is not one.
    dialog.page("accounts")
    dialog.tab_to("account_key")
    dialog.type("not a key")
    dialog.tab_to("account_base_url")
    dialog.type("ftp://example")
    dialog.key("Return")  # in the Add fields Return adds the account (here: refuses it)
    for field in ("account_name", "account_key", "account_base_url"):
        assert dialog.wait_for(f"error {field}: ")
    dialog.page("alerts")
    dialog.type("abc")
    dialog.tab_to("poll_interval")
    dialog.type("10")
    dialog.key("Return")
    for field in ("key", "thresholds", "poll_interval"):
        assert dialog.wait_for(f"error {field}: ")
    assert dialog.wait_for("status: ")
    return dialog


def check_fits(dialog: Dialog, name: str) -> None:
    """Photograph the tab shown; the window and its buttons are inside the screen."""
    image = dialog.screenshot(name)
    left, top, right, bottom, width, height = dialog.buttons()
    assert 0 <= left < right <= width, (name, dialog.buttons())
    assert 0 <= top < bottom <= height, (name, dialog.buttons())
    assert bottom - top >= 20  # the buttons are drawn, not squeezed to nothing
    window = dialog.box()
    assert min(window[0], window[1]) >= 0, (name, window)
    assert window[2] <= width, (name, window)
    assert window[3] <= height, (name, window)
    assert image.height <= height


def run(desktop: DesktopSession, language: str) -> None:
    screen = desktop.screen.rsplit("x", 1)[0]
    lang = language_for(LOCALES[language])
    dialog = with_every_error(desktop, language)
    # Save stays on the Alerts tab (it has errors); the key's tab is marked too, and the
    # Accounts tab while its box shows the new account's errors.
    assert dialog.lines()[-1]  # the window is still running
    tabs = [x for x in dialog.lines() if x.startswith("tabs: ")][-1].removeprefix("tabs: ")
    marked = (Page.KEY, Page.ACCOUNTS, Page.ALERTS)
    assert tabs.split(" | ") == [
        (ERROR_MARK if page in marked else "") + lang.gettext(PAGE_LABELS[page]) for page in Page
    ]
    check_fits(dialog, f"settings-{language}-{screen}-alerts")
    dialog.page("key")
    check_fits(dialog, f"settings-{language}-{screen}-key")
    dialog.page("accounts")
    check_fits(dialog, f"settings-{language}-{screen}-accounts")
    # The badge-style list is as wide as its widest label drawn (Japanese: wide characters).
    dialog.page("appearance")
    check_fits(dialog, f"settings-{language}-{screen}-appearance")
    dialog.page("accounts")
    # The unnamed first account is "Main" in the user's language, never "default".
    accounts = [x for x in dialog.lines() if x.startswith("accounts: ")][-1]
    assert accounts.removeprefix("accounts: ").startswith(f"{lang.gettext(MAIN_ACCOUNT)} — ")
    dialog.key("Escape")
    assert dialog.wait_exit() == 1
    assert not config_path(desktop).exists()


@pytest.mark.parametrize("desktop", [LAPTOP], indirect=True)
@pytest.mark.parametrize("language", list(LOCALES))
def test_every_error_fits_a_laptop_screen(desktop: DesktopSession, language: str) -> None:
    run(desktop, language)


@pytest.mark.parametrize("desktop", [SMALL], indirect=True)
@pytest.mark.parametrize("language", ["de", "ja"])
def test_every_error_fits_a_1280x720_screen(desktop: DesktopSession, language: str) -> None:
    run(desktop, language)
