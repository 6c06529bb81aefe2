"""Alert thresholds and the level of a balance (ok, low, critical, depleted).

A threshold is either a share of `totalAmount` ("20%") or an absolute number of credits
("500"). The highest threshold the balance is below decides nothing by itself; the level is:
depleted at 0, critical below the lowest threshold, low below any other, else ok.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass

from tray_app.core import fmt
from tray_app.core.balance import Balance, Number
from tray_app.core.language import N_, Language, Message

_THRESHOLD_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


class ThresholdError(ValueError):
    """A threshold that cannot be: `str()` is the English line (logs), `text(lang)` the line in
    the user's language (the config error, the Settings window's field)."""

    def __init__(self, message: str, **values: object) -> None:
        self.words = Message(message, **values)
        super().__init__(str(self.words))

    def text(self, lang: Language) -> str:
        return self.words.text(lang)


class Level(str, enum.Enum):
    OK = "ok"
    LOW = "low"
    CRITICAL = "critical"
    DEPLETED = "depleted"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Level.OK: 0, Level.LOW: 1, Level.CRITICAL: 2, Level.DEPLETED: 3}


@dataclass(frozen=True)
class Threshold:
    """A warning line: `value` percent of totalAmount, or `value` credits."""

    value: float
    is_percent: bool

    @classmethod
    def parse(cls, text: str | int | float) -> Threshold:
        """Parse "20%", "5 %", "500" or a number; raise ThresholdError saying what is allowed."""
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            # A TOML table or list where a threshold belongs, true or false.
            raise ThresholdError(
                N_('expected a percentage like "20%" or a number of credits like 500')
            )
        if isinstance(text, int | float):
            return cls(_credit_value(text), is_percent=False)
        match = _THRESHOLD_RE.match(text)
        if not match:
            raise ThresholdError(
                N_('{text} is not a threshold; use a percentage like "20%" or credits like 500'),
                text=repr(text),
            )
        is_percent = match.group(2) == "%"
        if not is_percent:
            return cls(_credit_value(float(match.group(1))), is_percent=False)
        value = float(match.group(1))
        if not 0 < value < 100:
            raise ThresholdError(
                N_("{text}: a percentage threshold must be between 0% and 100%"), text=repr(text)
            )
        return cls(value, is_percent)

    def credits(self, total_amount: Number) -> float:
        """The threshold in credits for an account granted `total_amount`."""
        return self.value * total_amount / 100 if self.is_percent else self.value

    def __str__(self) -> str:
        number = plain_digits(self.value)
        if "." in number:
            number = number.rstrip("0").rstrip(".")
        return f"{number}%" if self.is_percent else number


def plain_digits(value: float) -> str:
    """`value`'s shortest repr with the exponent written out ("1e-05" -> "0.00001"), exactly
    as `format(decimal.Decimal(repr(value)), "f")`: what Threshold.parse reads back.

    Not through `decimal`: this runs at every poll (the alert rules key thresholds by their
    text), and importing decimal costs the idle tray 0.4 MB (issue 9)."""
    text = repr(float(value))
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    sign = "-" if mantissa.startswith("-") else ""
    whole, _, fraction = mantissa.lstrip("-").partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent)  # where the decimal point goes in `digits`
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


#: Beyond any real account; also keeps a threshold finite (NaN or inf would silently turn
#: the warnings off or on for good).
MAX_CREDIT_THRESHOLD = 10**15


def _credit_value(value: float) -> float:
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number < 0 or number > MAX_CREDIT_THRESHOLD:
        raise ThresholdError(
            N_("a credit threshold must be a number from 0 to {maximum}, got {value}"),
            maximum=_max_credits_worded,
            value=str(value)[:40],
        )
    return number


def _max_credits_worded(lang: Language) -> str:
    return fmt.credits(MAX_CREDIT_THRESHOLD, lang)


DEFAULT_THRESHOLDS = (Threshold(20.0, is_percent=True), Threshold(5.0, is_percent=True))


def level_for(balance: Balance, thresholds: tuple[Threshold, ...]) -> Level:
    """The level of `balance` against `thresholds` (see the module docstring)."""
    if balance.total_balance <= 0:
        return Level.DEPLETED
    lines = sorted(t.credits(balance.total_amount) for t in thresholds)
    if not lines:
        return Level.OK
    if balance.total_balance < lines[0]:
        return Level.CRITICAL
    if any(balance.total_balance < line for line in lines):
        return Level.LOW
    return Level.OK
