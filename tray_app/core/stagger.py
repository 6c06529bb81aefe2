"""Keep the polls of several accounts apart (issue 12), as a pure function.

Each account polls on its own schedule (its own pacing, rate-limit bucket and backoff), so
two of them can come due at the same moment: at start, after "Refresh now", after a wake-up.
`spaced` moves a poll to the first time at least `gap` seconds away from every other
account's planned poll, never earlier than asked (a Retry-After is a lower bound).
"""

from __future__ import annotations

from collections.abc import Iterable

#: Seconds between two accounts' polls: a burst of requests never leaves in the same second.
STAGGER_GAP_S = 2.0


def spaced(when: float, taken: Iterable[float], gap: float = STAGGER_GAP_S) -> float:
    """The earliest time >= `when` at least `gap` from each time in `taken`."""
    others = sorted(taken)
    moved = True
    while moved:  # ends: `when` only grows, past at most len(others) planned times
        moved = False
        for other in others:
            if abs(when - other) < gap:
                when = other + gap
                moved = True
    return when
