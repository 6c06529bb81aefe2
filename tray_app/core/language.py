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


class Message(str):
    """A sentence for a person, marked with `N_` where it is written, with {named} `values`:
    the string itself is the English (what the log gets, what `str()` and `%s` give), and
    `text(lang)` is the same sentence in the user's language. For warnings that are kept in
    lists and logged before anyone shows them (a file readable by others, no tray host).

    A value that is a Message or a Phrase is worded in the same language; a callable value is
    called with the language (a number in the locale's format)."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, /, **values: object) -> Message:
        self = super().__new__(cls, _filled(template, values, ENGLISH))
        self.template, self.values = template, values
        return self

    def text(self, lang: Language) -> str:
        return _filled(self.template, self.values, lang)


def _filled(template: str, values: dict[str, object], lang: Language) -> str:
    words = lang.gettext(template)
    if not values:
        return words  # as ConfigError: a template without values is not formatted
    return words.format(**{name: worded(value, lang) for name, value in values.items()})


def worded(value: object, lang: Language) -> object:
    """A message's value as shown in `lang`: Messages and Phrases translated, callables
    called with `lang`, anything else as it is."""
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, Phrase):
        return lang.gettext(value)
    if callable(value):
        return value(lang)
    return value
