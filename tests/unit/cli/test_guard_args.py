"""`guard`'s option types: --max-age in s/m/h/d, --min and --min-percent in range."""

from __future__ import annotations

import argparse

import pytest

from tray_app.cli.guard_args import credits_needed, max_age, percent_needed


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("45", 45), ("1.5m", 90), ("0s", 0)],
)
def test_max_age_units(text: str, seconds: float) -> None:
    assert max_age(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "10 minutes", "-5s", "3w", "1e9", "nan", "400d"])
def test_max_age_refuses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="30s, 10m or 2h"):
        max_age(text)


def test_minimums() -> None:
    assert credits_needed("5000") == 5000
    assert percent_needed("20%") == 20
    for bad in ("-1", "nan", "inf", "lots", "1e16"):
        with pytest.raises(argparse.ArgumentTypeError):
            credits_needed(bad)
    for bad in ("101", "-1", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            percent_needed(bad)
