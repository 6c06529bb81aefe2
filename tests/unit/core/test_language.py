"""`Message`: English as a string (what the log gets), the user's language through text()."""

from __future__ import annotations

import logging

import pytest

from tray_app.core.language import ENGLISH, N_, Message, Phrase
from tray_app.support.i18n import language_for


def test_a_message_is_english_as_a_string_and_german_through_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    german = language_for("de_DE")
    inner = Message(N_("no graphical session (DISPLAY is not set)"))
    message = Message(N_("{problem}; the icon appears when a panel starts"), problem=inner)
    assert (
        message == "no graphical session (DISPLAY is not set); the icon appears when a panel starts"
    )
    assert message.text(ENGLISH) == message
    assert message.text(german) == (
        "keine grafische Sitzung (DISPLAY ist nicht gesetzt); das Symbol erscheint, sobald eine "
        "Leiste startet"
    )
    with caplog.at_level(logging.WARNING):
        logging.getLogger("test").warning("%s", message)
    assert caplog.records[0].getMessage() == str(message)  # the log stays English


def test_values_are_worded_in_the_same_language() -> None:
    german = language_for("de_DE")
    message = Message(
        N_(
            "{why_not}, so the key is stored in {path} "
            "(readable only by you, but less safe than a keyring)"
        ),
        why_not=Phrase(N_("the OS keyring did not answer")),
        path="/k",
    )
    assert message.startswith("the OS keyring did not answer, so")
    assert message.text(german).startswith(
        "der Schlüsselbund des Systems hat nicht geantwortet, daher"
    )
    counted = Message(N_("and {count} more"), count=lambda lang: "drei" if lang is german else "3")
    assert (counted, counted.text(german)) == ("and 3 more", "und drei weitere")
