"""The name people see for an account: the tray menu and the Settings window both use it."""

from __future__ import annotations

from tray_app.core.account_label import DEFAULT_ACCOUNT, name_key, shown_name
from tray_app.support.i18n import language_for


def test_the_unnamed_account_is_main_in_the_users_language() -> None:
    german = language_for("de_DE")
    assert shown_name(DEFAULT_ACCOUNT) == "Main"
    assert shown_name(DEFAULT_ACCOUNT, (DEFAULT_ACCOUNT, "Work"), german) == german.gettext("Main")
    assert german.gettext("Main") != "Main"


def test_a_named_account_and_a_taken_main_keep_their_names() -> None:
    assert shown_name("Work", (DEFAULT_ACCOUNT, "Work")) == "Work"
    # Another account called "main" (any case or Unicode spelling): the real name, not two Mains.
    assert shown_name(DEFAULT_ACCOUNT, (DEFAULT_ACCOUNT, "MAIN")) == DEFAULT_ACCOUNT
    assert shown_name(DEFAULT_ACCOUNT, (DEFAULT_ACCOUNT, "\uff2d\uff41\uff49\uff4e")) == (
        DEFAULT_ACCOUNT
    )


def test_names_that_differ_only_in_case_or_spelling_share_a_key() -> None:
    assert name_key("Work") == name_key("WORK")
    assert name_key("Caf\u00e9") == name_key("Cafe\u0301")
    assert name_key("Work") != name_key("Home")
