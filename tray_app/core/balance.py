"""The credits balance model and its strict parser.

`parse_balance` turns the decoded JSON of a 200 response into a frozen `Balance`, or raises
`BalanceFormatError` naming the first field that is wrong. The API promises seven numbers
(`resetAt` may be null); anything else is refused rather than guessed at, so the app never
shows a number the API did not send.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Number = int | float


def whole(value: float) -> Number:
    """A whole float as an int (SQLite and JSON hand numbers back as floats, and people and
    files should see "30050", not "30050.0"); anything else as it is."""
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return int(value)
    return value


def tenths(value: float) -> Number:
    """For people and CSV: whole numbers as ints, others rounded to one decimal."""
    return int(value) if float(value).is_integer() else round(value, 1)


#: API field name -> attribute name, in the order the API documents them.
API_FIELDS: tuple[tuple[str, str], ...] = (
    ("totalAmount", "total_amount"),
    ("totalBalance", "total_balance"),
    ("subscriptionAmount", "subscription_amount"),
    ("subscriptionBalance", "subscription_balance"),
    ("giftAmount", "gift_amount"),
    ("giftBalance", "gift_balance"),
    ("resetAt", "reset_at_ms"),
)

# resetAt sanity window, in milliseconds since the epoch: 2001-09-09 .. 2286-11-20.
# A value below the lower bound is almost certainly seconds, not milliseconds.
RESET_AT_MIN_MS = 1_000_000_000_000
RESET_AT_MAX_MS = 9_999_999_999_999
# Larger than any credit count a real account has, small enough to print and to add safely.
MAX_CREDITS = 10**15


class BalanceFormatError(ValueError):
    """The body was JSON but not a valid CreditBalance; `field` names what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Balance:
    """One CreditBalance as the API sent it (numbers kept as int or float, unchanged)."""

    total_amount: Number
    total_balance: Number
    subscription_amount: Number
    subscription_balance: Number
    gift_amount: Number
    gift_balance: Number
    reset_at_ms: int | None

    @property
    def reset_at_s(self) -> float | None:
        """`resetAt` as Unix seconds, or None when there is no scheduled reset."""
        return None if self.reset_at_ms is None else self.reset_at_ms / 1000

    @property
    def fraction_remaining(self) -> float | None:
        """Share of `totalAmount` still available, 0..1 (None when nothing was granted)."""
        if self.total_amount <= 0:
            return None
        return max(0.0, min(1.0, self.total_balance / self.total_amount))

    def to_api_dict(self) -> dict[str, Number | None]:
        """The seven fields under their API names, values unchanged."""
        return {api: getattr(self, attr) for api, attr in API_FIELDS}


def _credits(field: str, value: Any) -> Number:
    # bool is a subclass of int: refuse it explicitly, JSON true is not a number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BalanceFormatError(field, f"expected a number, got {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise BalanceFormatError(field, "expected a finite number, got NaN or Infinity")
    if value < 0:
        raise BalanceFormatError(field, f"expected a number >= 0, got {value}")
    if value > MAX_CREDITS:
        raise BalanceFormatError(field, f"implausibly large value {value}")
    return value


def _reset_at(value: Any) -> int | None:
    if value is None:
        return None
    number = _credits("resetAt", value)
    if isinstance(number, float):
        if not number.is_integer():
            raise BalanceFormatError("resetAt", "expected whole milliseconds")
        number = int(number)
    if number < RESET_AT_MIN_MS:
        raise BalanceFormatError(
            "resetAt", f"{number} is too small for Unix milliseconds (seconds sent by mistake?)"
        )
    if number > RESET_AT_MAX_MS:
        raise BalanceFormatError("resetAt", f"{number} is too far in the future")
    return number


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def parse_balance(data: Any) -> Balance:
    """Validate decoded JSON into a `Balance`; raise `BalanceFormatError` on any violation."""
    if not isinstance(data, dict):
        raise BalanceFormatError("body", f"expected a JSON object, got {_kind(data)}")
    for api_name, _ in API_FIELDS:
        if api_name not in data:
            raise BalanceFormatError(api_name, "missing")
    values: dict[str, Any] = {}
    for api_name, attr in API_FIELDS[:-1]:
        values[attr] = _credits(api_name, data[api_name])
    values["reset_at_ms"] = _reset_at(data["resetAt"])
    balance = Balance(**values)
    _check_consistency(balance)
    return balance


def _check_consistency(b: Balance) -> None:
    # A small tolerance: the API may round, and a monitor should not reject a real balance
    # over one credit. Anything larger means the body is not a balance we can trust.
    tolerance = 1
    if b.total_balance > b.total_amount + tolerance:
        raise BalanceFormatError("totalBalance", "is larger than totalAmount")
    if b.subscription_balance > b.subscription_amount + tolerance:
        raise BalanceFormatError("subscriptionBalance", "is larger than subscriptionAmount")
    if b.gift_balance > b.gift_amount + tolerance:
        raise BalanceFormatError("giftBalance", "is larger than giftAmount")
