"""The user's language: translated messages and the locale's number, date and duration formats.

A `Language` is made once at start from the environment
(`tray_app.support.i18n.language_from_environ`, called by the app and the CLI) and passed
down to whatever writes text for people; nothing is installed globally (no
`gettext.install`, no module state), so two languages can be used side by side (the tests
do) and the core stays a set of pure functions.

`ENGLISH` is the default everywhere: the messages as written in the source and the built-in
formats of `core.fmt` ("30,050", "1 Dec 2026", "12 min"), exactly as before translations
existed. Any other locale formats through Babel with its CLDR data, which the wiring loads
before handing the `Language` over (so formatting here reads no files).
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale


@dataclass(frozen=True)
class Language:
    """`tag` is the locale as parsed from the environment ("de_DE", "fr", "en");
    `translations` its message catalog; `locale` the Babel locale for numbers and dates (None:
    the built-in English formats)."""

    tag: str = "en"
    translations: gettext.NullTranslations = field(
        default_factory=gettext.NullTranslations, compare=False, repr=False
    )
    locale: Locale | None = field(default=None, compare=False, repr=False)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)


#: The source language with the built-in formats; the default of every `lang` parameter.
ENGLISH = Language()


class Phrase(str):
    """Words marked with `N_` that go into another message as a value (a unit, a cause):
    the error that carries them words them in the language it is shown in."""


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it (translated where it is shown)."""
    return message
