"""Readers for the fields of the simulator's control JSON: each raises a ValueError that says
which field is wrong and how, which the control API turns into a 400."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

_MISSING: Any = object()


def number_field(data: Mapping[str, Any], name: str, default: Any = _MISSING) -> float:
    value = data.get(name, default)
    if value is _MISSING:
        raise ValueError(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number")
    return float(value)


def integer_field(data: Mapping[str, Any], name: str, default: Any = _MISSING) -> int:
    value = data.get(name, default)
    if value is _MISSING:
        raise ValueError(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number")
    return value


def string_field(data: Mapping[str, Any], name: str, default: Any = _MISSING) -> str:
    value = data.get(name, default)
    if value is _MISSING:
        raise ValueError(f"{name} is required")
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def boolean_field(data: Mapping[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def check_credits(credits: int) -> int:
    if isinstance(credits, bool) or not isinstance(credits, int) or credits < 0:
        raise ValueError("credits must be a whole number >= 0")
    return credits
