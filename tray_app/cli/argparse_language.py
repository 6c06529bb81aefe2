"""argparse's own words in the user's language: "usage:", "options:", "show this help message
and exit", "invalid choice: …", "the following arguments are required: …".

argparse words them with `_()` and `ngettext()` it imports from gettext at its top, in the
global "argparse" text domain, which no Python ships a translation for and which would want
compiled .mo files on disk. Our catalogs have an argparse.po per language instead (msgids
extracted from argparse.py by `make catalogs`), loaded like our own (support/i18n.py).

`TranslatedParser` lends argparse that catalog only while it is working for the parser: while
it builds the parser (titles and the -h help are worded in the constructor) and while it
parses, prints help or reports an error, and restores argparse's own functions after, so no
state outlives the call and English parsers elsewhere in the process are untouched. The CLI
parses once per process, on one thread; parsers used from threads take turns (one lock, held
for the whole block), so no thread can leave another's language installed.
A message argparse words differently in another Python version than the catalogs were
extracted from stays English (the catalogs follow the Python the project is built with).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gettext
import threading
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from tray_app.core.language import ENGLISH, Language


def argparse_words(lang: Language) -> gettext.NullTranslations | None:
    """argparse's catalog in `lang`, loaded once per parser tree (None: English)."""
    if lang is ENGLISH or lang.tag.split("_", 1)[0] == "en":
        return None
    from tray_app.support.i18n import argparse_catalog

    return argparse_catalog(lang)


class _Lending:
    """Who may swap argparse's functions: one thread at a time, for its whole block. Without
    it, thread B could save A's German functions as "argparse's own" and put them back after
    A restored the real ones. Re-entrant: a parser's error() runs inside its parse_args()."""

    lock = threading.RLock()


@contextlib.contextmanager
def speaking(words: gettext.NullTranslations | None) -> Iterator[None]:
    """argparse's module functions `_` and `ngettext` from `words` for the `with` block."""
    if words is None:
        yield
        return
    module: Any = argparse
    with _Lending.lock:
        saved = module._, module.ngettext
        module._, module.ngettext = words.gettext, words.ngettext
        try:
            yield
        finally:
            module._, module.ngettext = saved


class TranslatedParser(argparse.ArgumentParser):
    """An ArgumentParser whose argparse words are in `lang`; its sub-commands' parsers too
    (they share the loaded catalog, `words`)."""

    def __init__(
        self,
        *args: Any,
        lang: Language = ENGLISH,
        words: gettext.NullTranslations | None = None,
        **kwargs: Any,
    ) -> None:
        self.lang = lang
        self.words = words if words is not None else argparse_words(lang)
        with speaking(self.words):
            super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> Any:
        # The parser's own class, so a subclass's sub-commands are of that subclass too.
        kwargs.setdefault(
            "parser_class", functools.partial(type(self), lang=self.lang, words=self.words)
        )
        with speaking(self.words):
            return super().add_subparsers(**kwargs)

    def argparse_text(self, message: str) -> str:
        """One of argparse's own messages (an msgid of the argparse domain) in this parser's
        language, for the errors a subclass words itself."""
        return self.words.gettext(message) if self.words is not None else message

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> argparse.Namespace:
        with speaking(self.words):
            parsed: argparse.Namespace = super().parse_args(args, namespace)
        return parsed

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        with speaking(self.words):
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        with speaking(self.words):
            return super().format_usage()

    def format_help(self) -> str:
        with speaking(self.words):
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        with speaking(self.words):
            super().error(message)
