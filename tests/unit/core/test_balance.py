"""Strict parsing of the CreditBalance body."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tray_app.core.balance import Balance, BalanceFormatError, parse_balance

VALID: dict[str, Any] = {
    "totalAmount": 35050,
    "totalBalance": 30050,
    "subscriptionAmount": 35000,
    "subscriptionBalance": 30000,
    "giftAmount": 50,
    "giftBalance": 50,
    "resetAt": 1714521600000,
}


def with_(**changes: Any) -> dict[str, Any]:
    data = dict(VALID)
    data.update(changes)
    return data


def test_the_documented_example_parses_unchanged() -> None:
    balance = parse_balance(VALID)
    assert balance.total_balance == 30050
    assert balance.reset_at_ms == 1714521600000
    assert balance.reset_at_s == 1714521600.0
    assert balance.to_api_dict() == VALID


def test_null_reset_means_no_scheduled_reset() -> None:
    assert parse_balance(with_(resetAt=None)).reset_at_s is None


@pytest.mark.parametrize("field", list(VALID))
def test_every_field_is_required(field: str) -> None:
    data = dict(VALID)
    del data[field]
    with pytest.raises(BalanceFormatError) as info:
        parse_balance(data)
    assert info.value.field == field
    assert "missing" in str(info.value)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("30050", "a string"),
        (True, "a boolean"),
        (False, "a boolean"),
        ({"v": 1}, "an object"),
        ([1], "an array"),
        (None, "null"),
        (math.nan, "finite"),
        (math.inf, "finite"),
        (-1, ">= 0"),
        (10**16, "implausibly large"),
    ],
)
def test_balance_fields_must_be_finite_non_negative_numbers(value: Any, words: str) -> None:
    with pytest.raises(BalanceFormatError) as info:
        parse_balance(with_(totalBalance=value))
    assert info.value.field == "totalBalance"
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (1714521600, "seconds sent by mistake"),
        (0, "too small"),
        (99999999999999, "too far in the future"),
        (1714521600000.5, "whole milliseconds"),
        ("1714521600000", "a string"),
        (True, "a boolean"),
    ],
)
def test_reset_at_must_be_plausible_milliseconds(value: Any, words: str) -> None:
    with pytest.raises(BalanceFormatError) as info:
        parse_balance(with_(resetAt=value))
    assert info.value.field == "resetAt"
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"totalBalance": 40000}, "totalBalance"),
        ({"subscriptionBalance": 36000}, "subscriptionBalance"),
        ({"giftBalance": 51.5}, "giftBalance"),
    ],
)
def test_a_balance_above_its_amount_is_refused(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(BalanceFormatError) as info:
        parse_balance(with_(**changes))
    assert info.value.field == field


@pytest.mark.parametrize("body", [[], "x", 3, None, True])
def test_a_body_that_is_not_an_object_is_refused(body: Any) -> None:
    with pytest.raises(BalanceFormatError) as info:
        parse_balance(body)
    assert info.value.field == "body"


def test_extra_fields_are_ignored() -> None:
    assert parse_balance(with_(newField="x")).total_amount == 35050


def test_balance_is_frozen() -> None:
    balance = parse_balance(VALID)
    with pytest.raises(AttributeError):
        balance.total_balance = 1  # type: ignore[misc]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
field_values = json_values | st.integers(min_value=0, max_value=10**7)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*VALID, "other"]), field_values) | json_values)
def test_arbitrary_json_never_crashes_the_parser(data: Any) -> None:
    try:
        balance = parse_balance(data)
    except BalanceFormatError as exc:
        assert exc.field  # noqa: PT017 - a property over many inputs, not one expected raise
    else:
        # Anything accepted is exactly what was sent.
        assert balance.to_api_dict() == {k: data[k] for k in VALID}


amounts = st.integers(min_value=0, max_value=10**9)


@st.composite
def valid_bodies(draw: st.DrawFn) -> dict[str, Any]:
    sub_amount = draw(amounts)
    gift_amount = draw(amounts)
    sub_balance = draw(st.integers(min_value=0, max_value=sub_amount))
    gift_balance = draw(st.integers(min_value=0, max_value=gift_amount))
    return {
        "totalAmount": sub_amount + gift_amount,
        "totalBalance": sub_balance + gift_balance,
        "subscriptionAmount": sub_amount,
        "subscriptionBalance": sub_balance,
        "giftAmount": gift_amount,
        "giftBalance": gift_balance,
        "resetAt": draw(
            st.none() | st.integers(min_value=1_000_000_000_000, max_value=9_999_999_999_999)
        ),
    }


@settings(max_examples=300, deadline=None)
@given(valid_bodies())
def test_valid_bodies_round_trip_through_json(body: dict[str, Any]) -> None:
    balance = parse_balance(json.loads(json.dumps(body)))
    assert isinstance(balance, Balance)
    assert balance.to_api_dict() == body
    assert parse_balance(balance.to_api_dict()) == balance
