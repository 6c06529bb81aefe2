"""cli/argparse_language.py: argparse's words lent for a block, and given back, also when two
threads speak at once."""

from __future__ import annotations

import argparse
import threading
from typing import Any

from tray_app.cli.argparse_language import argparse_words, speaking
from tray_app.support.i18n import language_from_environ


def _words(tag: str) -> Any:
    words = argparse_words(language_from_environ({"LANG": f"{tag}.UTF-8"}))
    assert words is not None
    return words


def test_two_threads_never_leave_a_language_installed() -> None:
    module: Any = argparse
    english = module._
    german, french = _words("de_DE"), _words("fr_FR")
    german_in, french_in, german_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, str] = {}

    def speak_german() -> None:
        with speaking(german):
            german_in.set()
            # The other thread tries to speak French now; it must wait for this block.
            french_in.wait(timeout=0.5)
            seen["german block"] = module._("usage: ")
            german_out.set()  # the block's last step: the French one may start after it

    def speak_french() -> None:
        german_in.wait(timeout=10)
        with speaking(french):
            french_in.set()
            seen["german done first"] = str(german_out.is_set())
            german_out.wait(timeout=10)  # without the turns: leave after the German block
            seen["french block"] = module._("usage: ")

    threads = [threading.Thread(target=speak_german), threading.Thread(target=speak_french)]
    english_ngettext = module.ngettext
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        left = module._
    finally:  # a failure must not leave the other tests speaking German
        module._, module.ngettext = english, english_ngettext
    assert left is english  # argparse's own again, not the German
    assert seen["german block"] == german.gettext("usage: ")
    assert seen["french block"] == french.gettext("usage: ")
    assert seen["german done first"] == "True"


def test_nested_blocks_on_one_thread_restore_in_order() -> None:
    module: Any = argparse
    english = module._
    german = _words("de_DE")
    with speaking(german):
        with speaking(german):  # error() inside parse_args()
            assert module._("usage: ") == german.gettext("usage: ")
        assert module._("usage: ") == german.gettext("usage: ")
    assert module._ is english
