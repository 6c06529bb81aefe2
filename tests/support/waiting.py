"""The one way tests wait for something to happen: poll a condition, never `sleep` a guess.

A fixed sleep is either too short on a loaded CI machine (a flaky test) or too long everywhere
else (a slow suite). `wait_until` returns as soon as the condition holds and gives up after
`timeout`, returning False so the test's own assert says what did not happen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_INTERVAL_S = 0.02


def wait_until(
    condition: Callable[[], T], timeout: float, interval: float = DEFAULT_INTERVAL_S
) -> T | None:
    """Poll `condition` until it returns something truthy (returned) or `timeout` passes
    (returns the last falsy value, or None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return value or None
        time.sleep(min(interval, remaining))
