"""The badge read back by OCR: every text-bearing style, every size a host asks for (16 px and
HiDPI 2x included), dark and light panels, a spread of balances and the stale and rejected
states. One tesseract process reads all ~380 badges (about 3 s); the sheets of every style are
saved under test-artifacts/badges/ to look at.

tesseract is a stricter reader than a person in two known ways, measured on these badges and
kept visible here rather than hidden: it never reads a lone "!" (psm 6, 7, 8 and 10 all tried),
and it drops the decimal point of "1.2M" even at 64 px where the point is 4 px wide. So the
rejected badge is checked to read as no number at all, and the numbers are held to an exact-match
floor per size, set just under what this design reaches (the previous design read nothing at
16 px). A percentage's "%" is a small superscript tesseract skips: its digits are compared.
"""

from __future__ import annotations

import shutil
from collections import defaultdict

import pytest

from tests.support.badge_sheet import (
    ARTIFACTS,
    SIZES,
    TEXT_STYLES,
    Shot,
    for_ocr,
    ocr,
    shots,
    write_sheets,
)
from tray_app.core.badge import BadgeStyle
from tray_app.tray.badge_palette import Panel

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract-ocr")

#: Per size (logical px x scale): share of that size's badges read exactly, set just under
#: what this design reaches (measured: 16 px 0.72, 20 px 0.89, 22 px 0.67, 24 px 0.78, 32-64 px
#: 0.89, 16@2x 0.86, 22@2x 0.86; the misses at 32-64 px are the "1.2M" read as "12M").
MIN_EXACT = {(16, 1): 0.65, (20, 1): 0.8, (22, 1): 0.6, (24, 1): 0.7, (16, 2): 0.8}
MIN_EXACT_OTHERS = 0.8
#: Over all sizes and styles.
MIN_EXACT_OVERALL = 0.78


@pytest.fixture(scope="module")
def readings() -> list[tuple[Shot, str]]:
    items = shots(TEXT_STYLES)
    texts = ocr([for_ocr(shot) for shot in items])
    return list(zip(items, texts, strict=True))


def numbers(readings: list[tuple[Shot, str]]) -> list[tuple[Shot, str]]:
    return [(shot, text) for shot, text in readings if shot.case.name != "rejected"]


def test_most_numbers_are_read_exactly_at_every_size(readings: list[tuple[Shot, str]]) -> None:
    exact: dict[tuple[int, int], list[bool]] = defaultdict(list)
    for shot, text in numbers(readings):
        exact[shot.size, shot.scale].append(shot.reading_of(text) == shot.expected_reading)
    assert set(exact) == set(SIZES)
    rates = {key: sum(hits) / len(hits) for key, hits in exact.items()}
    low = {
        key: round(rate, 2)
        for key, rate in rates.items()
        if rate < MIN_EXACT.get(key, MIN_EXACT_OTHERS)
    }
    assert not low, (low, rates)
    every = [hit for hits in exact.values() for hit in hits]
    assert sum(every) / len(every) >= MIN_EXACT_OVERALL


def test_every_style_is_read_at_16px(readings: list[tuple[Shot, str]]) -> None:
    # The size the issue started from: nothing at all was read from the old 16 px badge.
    for style in TEXT_STYLES:
        at16 = [
            shot.reading_of(text) == shot.expected_reading
            for shot, text in numbers(readings)
            if shot.style is style and (shot.size, shot.scale) == (16, 1)
        ]
        assert sum(at16) >= len(at16) / 2, style


def test_the_small_badges_show_the_short_number(readings: list[tuple[Shot, str]]) -> None:
    # "29k" at 16 and 20 px, "28.6k" from 22 px: the reading follows the design's choice.
    read = {(s.style, s.panel, s.case.name, s.size, s.scale): t for s, t in readings}
    for style in (BadgeStyle.NUMBER, BadgeStyle.MONOCHROME):
        for panel in Panel:
            assert read[style, panel, "950", 16, 1] == "950"
            assert read[style, panel, "12,500", 16, 1] == "13k"
            assert read[style, panel, "12,500", 20, 1] == "13k"
            assert read[style, panel, "28,550", 32, 1] == "28.6k"
            assert read[style, panel, "28,550", 16, 2] == "29k"


def test_a_rejected_key_never_reads_as_a_number(readings: list[tuple[Shot, str]]) -> None:
    rejected = [(shot.label, text) for shot, text in readings if shot.case.name == "rejected"]
    assert rejected
    assert not [(label, text) for label, text in rejected if any(c.isdigit() for c in text)]


def test_the_sheets_of_every_style_are_saved() -> None:
    paths = write_sheets()
    assert [p.name for p in paths] == [
        "badges-number.png",
        "badges-percent.png",
        "badges-monochrome.png",
        "badges-gauge.png",
    ]
    for path in paths:
        assert path.parent == ARTIFACTS
        assert path.stat().st_size > 10_000
