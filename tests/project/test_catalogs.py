"""The message catalogs, ours and argparse's: every language has every message of the template,
translated (no empty and no fuzzy entry), with the same placeholders ({name}, %s, %(name)s),
and compiles. (That the template matches the source, and the catalogs
used end to end under LANG=de_DE.UTF-8 and fr_FR.UTF-8:
tests/scenarios/test_locale_end_to_end.py.)"""

from __future__ import annotations

import io
import re
import string
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from tests.conftest import REPO
from tray_app.support.i18n import (
    ARGPARSE_DOMAIN,
    CATALOGS,
    DOMAIN,
    DOMAINS,
    catalog_text,
    language_from_environ,
    load_catalog,
)

LOCALE_DIR = REPO / "tray_app" / "locale"
NNBSP = "\u202f"


#: %s, %d, %r, %(name)s ... as Python's %-formatting reads them ("%%" is a literal %). Not
#: "% o" ("5% or", in a message that is never %-formatted): no space flag, no octal.
PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[-#0+]*\d*(?:\.\d+)?(?P<kind>[sdrifxXeEgGc%])")
EVERY = [(language, domain) for domain in DOMAINS for language in CATALOGS]


def template(domain: str = DOMAIN) -> Catalog:
    with (LOCALE_DIR / f"{domain}.pot").open("rb") as handle:
        return read_po(handle)


def catalog(language: str, domain: str = DOMAIN) -> Catalog:
    return read_po(io.StringIO(catalog_text(language, domain)), locale=language, domain=domain)


def ids(cat: Catalog) -> set[str | tuple[str, ...]]:
    return {message.id for message in cat if message.id}


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def percent_placeholders(text: str) -> tuple[list[str], set[str]]:
    """The unnamed ones in order ("%s", "%r"), the named ones ("%(prog)s")."""
    unnamed, named = [], set()
    for match in PERCENT.finditer(text):
        if match["kind"] == "%":
            continue
        if match["name"] is None:
            unnamed.append(match.group(0))
        else:
            named.add(match.group(0))
    return unnamed, named


def test_percent_placeholders_are_read_as_python_reads_them() -> None:
    assert percent_placeholders("%(prog)s: %s and %r, 100%%") == (["%s", "%r"], {"%(prog)s"})
    assert percent_placeholders("%(prog)s: %r") != percent_placeholders("%(prog)s: %s")
    assert percent_placeholders("e.g. 20%, 5% or 1000") == ([], set())


@pytest.mark.parametrize(("language", "domain"), EVERY)
def test_every_catalog_has_every_message_translated(language: str, domain: str) -> None:
    cat, pot = catalog(language, domain), template(domain)
    assert ids(cat) == ids(pot)
    for message in cat:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), f"{language}: untranslated {message.id!r}"
        if isinstance(message.id, tuple):
            assert len(forms) == cat.num_plurals, message.id


@pytest.mark.parametrize(("language", "domain"), EVERY)
def test_every_translation_has_the_same_placeholders(language: str, domain: str) -> None:
    for message in catalog(language, domain):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if domain == ARGPARSE_DOMAIN:  # %-formatted by argparse
            # Every form has the singular's placeholders (a plural's form for n = 1 too).
            wanted_percent = percent_placeholders(sources[-1])
            for form in forms:
                assert percent_placeholders(form) == wanted_percent, (language, message.id, form)
            continue
        wanted = set().union(*(placeholders(s) for s in sources))
        wanted_percent = percent_placeholders(sources[0])
        for form in forms:
            # Formatting with every placeholder must work: no unknown name, no stray brace.
            assert placeholders(form) == wanted, (language, message.id, form)
            form.format(**dict.fromkeys(wanted, "x"))
            assert percent_placeholders(form) == wanted_percent, (language, message.id, form)


@pytest.mark.parametrize("language", CATALOGS)
def test_every_catalog_compiles_and_translates(language: str) -> None:
    compiled = load_catalog(language)
    assert compiled is not None
    assert compiled.gettext("Refresh now") != "Refresh now"
    assert compiled.gettext("Quit") != "Quit"
    words = load_catalog(language, ARGPARSE_DOMAIN)
    assert words is not None
    assert words.gettext("usage: ") != "usage: "
    assert words.gettext("usage: ").endswith(" ")  # argparse writes the synopsis right after


def test_the_argparse_template_holds_argparses_messages() -> None:
    # `make catalogs` extracts them from the argparse.py of the Python it runs on and records
    # that Python's version as the template's ("argparse 3.11"). On that Python the template
    # must hold every message; another Python's argparse words some differently or has more
    # (3.13's deprecation warnings), which stay English there (cli/argparse_language.py), so
    # there only the words every argparse has must be in it. (That the template's messages are
    # all translated: test_every_catalog_has_every_message_translated.)
    import argparse

    from babel.messages.extract import extract_from_file

    found = {
        message if isinstance(message, str) else tuple(message)
        for _line, message, _comments, _context in extract_from_file(
            "python", argparse.__file__, keywords={"_": None, "ngettext": (1, 2)}
        )
    }
    pot = template(ARGPARSE_DOMAIN)
    in_template = {m if isinstance(m, str) else tuple(m) for m in ids(pot)}
    assert re.fullmatch(r"3\.\d+", pot.version or ""), "run `make catalogs`: no Python version"
    if pot.version == "{}.{}".format(*sys.version_info[:2]):
        missing = found - in_template
        assert not missing, (
            f"run `make catalogs`: argparse has messages the template lacks: {missing}"
        )
    else:
        assert {"usage: ", "the following arguments are required: %s"} <= found & in_template


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
