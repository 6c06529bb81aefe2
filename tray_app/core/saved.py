"""Tolerant readers for values in saved JSON state: a wrong type gives None, never an error.

Saved state is read back after crashes, upgrades and hand edits; a field that is not what we
wrote is treated as absent, so restoring state can never stop the app from starting.
"""

from __future__ import annotations

import math
from typing import Any


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
