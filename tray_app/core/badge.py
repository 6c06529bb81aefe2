"""What the tray badge shows, decided without drawing anything.

A `BadgeSpec` is the whole input of the badge renderer (`tray_app.tray.badge_drawing`): two
equal specs always draw the same pixels, so the tray compares specs and redraws only when one
changes. Everything that could vary between two polls but is not visible (exact credits,
timestamps) is left out on purpose: 30,050 and 30,020 credits both show "30k" and give equal
specs when the gauge moves less than one step.

Per-size text: a badge smaller than `SMALL_BADGE_PX` (16 and 20 px: GNOME's top bar, Windows'
notification area at 100 % and 125 %) shows `short_text` ("29k", at most three digits) and no
gauge bar; from 22 px it shows `text` ("28.6k") with the gauge. Sizes are logical pixels: a
16 px icon drawn at 2x for a HiDPI screen still shows "29k" (same size on screen), only sharper.
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

#: Below this size (logical px) the badge shows its short text and drops the gauge bar, which
#: at 16 px would be 2 px tall and would take the rows the digits need.
SMALL_BADGE_PX = 22
#: Below this size (logical px) the gauge bar is dropped: at 22 px it would leave the text
#: 8 px of height, where tesseract misread a third of the numbers; without it, 12 px.
GAUGE_MIN_PX = 24


class BadgeStyle(str, enum.Enum):
    """How the balance is drawn (the `badge_style` setting)."""

    #: The compact number on a body in the level colour, with a gauge bar (the default).
    NUMBER = "number"
    #: The share of credits left ("86%") on the same body.
    PERCENT = "percent"
    #: A ring in the level colour filled to the share left; no text.
    GAUGE = "gauge"
    #: The number alone in the panel's foreground colour (a symbolic icon).
    MONOCHROME = "monochrome"


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
    `short_text` is what badges below `SMALL_BADGE_PX` show ("" means the same as `text`).
    """

    kind: BadgeKind
    level: Level | None
    text: str
    fraction: float | None
    short_text: str = ""
    style: BadgeStyle = BadgeStyle.NUMBER

    def __post_init__(self) -> None:
        if self.fraction is not None and not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"fraction must be within 0..1, got {self.fraction}")
        if self.kind is BadgeKind.LEVEL and self.level is None:
            raise ValueError("a LEVEL badge needs a level")

    def text_at(self, size: int) -> str:
        """The text to draw on a badge of `size` logical pixels."""
        if size < SMALL_BADGE_PX and self.short_text:
            return self.short_text
        return self.text

    def has_gauge_at(self, size: int) -> bool:
        """Whether the gauge bar is drawn at `size` logical pixels."""
        return self.fraction is not None and size >= GAUGE_MIN_PX


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
    style: BadgeStyle = BadgeStyle.NUMBER,
) -> BadgeSpec:
    """The badge for a known balance.

    `stale` means the number is the last one seen and the latest poll failed; `rate_limited`
    means the server asked us to wait. Rate-limited wins when both are set: it says why the
    number is old and when it will be fresh again, which "stale" does not.
    The percent style falls back to the number when the share is unknown (no plan total).
    """
    if rate_limited:
        kind = BadgeKind.RATE_LIMITED
    elif stale:
        kind = BadgeKind.STALE
    else:
        kind = BadgeKind.LEVEL
    quantised = _quantise(fraction)
    if style is BadgeStyle.PERCENT and fraction is not None:
        text = short = fmt.percent(max(0.0, min(1.0, fraction)))
    else:
        text, short = fmt.compact(total_balance), fmt.compact_short(total_balance)
    return BadgeSpec(kind, level, text, quantised, short_text=short, style=style)


def state_badge(kind: BadgeKind, style: BadgeStyle = BadgeStyle.NUMBER) -> BadgeSpec:
    """The badge for a state with no number: no key, key rejected, starting, or a stale /
    rate-limited state before any balance was ever fetched."""
    if kind is BadgeKind.LEVEL:
        raise ValueError("a LEVEL badge needs a balance; use badge_for_balance")
    text = {BadgeKind.KEY_REJECTED: "!", BadgeKind.STALE: "?", BadgeKind.RATE_LIMITED: "?"}
    return BadgeSpec(kind, None, text.get(kind, ""), None, style=style)
