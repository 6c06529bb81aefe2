"""The badge's colours: the fill for each level and state, the text colour that reads on it,
the monochrome ink for a light or dark panel, and the WCAG contrast they were chosen by.

Separate from the drawing because it needs no Pillow: the usage window's chart and the
panel-brightness probe (`tray.appearance`) use these colours without importing an image library.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType

from tray_app.core.badge import SMALL_BADGE_PX, BadgeKind, BadgeSpec
from tray_app.core.levels import Level

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]

WHITE: RGB = (255, 255, 255)
INK: RGB = (24, 24, 24)

# Fills chosen for contrast with their text colour (WCAG ratio in brackets). Amber and dark red
# also differ from the others in lightness; green and red (similar lightness, a pair red-green
# colour-blind users confuse) are told apart by the gauge, full-ish against nearly empty.
LEVEL_FILL: MappingProxyType[Level, RGB] = MappingProxyType(
    {
        Level.OK: (46, 125, 50),  # green 800, white text (5.1:1)
        Level.LOW: (255, 179, 0),  # amber 600, near-black text (9.9:1)
        Level.CRITICAL: (211, 47, 47),  # red 700, white text (5.0:1)
        Level.DEPLETED: (139, 26, 26),  # dark red, white text (9.3:1)
    }
)
NEUTRAL_FILL: RGB = (69, 90, 100)  # blue grey 700, white text (7.2:1)
REJECTED_FILL: RGB = LEVEL_FILL[Level.CRITICAL]
#: Stale badges: the level colour pulled this far towards grey, and the whole image this opaque.
STALE_DESATURATE = 0.7
STALE_OPACITY = 0.8
GREY: RGB = (96, 96, 96)


class Panel(enum.Enum):
    """The panel's brightness, which decides the monochrome ink (a symbolic icon's foreground).

    The values are the foreground colours GNOME's symbolic icons use on light and dark themes.
    """

    LIGHT = (46, 52, 54)
    DARK = (238, 238, 236)

    @property
    def foreground(self) -> RGB:
        r, g, b = self.value
        return (r, g, b)


def _luminance(rgb: RGB) -> float:
    """WCAG relative luminance, 0 (black) .. 1 (white)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio between two colours, 1 .. 21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_on(fill: RGB) -> RGB:
    """White or near-black, whichever reads better on `fill`."""
    return WHITE if contrast_ratio(WHITE, fill) >= contrast_ratio(INK, fill) else INK


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """`a` moved the share `t` (0 .. 1) of the way towards `b`, channel by channel."""
    r = (round(a[i] + (b[i] - a[i]) * t) for i in range(3))
    return (next(r), next(r), next(r))


def rgba(rgb: RGB) -> RGBA:
    """`rgb`, fully opaque."""
    return (rgb[0], rgb[1], rgb[2], 255)


@dataclass(frozen=True)
class Look:
    """The two colours a badge is drawn in: its body and the text (and glyphs) on it."""

    fill: RGB
    text: RGB


def greyed(spec: BadgeSpec, size: int) -> bool:
    """Whether the badge of `spec` at `size` is drawn greyed and translucent (an old number)."""
    # Below 22 px there is no room for the corner marker, so a rate-limited number (also not
    # fresh) is greyed like a stale one; the tooltip says which of the two it is.
    if spec.kind is BadgeKind.RATE_LIMITED:
        return size < SMALL_BADGE_PX
    return spec.kind is BadgeKind.STALE


def look_of(spec: BadgeSpec, size: int = SMALL_BADGE_PX) -> Look:
    """The colours of a number/percent/gauge badge for `spec` at `size`."""
    if spec.kind is BadgeKind.KEY_REJECTED:
        fill = REJECTED_FILL
    elif spec.level is None or spec.kind in (BadgeKind.NO_KEY, BadgeKind.STARTING):
        fill = NEUTRAL_FILL
    else:
        fill = LEVEL_FILL[spec.level]
    if greyed(spec, size):
        fill = mix(fill, GREY, STALE_DESATURATE)
    return Look(fill, text_colour_on(fill))


def badge_text_colour(spec: BadgeSpec, size: int = SMALL_BADGE_PX) -> RGB:
    """The colour the text of a number/percent badge of `size` is drawn in."""
    return look_of(spec, size).text
