"""The badge decision (core, no drawing): what `BadgeSpec` a balance or a state becomes."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tray_app.core import fmt
from tray_app.core.badge import (
    GAUGE_STEPS,
    BadgeKind,
    BadgeSpec,
    badge_for_balance,
    state_badge,
)
from tray_app.core.levels import Level


@pytest.mark.parametrize(
    ("credits", "shown"),
    [(950, "950"), (12_480, "12.5k"), (30_050, "30.1k"), (30_000, "30k"), (1_234_000, "1.2M")],
)
def test_the_number_is_the_compact_form(credits: int, shown: str) -> None:
    spec = badge_for_balance(credits, 0.5, Level.OK)
    assert spec.kind is BadgeKind.LEVEL
    assert spec.text == shown == fmt.compact(credits)
    assert spec.level is Level.OK


def test_flags_choose_the_kind_and_keep_number_and_level() -> None:
    fresh = badge_for_balance(4200, 0.12, Level.LOW)
    stale = badge_for_balance(4200, 0.12, Level.LOW, stale=True)
    limited = badge_for_balance(4200, 0.12, Level.LOW, rate_limited=True)
    both = badge_for_balance(4200, 0.12, Level.LOW, stale=True, rate_limited=True)
    assert (stale.kind, limited.kind, both.kind) == (
        BadgeKind.STALE,
        BadgeKind.RATE_LIMITED,
        BadgeKind.RATE_LIMITED,  # the more specific reason wins
    )
    for spec in (stale, limited, both):
        assert (spec.text, spec.level, spec.fraction) == (fresh.text, fresh.level, fresh.fraction)
    assert len({fresh, stale, limited}) == 3


def test_specs_that_show_the_same_are_equal_and_hash_alike() -> None:
    # 30,050 and 30,060 credits both read "30.1k" with the same gauge: no redraw needed.
    a = badge_for_balance(30_050, 30_050 / 35_050, Level.OK)
    b = badge_for_balance(30_060, 30_060 / 35_050, Level.OK)
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    # A new number, a visibly different gauge or another level is a different badge.
    assert badge_for_balance(29_000, 29_000 / 35_050, Level.OK) != a
    assert badge_for_balance(30_050, 0.5, Level.OK) != a
    assert badge_for_balance(30_050, 30_050 / 35_050, Level.LOW) != a


def test_spec_is_frozen() -> None:
    spec = badge_for_balance(950, 0.1, Level.LOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.text = "1k"  # type: ignore[misc]


def test_gauge_extremes_keep_their_meaning() -> None:
    assert badge_for_balance(0, 0.0, Level.DEPLETED).fraction == 0.0
    assert badge_for_balance(35_050, 1.0, Level.OK).fraction == 1.0
    # One credit left of a million is not "empty"; one spent is not "full".
    assert 0 < (badge_for_balance(1, 1e-6, Level.CRITICAL).fraction or 0) < 1 / GAUGE_STEPS + 1e-9
    almost = badge_for_balance(999_999, 0.999999, Level.OK).fraction
    assert almost is not None
    assert 1 - 1 / GAUGE_STEPS - 1e-9 < almost < 1
    assert badge_for_balance(10, None, Level.OK).fraction is None


@given(
    credits=st.integers(min_value=0, max_value=10**12),
    fraction=st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
    level=st.sampled_from(Level),
    stale=st.booleans(),
    rate_limited=st.booleans(),
)
def test_any_balance_gives_a_valid_spec(
    credits: int, fraction: float | None, level: Level, stale: bool, rate_limited: bool
) -> None:
    spec = badge_for_balance(credits, fraction, level, stale=stale, rate_limited=rate_limited)
    assert spec.text == fmt.compact(credits)
    assert spec.level is level
    if fraction is None:
        assert spec.fraction is None
    else:
        assert spec.fraction is not None
        assert 0 <= spec.fraction <= 1
        assert abs(spec.fraction - fraction) <= 1 / GAUGE_STEPS
        assert (spec.fraction == 0) == (fraction == 0)
        assert (spec.fraction == 1) == (fraction == 1)


def test_out_of_range_fraction_is_clamped_by_the_factory_and_refused_by_the_spec() -> None:
    assert badge_for_balance(10, 1.5, Level.OK).fraction == 1.0
    assert badge_for_balance(10, -0.2, Level.OK).fraction == 0.0
    with pytest.raises(ValueError, match="fraction"):
        BadgeSpec(BadgeKind.LEVEL, Level.OK, "10", 1.5)
    with pytest.raises(ValueError, match="level"):
        BadgeSpec(BadgeKind.LEVEL, None, "10", 0.5)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (BadgeKind.NO_KEY, ""),
        (BadgeKind.KEY_REJECTED, "!"),
        (BadgeKind.STARTING, ""),
        (BadgeKind.STALE, "?"),
        (BadgeKind.RATE_LIMITED, "?"),
    ],
)
def test_state_badges_carry_no_number(kind: BadgeKind, text: str) -> None:
    spec = state_badge(kind)
    assert (spec.kind, spec.level, spec.text, spec.fraction) == (kind, None, text, None)
    assert spec == state_badge(kind)


def test_a_level_badge_needs_a_balance() -> None:
    with pytest.raises(ValueError, match="badge_for_balance"):
        state_badge(BadgeKind.LEVEL)
