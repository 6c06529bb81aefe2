"""What the tray badge shows, decided without drawing anything.

A `BadgeSpec` is the whole input of the badge renderer (`tray_app.ui.icon`): two equal specs
always draw the same pixels, so the tray compares specs and redraws only when one changes.
Everything that could vary between two polls but is not visible (exact credits, timestamps)
is left out on purpose: 30,050 and 30,020 credits both show "30k" and give equal specs when the
gauge moves less than one step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tray_app.core import fmt
from tray_app.core.balance import Number
from tray_app.core.levels import Level

#: The gauge is drawn in this many steps; quantising the fraction keeps tiny balance changes
#: from producing a new spec (and a new image) on every poll. 1/48 of a gauge is below one
#: pixel at 22 px and about one pixel at 48 px.
GAUGE_STEPS = 48


class BadgeKind(str, enum.Enum):
    """Which picture the badge is. Each kind is drawn differently enough to tell apart."""

    #: A current balance, coloured by its `Level`.
    LEVEL = "level"
    #: No API key is configured yet: a key glyph, no number.
    NO_KEY = "no_key"
    #: The server refused the key (401): "!" on red, no number.
    KEY_REJECTED = "key_rejected"
    #: The last poll failed (offline, server error): the last number dimmed, with a marker.
    STALE = "stale"
    #: The server asked us to wait (429): the last number with an hourglass marker.
    RATE_LIMITED = "rate_limited"
    #: Before the first poll has answered: a neutral ring.
    STARTING = "starting"


@dataclass(frozen=True)
class BadgeSpec:
    """Everything the badge shows; hashable and comparable, so usable as a cache key.

    `text` is the compact number ("950", "12.5k", "1.2M"), "?" for a stale or rate-limited
    badge that never had a number, "!" for a rejected key and "" when no text is drawn.
    `fraction` is the share of credits remaining (0..1) for the gauge, None for no gauge.
    """

    kind: BadgeKind
    level: Level | None
    text: str
    fraction: float | None

    def __post_init__(self) -> None:
        if self.fraction is not None and not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"fraction must be within 0..1, got {self.fraction}")
        if self.kind is BadgeKind.LEVEL and self.level is None:
            raise ValueError("a LEVEL badge needs a level")


def _quantise(fraction: float | None) -> float | None:
    if fraction is None:
        return None
    clamped = max(0.0, min(1.0, fraction))
    steps = round(clamped * GAUGE_STEPS)
    # Never show an empty gauge for credits that are not all gone, nor a full one for less
    # than all: the extremes carry meaning ("nothing left", "untouched").
    if steps == 0 and clamped > 0:
        steps = 1
    if steps == GAUGE_STEPS and clamped < 1:
        steps = GAUGE_STEPS - 1
    return steps / GAUGE_STEPS


def badge_for_balance(
    total_balance: Number,
    fraction: float | None,
    level: Level,
    *,
    stale: bool = False,
    rate_limited: bool = False,
) -> BadgeSpec:
    """The badge for a known balance.

    `stale` means the number is the last one seen and the latest poll failed; `rate_limited`
    means the server asked us to wait. Rate-limited wins when both are set: it says why the
    number is old and when it will be fresh again, which "stale" does not.
    """
    if rate_limited:
        kind = BadgeKind.RATE_LIMITED
    elif stale:
        kind = BadgeKind.STALE
    else:
        kind = BadgeKind.LEVEL
    return BadgeSpec(kind, level, fmt.compact(total_balance), _quantise(fraction))


def state_badge(kind: BadgeKind) -> BadgeSpec:
    """The badge for a state with no number: no key, key rejected, starting, or a stale /
    rate-limited state before any balance was ever fetched."""
    if kind is BadgeKind.LEVEL:
        raise ValueError("a LEVEL badge needs a balance; use badge_for_balance")
    text = {BadgeKind.KEY_REJECTED: "!", BadgeKind.STALE: "?", BadgeKind.RATE_LIMITED: "?"}
    return BadgeSpec(kind, None, text.get(kind, ""), None)
