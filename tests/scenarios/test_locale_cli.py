"""The command line in German end to end (a child process under LANG=de_DE.UTF-8): every line
of `doctor` against the simulated Lensmor server, `--help` with argparse's own words, a usage
error, and a config error's detail. Each is compared with the English output line by line: no
line with words in it may come out the same."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.conftest import Home, run_cli
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer

GERMAN = {"LANG": "de_DE.UTF-8"}
ENGLISH = {"LANG": "C.UTF-8"}


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as srv:
        yield srv


def words(line: str) -> str:
    """The words of a line: no paths, URLs, numbers, marks, option names or metavars, none of
    which are translated."""
    line = re.sub(r"(https?://|/)\S*", " ", line)
    line = re.sub(r"`[^`]*`", " ", line)  # commands to run
    line = re.sub(r"(?<!\w)-{1,2}[\w-]+|\b[A-Z]{2,}\b|[\d.,:;()✓✗⚠→\[\]|]+", " ", line)
    return " ".join(line.split())


def untranslated(english: list[str], german: list[str]) -> list[str]:
    """English lines (with at least two words) that come out the same in German."""
    assert len(english) == len(german), (english, german)
    return [
        en
        for en, de in zip(english, german, strict=True)
        if len(words(en).split()) >= 2 and words(en) == words(de)
    ]


def test_doctor_speaks_german_on_every_line(home: Home, server: SimulatedLensmorServer) -> None:
    env = {"LENSMOR_BASE_URL": server.url, "LENSMOR_API_KEY": DEMO_KEY}
    english = run_cli(home, "doctor", env={**env, **ENGLISH})
    german = run_cli(home, "doctor", env={**env, **GERMAN})
    assert german.code == english.code
    en_lines, de_lines = english.out.splitlines(), german.out.splitlines()
    assert len(en_lines) >= 10, english.out
    assert untranslated(en_lines, de_lines) == [], german.out
    # The check names and a few of the words, in German.
    names = [line.split(":", 1)[0] for line in de_lines]
    assert "✓ Konfiguration" in names, german.out
    assert "✓ Schlüssel angenommen" in names, german.out
    assert "✓ Dateien" in names, german.out
    assert "die API hat den Schlüssel angenommen" in german.out
    # --json stays English for programs, whatever the language.
    as_json = run_cli(home, "doctor", "--json", env={**env, **GERMAN})
    assert '"name": "key accepted"' in as_json.out
    assert "the API accepted the key" in as_json.out


def test_help_and_usage_errors_speak_german(home: Home) -> None:
    for args in (("--help",), ("history", "--help"), ("account", "add", "--help")):
        english = run_cli(home, *args, env=ENGLISH)
        german = run_cli(home, *args, env=GERMAN)
        assert german.code == 0, german.err
        # Wrapped at other places: compare the words of the whole text, section by section.
        en_sections = english.out.split("\n\n")
        de_sections = german.out.split("\n\n")
        assert untranslated(en_sections, de_sections) == [], german.out
        assert german.out.startswith("Aufruf: lensmor-tray"), german.out
        assert "Optionen:" in german.out
        assert "diese Hilfe anzeigen und beenden" in german.out
    wrong = run_cli(home, "status", "--format", "x", env=GERMAN)
    assert wrong.code == 2
    assert "lensmor-tray status: Fehler: Argument --format: ungültige Auswahl: 'x'" in wrong.err


@pytest.mark.parametrize(
    ("config", "english_words", "german_words"),
    [
        (
            "poll_interval = 5\n",
            "must be from 30 to 86400 seconds",
            "zwischen 30 und 86400 Sekunden",
        ),
        (
            "[alerts]\nbogus = 1\n",
            "unknown key 'alerts.bogus'",
            "unbekannter Schlüssel 'alerts.bogus'",
        ),
        ('[[accounts]]\nname = " x"\n', "starts or ends with spaces", "beginnt oder endet mit"),
    ],
)
def test_a_config_errors_detail_speaks_german(
    home: Home, config: str, english_words: str, german_words: str
) -> None:
    home.write_config(config)
    english = run_cli(home, "status", env=ENGLISH)
    german = run_cli(home, "status", env=GERMAN)
    assert english.code == german.code == 2
    assert english_words in english.err
    assert german_words in german.err, german.err
    assert german.err.startswith("lensmor-tray: Konfigurationsfehler"), german.err
    assert untranslated(english.err.splitlines(), german.err.splitlines()) == []
