"""The Settings window's Save in the user's language: what the key store says about where the
key went, and a key that cannot be stored (KeyStoreFailed), worded in German."""

from __future__ import annotations

from pathlib import Path

from tray_app.config.model import Settings
from tray_app.keys.key_store import KeyStore
from tray_app.support.i18n import language_from_environ
from tray_app.windows.settings_actions import save_form

KEY = "uak_" + "s" * 40
GERMAN = language_from_environ({"LANG": "de_DE.UTF-8"})


def file_store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "api-key", environ={}, use_keyring=False)


def test_the_key_stores_warning_is_german(tmp_path: Path) -> None:
    outcome = save_form(
        tmp_path / "config.toml", Settings(), KEY, file_store(tmp_path), lang=GERMAN
    )
    assert outcome.saved
    assert outcome.error is None
    assert outcome.warnings == (
        f"Kein Schlüsselbund des Systems ist verfügbar, daher ist der Schlüssel in "
        f"{tmp_path / 'api-key'} gespeichert (nur für Sie lesbar, aber weniger sicher als ein "
        "Schlüsselbund)",
    )


def test_a_key_that_cannot_be_stored_is_said_in_german(tmp_path: Path) -> None:
    (tmp_path / "api-key").mkdir()
    outcome = save_form(
        tmp_path / "config.toml", Settings(), KEY, file_store(tmp_path), lang=GERMAN
    )
    assert outcome.saved  # the settings were
    assert outcome.error == GERMAN.gettext(
        "Settings saved, but the key could not be stored: {reason}"
    ).format(
        reason=f"die Schlüsseldatei {tmp_path / 'api-key'} ist ein Ordner; verschieben Sie "
        "ihn und speichern Sie den Schlüssel dann erneut"
    )
