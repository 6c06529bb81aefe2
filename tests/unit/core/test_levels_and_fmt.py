"""Thresholds, levels and the human formatting helpers."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tray_app.core import fmt
from tray_app.core.balance import Balance
from tray_app.core.levels import DEFAULT_THRESHOLDS, Level, Threshold, level_for, plain_digits


def balance(total_balance: float, total_amount: float = 10_000) -> Balance:
    return Balance(total_amount, total_balance, total_amount, total_balance, 0, 0, None)


@pytest.mark.parametrize(
    ("remaining", "level"),
    [
        (10_000, Level.OK),
        (2_000, Level.OK),
        (1_999, Level.LOW),
        (500, Level.LOW),
        (499, Level.CRITICAL),
        (1, Level.CRITICAL),
        (0, Level.DEPLETED),
    ],
)
def test_default_levels_are_20_and_5_percent(remaining: float, level: Level) -> None:
    assert level_for(balance(remaining), DEFAULT_THRESHOLDS) == level


def test_absolute_thresholds_mix_with_percentages() -> None:
    thresholds = (Threshold.parse("50%"), Threshold.parse(300))
    assert level_for(balance(6000), thresholds) == Level.OK
    assert level_for(balance(4000), thresholds) == Level.LOW
    assert level_for(balance(299), thresholds) == Level.CRITICAL


@pytest.mark.parametrize(
    ("text", "value", "is_percent"),
    [("20%", 20.0, True), (" 5 % ", 5.0, True), ("500", 500.0, False), (750, 750.0, False)],
)
def test_threshold_parsing(text: str | int, value: float, is_percent: bool) -> None:
    threshold = Threshold.parse(text)
    assert (threshold.value, threshold.is_percent) == (value, is_percent)


@pytest.mark.parametrize("text", ["", "abc", "120%", "0%", "-5", "5%%", True, -3])
def test_bad_thresholds_say_what_is_allowed(text: str | int) -> None:
    with pytest.raises(ValueError, match=r"%|credit|threshold|>= 0"):
        Threshold.parse(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (950, "950"),
        (1000, "1k"),
        (12_500, "12.5k"),
        (30_000, "30k"),
        (99_949, "99.9k"),
        (125_000, "125k"),
        (999_499, "999k"),
        (999_500, "1M"),
        (1_200_000, "1.2M"),
        (3_000_000_000, "3B"),
    ],
)
def test_compact_numbers_fit_a_badge(value: int, text: str) -> None:
    assert fmt.compact(value) == text
    assert len(fmt.compact(value)) <= 5


def test_numbers_are_written_as_people_read_them() -> None:
    assert fmt.credits(30050) == "30,050"
    assert fmt.credits(30050.0) == "30,050"
    assert fmt.credits(12.5) == "12.5"


@pytest.mark.parametrize(
    ("fraction", "text"), [(0.857, "86%"), (0.001, "<1%"), (0.995, "99%"), (1, "100%"), (0, "0%")]
)
def test_percent_never_rounds_to_a_lie(fraction: float, text: str) -> None:
    assert fmt.percent(fraction) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "5 s"), (150, "2 min"), (7200, "2 h"), (3 * 86400, "3 days"), (-4, "0 s")],
)
def test_durations(seconds: float, text: str) -> None:
    assert fmt.duration(seconds) == text


def test_dates_in_a_given_zone() -> None:
    utc = dt.timezone.utc
    assert fmt.date(1714521600, utc) == "1 May 2024"
    assert fmt.short_date(1714521600, utc) == "1 May"
    assert fmt.clock(1714521600 + 14 * 3600 + 120, utc) == "14:02"
    assert fmt.iso_utc(1714521600) == "2024-05-01T00:00:00Z"


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("uak_0123456789abcdefa1b2", "uak_…a1b2"),
        ("sk_live_0123456789zz99", "sk_…zz99"),
        ("plainsecretvalue1234", "…1234"),
        ("uak_short", "uak_…"),
        ("tiny", "…"),
    ],
)
def test_keys_are_masked(key: str, masked: str) -> None:
    assert fmt.mask_key(key) == masked


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_plain_digits_are_the_exact_decimal_expansion_of_the_repr(value: float) -> None:
    assert plain_digits(value) == format(decimal.Decimal(repr(value)), "f")


@pytest.mark.parametrize(
    ("threshold", "text"),
    [(Threshold(1e-05, True), "0.00001%"), (Threshold(1.5e-5, False), "0.000015")],
)
def test_thresholds_are_written_without_an_exponent(threshold: Threshold, text: str) -> None:
    assert str(threshold) == text
    assert Threshold.parse(text) == threshold
