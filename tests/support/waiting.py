"""The one way tests wait for something to happen: poll a condition, never `sleep` a guess.

A fixed sleep is either too short on a loaded CI machine (a flaky test) or too long everywhere
else (a slow suite). `poll_until` returns as soon as the condition holds and raises
`WaitTimeout` naming what did not happen. `stays_false` is its mirror for "this must NOT
happen for a while" (no request while a key is rejected): it still polls, so it fails the
moment the thing happens instead of after the whole wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_INTERVAL_S = 0.02


class WaitTimeout(TimeoutError):
    """A wait's deadline passed."""


def poll_until(
    check: Callable[[], T | None],
    timeout: float,
    what: str,
    *,
    alive: Callable[[], str | None] | None = None,
    interval: float = DEFAULT_INTERVAL_S,
) -> T:
    """Call `check` until it returns something truthy (returned); raise WaitTimeout naming
    `what` at the deadline.

    `alive` returns an error text when the thing being waited for has died, which ends the
    wait at once instead of at the deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if alive is not None and (death := alive()):
            raise WaitTimeout(f"{what}: {death}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"{what}: not within {timeout:.1f} s")
        time.sleep(min(interval, remaining))


def stays_false(check: Callable[[], object], duration: float, what: str) -> None:
    """Poll `check` for `duration` seconds; raise AssertionError naming `what` if it holds."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if check():
            raise AssertionError(f"{what} happened")
        time.sleep(DEFAULT_INTERVAL_S)
