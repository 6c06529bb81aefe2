"""The user's language from the environment, and numbers, dates and durations in its format
(real Babel and CLDR data; English keeps the built-in formats byte for byte)."""

from __future__ import annotations

import datetime as dt

import pytest

from tray_app.core import fmt
from tray_app.core.language import ENGLISH, Language
from tray_app.support.i18n import CATALOGS, language_for, language_from_environ, locale_tag

NNBSP = "\u202f"  # narrow no-break space: French digit groups
NBSP = "\u00a0"
UTC = dt.timezone.utc
DEC_1_2026_14_02 = dt.datetime(2026, 12, 1, 14, 2, tzinfo=UTC).timestamp()

GERMAN = {"LANG": "de_DE.UTF-8"}
FRENCH = {"LANG": "fr_FR.UTF-8"}


@pytest.mark.parametrize(
    ("environ", "tag"),
    [
        ({}, None),
        ({"LANG": "C"}, None),
        ({"LANG": "POSIX"}, None),
        ({"LANG": "C.UTF-8"}, None),
        ({"LANG": "de_DE.UTF-8"}, "de_DE"),
        ({"LANG": "fr_FR.UTF-8@euro"}, "fr_FR"),
        ({"LANG": "de_DE.UTF-8", "LC_MESSAGES": "es_ES.UTF-8"}, "es_ES"),
        ({"LANG": "de_DE", "LC_MESSAGES": "es_ES", "LC_ALL": "ja_JP.UTF-8"}, "ja_JP"),
        ({"LANG": "de_DE", "LC_ALL": ""}, "de_DE"),  # empty means unset, as POSIX says
    ],
)
def test_the_locale_comes_from_lc_all_then_lc_messages_then_lang(
    environ: dict[str, str], tag: str | None
) -> None:
    assert locale_tag(environ) == tag


def test_english_and_unknown_locales_are_the_built_in_english() -> None:
    for environ in ({}, {"LANG": "en_US.UTF-8"}, {"LANG": "en_GB"}, {"LANG": "xx_YY.UTF-8"}):
        assert language_from_environ(environ) is ENGLISH
    assert ENGLISH.gettext("Refresh now") == "Refresh now"


def test_each_catalog_language_gets_its_catalog_and_locale() -> None:
    for code in CATALOGS:
        lang = language_for(code)
        assert lang.locale is not None
        assert lang.locale.language == code
        assert lang.tag.startswith(code)
    # A locale without a catalog still formats numbers its way, with English words.
    italian = language_from_environ({"LANG": "it_IT.UTF-8"})
    assert fmt.credits(30_050, italian) == "30.050"
    assert italian.gettext("Refresh now") == "Refresh now"


def test_english_formats_are_unchanged() -> None:
    assert fmt.credits(30_050) == fmt.credits(30_050, ENGLISH) == "30,050"
    assert fmt.credits(12.5) == "12.5"
    assert fmt.percent(0.857) == "86%"
    assert fmt.percent(0.001) == "<1%"
    assert [fmt.duration(s) for s in (45, 720, 3 * 3600, 5 * 86400)] == [
        "45 s",
        "12 min",
        "3 h",
        "5 days",
    ]
    assert fmt.date(DEC_1_2026_14_02, UTC) == "1 Dec 2026"
    assert fmt.short_date(DEC_1_2026_14_02, UTC) == "1 Dec"
    assert fmt.clock(DEC_1_2026_14_02, UTC) == "14:02"


def test_german_numbers_dates_and_durations() -> None:
    de = language_from_environ(GERMAN)
    assert fmt.credits(30_050, de) == "30.050"
    assert fmt.credits(1_234_567, de) == "1.234.567"
    assert fmt.credits(12.5, de) == "12,5"
    assert fmt.percent(0.857, de) == f"86{NBSP}%"
    assert fmt.percent(0.001, de) == f"<1{NBSP}%"
    assert fmt.duration(720, de) == "12 Min."
    assert fmt.duration(5 * 86400, de) == "5 Tage"
    assert fmt.date(DEC_1_2026_14_02, UTC, de) == "01.12.2026"
    assert fmt.short_date(DEC_1_2026_14_02, UTC, de) == "1. Dez."
    assert fmt.clock(DEC_1_2026_14_02, UTC, de) == "14:02"


def test_french_numbers_use_the_narrow_no_break_space() -> None:
    fr = language_from_environ(FRENCH)
    assert fmt.credits(30_050, fr) == f"30{NNBSP}050"
    assert fmt.credits(12.5, fr) == "12,5"
    assert fmt.percent(0.857, fr) == f"86{NBSP}%"
    assert fmt.duration(5 * 86400, fr) == f"5{NBSP}jours"
    assert fmt.date(DEC_1_2026_14_02, UTC, fr) == "1 déc. 2026"
    assert fmt.short_date(DEC_1_2026_14_02, UTC, fr) == "1 déc."


def test_spanish_and_japanese() -> None:
    es = language_for("es_ES")
    ja = language_for("ja_JP")
    assert fmt.credits(30_050, es) == "30.050"
    assert fmt.duration(5 * 86400, es) == "5 días"
    assert fmt.credits(30_050, ja) == "30,050"
    assert fmt.duration(720, ja) == "12 分"
    assert fmt.short_date(DEC_1_2026_14_02, UTC, ja) == "12月1日"


def test_machine_formats_ignore_the_language() -> None:
    # ISO timestamps and the badge's compact number are the same in every language.
    assert fmt.iso_utc(DEC_1_2026_14_02) == "2026-12-01T14:02:00Z"
    assert fmt.compact(28_550) == "28.6k"


def test_languages_compare_by_tag_and_need_no_global_state() -> None:
    # Two languages side by side in one process: nothing is installed globally.
    de, fr = language_for("de_DE"), language_for("fr_FR")
    assert (fmt.credits(30_050, de), fmt.credits(30_050, fr)) == ("30.050", f"30{NNBSP}050")
    assert language_for("de_DE") == de
    assert Language() == ENGLISH
