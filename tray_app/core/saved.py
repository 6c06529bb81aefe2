"""Tolerant readers for values in saved JSON state: a wrong type gives None, never an error.

Saved state is read back after crashes, upgrades and hand edits; a field that is not what we
wrote is treated as absent, so restoring state can never stop the app from starting.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

N = TypeVar("N", int, float)


def opt_float(value: Any) -> float | None:
    """A finite number as float, else None (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def opt_int(value: Any) -> int | None:
    """A whole number as int (2.0 counts), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


def int_tuple(value: Any) -> tuple[int, ...]:
    """The whole numbers of a list (other items dropped), else ()."""
    if not isinstance(value, list):
        return ()
    return tuple(n for n in (opt_int(item) for item in value) if n is not None)


def str_tuple(value: Any) -> tuple[str, ...]:
    """The strings of a list (other items dropped), else ()."""
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def opt_pair(value: Any, read: Callable[[Any], N | None]) -> tuple[N, N] | None:
    """A two-item list whose items both `read` accepts, as a pair, else None."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    first, second = read(value[0]), read(value[1])
    return None if first is None or second is None else (first, second)
