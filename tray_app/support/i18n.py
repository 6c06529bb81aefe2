"""Make the user's `Language` from the environment: message catalog and Babel locale.

The locale comes from LC_ALL, then LC_MESSAGES, then LANG (the POSIX order; the first that is
set and not empty wins), e.g. "de_DE.UTF-8" -> German messages and German numbers. "C",
"POSIX", English and anything Babel does not know give `ENGLISH` (the source messages and the
built-in formats). A known locale without a catalog (say it_IT) gets English messages with its
own number and date formats. Windows and macOS GUI sessions often set none of these: English.

Catalogs are the .po files under tray_app/locale/<lang>/LC_MESSAGES/lensmor-tray.po (and
argparse.po beside it: argparse's own words, "usage:", "options", its error lines, which the
CLI's parser speaks through `argparse_catalog`, cli/argparse_language.py), the only
form kept in the repository and shipped; they are compiled in memory when loaded (Babel's
read_po + write_mo, a few milliseconds), so there is no build step and no binary to go stale.

To update them after changing messages in the source: `make catalogs` (pybabel, which comes
with Babel, extracts `_()`, `N_()` and `ngettext()` calls into tray_app/locale/lensmor-tray.pot
and merges it into each .po), then translate the new or fuzzy entries;
tests/project/test_catalogs.py checks that every catalog has every message with the same
placeholders.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tray_app.core.language import ENGLISH, Language

if TYPE_CHECKING:
    import logging


def _log() -> logging.Logger:
    # logging is imported when there is something to log: `status --cached` in English
    # (tray_app/cli/fast_status.py) needs this module but not logging.
    import logging

    return logging.getLogger(__name__)


DOMAIN = "lensmor-tray"
#: argparse's gettext domain: its messages ("usage: ", "invalid choice: %(value)r ..."),
#: translated in our catalogs since Python ships none.
ARGPARSE_DOMAIN = "argparse"
DOMAINS = (DOMAIN, ARGPARSE_DOMAIN)
#: Languages with a message catalog besides English.
CATALOGS = ("de", "fr", "es", "ja")
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def locale_tag(environ: Mapping[str, str]) -> str | None:
    """ "de_DE.UTF-8@euro" -> "de_DE"; None for unset, "C" and "POSIX"."""
    for name in _LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            break
    else:
        return None
    tag = value.split(".", 1)[0].split("@", 1)[0]
    if tag in ("C", "POSIX") or not tag:
        return None
    return tag


def language_from_environ(environ: Mapping[str, str]) -> Language:
    """The `Language` the environment asks for; `ENGLISH` when it asks for nothing we have."""
    tag = locale_tag(environ)
    if tag is None or tag.split("_", 1)[0].lower() == "en":
        return ENGLISH  # without importing Babel: English start-ups do not pay for it
    return language_for(tag)


def language_for(tag: str) -> Language:
    """The `Language` for a locale tag like "de_DE", "fr" or "pt_BR"."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        _log().debug("unknown locale %r: English", tag)
        return ENGLISH
    if locale.language == "en":
        return ENGLISH
    # Load the CLDR data now, here in the wiring, so that formatting in the core reads no file.
    locale.number_symbols  # noqa: B018
    locale.unit_display_names  # noqa: B018
    translations = load_catalog(locale.language) if locale.language in CATALOGS else None
    return Language(
        tag=str(locale),
        translations=translations or gettext.NullTranslations(),
        locale=locale,
    )


def argparse_catalog(lang: Language) -> gettext.NullTranslations:
    """argparse's messages in `lang` (English: none to load)."""
    language = lang.tag.split("_", 1)[0]
    if language not in CATALOGS:
        return gettext.NullTranslations()
    return load_catalog(language, ARGPARSE_DOMAIN) or gettext.NullTranslations()


def catalog_text(language: str, domain: str = DOMAIN) -> str:
    """The .po source of `language`'s catalog of `domain`."""
    from importlib import resources  # 13 ms: only non-English starts read a catalog

    path = resources.files("tray_app") / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
    return path.read_text(encoding="utf-8")


def load_catalog(language: str, domain: str = DOMAIN) -> gettext.GNUTranslations | None:
    """`language`'s catalog of `domain` compiled in memory, or None (logged) when it cannot
    be read."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    try:
        text = catalog_text(language, domain)
        catalog = read_po(io.StringIO(text), locale=language, domain=domain)
    except (OSError, ValueError) as exc:
        _log().warning("the %s message catalog cannot be read (%s); using English", language, exc)
        return None
    buffer = io.BytesIO()
    # Fuzzy entries (unreviewed after a source change) are left out: English is shown instead.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
