"""The message catalogs: every language has every message of the template, translated, with
the same placeholders, and compiles. (That the template matches the source, and the catalogs
used end to end under LANG=de_DE.UTF-8 and fr_FR.UTF-8:
tests/scenarios/test_locale_end_to_end.py.)"""

from __future__ import annotations

import io
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from tests.conftest import REPO
from tray_app.support.i18n import (
    CATALOGS,
    DOMAIN,
    catalog_text,
    language_from_environ,
    load_catalog,
)

LOCALE_DIR = REPO / "tray_app" / "locale"
NNBSP = "\u202f"


def template() -> Catalog:
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as handle:
        return read_po(handle)


def catalog(language: str) -> Catalog:
    return read_po(io.StringIO(catalog_text(language)), locale=language, domain=DOMAIN)


def ids(cat: Catalog) -> set[str | tuple[str, ...]]:
    return {message.id for message in cat if message.id}


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", CATALOGS)
def test_every_catalog_has_every_message_translated(language: str) -> None:
    cat, pot = catalog(language), template()
    assert ids(cat) == ids(pot)
    for message in cat:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), f"{language}: untranslated {message.id!r}"
        if isinstance(message.id, tuple):
            assert len(forms) == cat.num_plurals, message.id


@pytest.mark.parametrize("language", CATALOGS)
def test_every_translation_has_the_same_placeholders(language: str) -> None:
    for message in catalog(language):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(placeholders(s) for s in sources))
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            # Formatting with every placeholder must work: no unknown name, no stray brace.
            assert placeholders(form) == wanted, (language, message.id, form)
            form.format(**dict.fromkeys(wanted, "x"))


@pytest.mark.parametrize("language", CATALOGS)
def test_every_catalog_compiles_and_translates(language: str) -> None:
    compiled = load_catalog(language)
    assert compiled is not None
    assert compiled.gettext("Refresh now") != "Refresh now"
    assert compiled.gettext("Quit") != "Quit"


def test_the_settings_row_named_in_the_tooltip_is_the_menu_row() -> None:
    # "open Settings… to add one": each language names its own menu row, word for word.
    for language in CATALOGS:
        lang = language_from_environ({"LANG": f"{language}.UTF-8"})
        settings_row = lang.gettext("Settings…")
        assert settings_row in lang.gettext("no API key set — open Settings… to add one")
        assert settings_row in lang.gettext("{label} — open Settings… to add one")
        # The notification without buttons names the menu's pause row the same way.
        pause_row = lang.gettext("Pause notifications")
        assert pause_row in lang.gettext("To snooze, use Pause in the tray menu.")


def test_german_durations_are_never_after_a_dative_preposition() -> None:
    # fmt.duration gives Babel's nominative "5 Tage"; "in 5 Tage", "seit 5 Tage" are wrong
    # (dative: "5 Tagen"), so the German catalog words around it ("noch 5 Tage").
    for message in catalog("de"):
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            words = [w for w in form.lower().split() if w not in {"etwa", "ungefähr"}]
            for index, word in enumerate(words[1:], start=1):
                if word.lstrip("~(").startswith("{duration}"):
                    assert words[index - 1].lstrip("(") not in {"in", "nach", "seit", "vor"}, form


def test_an_unreadable_catalog_falls_back_to_english(tmp_path: Path) -> None:
    assert load_catalog("xx") is None
