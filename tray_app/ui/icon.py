"""The tray badge: a `BadgeSpec` drawn with Pillow at the exact size the tray asks for.

Layout (every length is a fraction of the side S, so a 64 px badge that the tray host shrinks
to 22 px looks like one drawn at 22 px):

    +---------------------+   rounded body in the level colour, with a 1/22 S outline half way
    |       12.5k         |   between fill and text colour, so the badge stands out on dark and
    |                     |   on light panels; the number is on the solid body, never on the panel;
    |  [=========-----]   |   text in a box 0.04 S .. 0.96 S wide, 0.12 S .. 0.70 S high;
    +---------------------+   gauge bar 0.78 S .. 0.90 S high, the share of credits remaining.

Stale and rate-limited badges add a disc marker in the bottom-right corner (a clock for "old
number", an hourglass for "told to wait"); the gauge is shortened to leave it room, and the text
box ends above it. Stale badges are also greyed and 80 % opaque.

Text size is chosen by measurement. The bundled font is DejaVu Sans Condensed Bold: condensed
because the widest texts ("12.5k", "99.9k") are about 2.8 em wide (3.15 em in DejaVu Sans Bold)
and must fit 20 px at S = 22; bold because one-pixel stems of the book weight fade to grey when
a tray host rescales the image. Measured at S = 22 (text box 20.2 x 12.8 px), the largest font
whose natural-width ink fits is 7 px for "12.5k" (ink 19 x 7 px: digits 6 px tall, hard to read)
and 8 px for "1.2M" (ink 20 x 6). So the text may be narrowed to `MIN_SQUEEZE` (68 %) of its
natural width to be drawn taller: at S = 22 "12.5k" and "99.9k" become 20 x 8 px, "1.2M" and
"100k" 20 x 9, "950" and "30k" 20 x 12 (the box height); at S = 32 "12.5k" is 29 x 12, at S = 64
58 x 24. Side by side at 22 px, 8-9 px tall narrowed digits read clearly where 6 px natural ones
did not (narrower than 68 % and "0", "8", "9" start to merge).

Shapes are drawn 4x supersampled and reduced by averaging each 4 x 4 block: exact coverage gives
smooth circles at 22 px and keeps flat fills flat (LANCZOS rings up to 3 px into the body, which
at 22 px is most of it). The text is drawn large and reduced with LANCZOS (crisper than averaging)
to a mask of whole pixels, placed at a whole-pixel origin so its top and bottom edges stay sharp.
"""

from __future__ import annotations

import io
import math
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from PIL import Image, ImageDraw, ImageFont

from tray_app.core.badge import BadgeKind, BadgeSpec
from tray_app.core.levels import Level

FONT_FILE = "DejaVuSansCondensed-Bold.ttf"
APP_ICON_FILE = "app-icon.png"

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]
Box = tuple[float, float, float, float]

_SUPERSAMPLE = 4
#: Glyphs are drawn at this size, then reduced to the badge (same shapes at every size).
_REFERENCE_PX = 160
#: Text may be narrowed to this share of its natural width to be drawn taller.
MIN_SQUEEZE = 0.68
_WHITE: RGB = (255, 255, 255)
_INK: RGB = (24, 24, 24)

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
_GREY: RGB = (96, 96, 96)

# Geometry, as fractions of the side.
_RADIUS = 0.22
_TEXT_BOX: Box = (0.04, 0.12, 0.96, 0.70)
_TEXT_BOX_NO_GAUGE: Box = (0.04, 0.14, 0.96, 0.86)
_GAUGE_BOX: Box = (0.14, 0.78, 0.86, 0.90)
_MARKER_DIAMETER = 0.46
_GLYPH_TEXT_BOX: Box = (0.12, 0.10, 0.88, 0.90)


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
    return _WHITE if contrast_ratio(_WHITE, fill) >= contrast_ratio(_INK, fill) else _INK


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    r = (round(a[i] + (b[i] - a[i]) * t) for i in range(3))
    return (next(r), next(r), next(r))


def load_badge_font() -> ImageFont.FreeTypeFont:
    """The bundled badge font at `_REFERENCE_PX`.

    The font travels as package data (`tray_app/assets/`) so the badge is drawn with the same
    glyphs on every system; the BASIC layout engine keeps Pillow builds with and without libraqm
    from placing glyphs differently.
    """
    data = io.BytesIO(asset_bytes(FONT_FILE))
    return ImageFont.truetype(data, _REFERENCE_PX, layout_engine=ImageFont.Layout.BASIC)


def asset_bytes(name: str) -> bytes:
    """The bytes of a file shipped in `tray_app/assets/` (works from a wheel or a zip)."""
    return (resources.files("tray_app") / "assets" / name).read_bytes()


def app_icon(size: int) -> Image.Image:
    """The application icon (not the badge) as an RGBA image of `size` x `size`."""
    # Opened from memory, so there is no file handle to close.
    master = Image.open(io.BytesIO(asset_bytes(APP_ICON_FILE)))
    return master.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)


def _ink_box(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, int, int]:
    # getbbox() includes side bearings; the inked pixels are what has to fit and be centred.
    _, _, right, bottom = font.getbbox(text)
    scratch = Image.new("L", (max(1, math.ceil(right) + 2), max(1, math.ceil(bottom) + 2)))
    ImageDraw.Draw(scratch).text((0, 0), text, font=font, fill=255)
    return scratch.getbbox() or (0, 0, 1, 1)


def text_mask(font: ImageFont.FreeTypeFont, text: str, box_w: float, box_h: float) -> Image.Image:
    """`text` as an "L" coverage mask, as tall as fits in `box_w` x `box_h` (whole pixels).

    The glyphs are drawn large (`font` is loaded at `_REFERENCE_PX`) and reduced to the chosen
    size, so every badge size gets the same shapes, and the text may be narrowed to
    `MIN_SQUEEZE` of its natural width when that buys height (see the module docstring).
    """
    ink = _ink_box(font, text)
    big = Image.new("L", (ink[2] + 2, ink[3] + 2))
    ImageDraw.Draw(big).text((0, 0), text, font=font, fill=255)
    big = big.crop(ink)
    aspect = big.width / big.height
    height = min(box_h, box_w / (aspect * MIN_SQUEEZE))
    width = min(box_w, aspect * height)
    size = (max(1, math.floor(width)), max(1, math.floor(height)))
    return big.resize(size, Image.Resampling.LANCZOS)


@dataclass(frozen=True)
class _Look:
    fill: RGB
    text: RGB


def _look(spec: BadgeSpec) -> _Look:
    if spec.kind is BadgeKind.KEY_REJECTED:
        fill = REJECTED_FILL
    elif spec.level is None or spec.kind in (BadgeKind.NO_KEY, BadgeKind.STARTING):
        fill = NEUTRAL_FILL
    else:
        fill = LEVEL_FILL[spec.level]
    if spec.kind is BadgeKind.STALE:
        fill = _mix(fill, _GREY, STALE_DESATURATE)
    return _Look(fill, text_colour_on(fill))


def _scaled(box: Box, side: float) -> Box:
    return (box[0] * side, box[1] * side, box[2] * side, box[3] * side)


def _rgba(rgb: RGB) -> RGBA:
    return (rgb[0], rgb[1], rgb[2], 255)


def _draw_body(draw: ImageDraw.ImageDraw, side: float, look: _Look) -> None:
    outline = max(1.0, side / 22)
    draw.rounded_rectangle(
        (0, 0, side - 1, side - 1),
        radius=_RADIUS * side,
        fill=_rgba(look.fill),
        outline=_rgba(_mix(look.fill, look.text, 0.5)),
        width=round(outline),
    )


def _draw_gauge(draw: ImageDraw.ImageDraw, box: Box, fraction: float, look: _Look) -> None:
    x0, y0, x1, y1 = box
    radius = (y1 - y0) / 2
    draw.rounded_rectangle(box, radius=radius, fill=_rgba(_mix(look.fill, look.text, 0.35)))
    if fraction > 0:
        # Keep a visible sliver for any non-zero share: the rounded end needs 2 radii.
        width = max(2 * radius, (x1 - x0) * fraction)
        draw.rounded_rectangle((x0, y0, x0 + width, y1), radius=radius, fill=_rgba(look.text))


def _marker_disc(side: float) -> Box:
    d = _MARKER_DIAMETER * side
    return (side - d, side - d, side - 1, side - 1)


def _draw_clock(draw: ImageDraw.ImageDraw, disc: Box, look: _Look) -> None:
    # A white disc ringed in the badge colour with two hands at three o'clock: two strokes still
    # read as a clock at 10 px, where a second hand or tick marks would blur into a grey blob.
    x0, y0, x1, y1 = disc
    d = x1 - x0
    ring = d * 0.12
    draw.ellipse(disc, fill=_rgba(look.fill))
    draw.ellipse((x0 + ring, y0 + ring, x1 - ring, y1 - ring), fill=_rgba(_WHITE))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hand = max(1, round(d * 0.13))
    draw.line((cx, cy, cx, y0 + d * 0.24), fill=_rgba(_INK), width=hand)
    draw.line((cx, cy, x1 - d * 0.27, cy), fill=_rgba(_INK), width=hand)


def _draw_hourglass(draw: ImageDraw.ImageDraw, disc: Box, look: _Look) -> None:
    x0, y0, x1, y1 = disc
    d = x1 - x0
    ring = d * 0.12
    draw.ellipse(disc, fill=_rgba(look.fill))
    draw.ellipse((x0 + ring, y0 + ring, x1 - ring, y1 - ring), fill=_rgba(_WHITE))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = d * 0.26, d * 0.30
    ink = _rgba(_INK)
    draw.polygon([(cx - w, cy - h), (cx + w, cy - h), (cx, cy)], fill=ink)
    draw.polygon([(cx - w, cy + h), (cx + w, cy + h), (cx, cy)], fill=ink)


def _draw_key(draw: ImageDraw.ImageDraw, side: float, look: _Look) -> None:
    # A key lying diagonally: round bow upper left, shaft to lower right, two teeth.
    ink = _rgba(look.text)
    bow_c, bow_r = (0.36 * side, 0.36 * side), 0.19 * side
    hole_r = 0.07 * side
    draw.ellipse((bow_c[0] - bow_r, bow_c[1] - bow_r, bow_c[0] + bow_r, bow_c[1] + bow_r), fill=ink)
    draw.ellipse(
        (bow_c[0] - hole_r, bow_c[1] - hole_r, bow_c[0] + hole_r, bow_c[1] + hole_r),
        fill=_rgba(look.fill),
    )
    stroke = 0.11 * side
    end = (0.80 * side, 0.80 * side)
    draw.line((bow_c[0] + bow_r * 0.6, bow_c[1] + bow_r * 0.6, *end), fill=ink, width=round(stroke))
    for along in (0.62, 0.76):
        tx, ty = along * side, along * side
        draw.line((tx, ty, tx + 0.12 * side, ty - 0.12 * side), fill=ink, width=round(stroke))


def _draw_ring(draw: ImageDraw.ImageDraw, side: float, look: _Look) -> None:
    # "Starting": a faint full track with a brighter quarter arc, like a spinner at rest.
    inset, width = 0.20 * side, round(0.12 * side)
    box = (inset, inset, side - inset, side - inset)
    draw.ellipse(box, outline=_rgba(_mix(look.fill, look.text, 0.35)), width=width)
    draw.arc(box, start=-90, end=90, fill=_rgba(look.text), width=width)


def _draw_shapes(spec: BadgeSpec, side: float, look: _Look) -> Image.Image:
    image = Image.new("RGBA", (round(side), round(side)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    _draw_body(draw, side, look)
    marked = spec.kind in (BadgeKind.STALE, BadgeKind.RATE_LIMITED)
    if spec.fraction is not None:
        gauge = _scaled(_GAUGE_BOX, side)
        if marked:
            gauge = (gauge[0], gauge[1], _marker_disc(side)[0] - 0.02 * side, gauge[3])
        _draw_gauge(draw, gauge, spec.fraction, look)
    if spec.kind is BadgeKind.STALE:
        _draw_clock(draw, _marker_disc(side), look)
    elif spec.kind is BadgeKind.RATE_LIMITED:
        _draw_hourglass(draw, _marker_disc(side), look)
    elif spec.kind is BadgeKind.NO_KEY:
        _draw_key(draw, side, look)
    elif spec.kind is BadgeKind.STARTING:
        _draw_ring(draw, side, look)
    return image


def _text_box(spec: BadgeSpec, size: int) -> Box:
    if spec.level is None:
        box = _scaled(_GLYPH_TEXT_BOX, size)  # "!" or "?" alone
    elif spec.fraction is None:
        box = _scaled(_TEXT_BOX_NO_GAUGE, size)
    else:
        box = _scaled(_TEXT_BOX, size)
    if spec.kind in (BadgeKind.STALE, BadgeKind.RATE_LIMITED):
        # End above the marker disc so the last character is never covered.
        box = (box[0], box[1], box[2], min(box[3], _marker_disc(size)[1] - 0.02 * size))
    return box


def _draw_text(
    image: Image.Image, spec: BadgeSpec, font: ImageFont.FreeTypeFont, look: _Look
) -> None:
    x0, y0, x1, y1 = _text_box(spec, image.width)
    mask = text_mask(font, spec.text, x1 - x0, y1 - y0)
    # Whole-pixel origin: the mask was sized in whole pixels, so its top and bottom edges and
    # the digit stems stay sharp instead of smearing over two rows.
    origin = (round((x0 + x1 - mask.width) / 2), round((y0 + y1 - mask.height) / 2))
    image.paste(_rgba(look.text), (*origin, origin[0] + mask.width, origin[1] + mask.height), mask)


def render_badge(
    spec: BadgeSpec, size: int, font: ImageFont.FreeTypeFont | None = None
) -> Image.Image:
    """Draw `spec` as a new RGBA image of `size` x `size` pixels (no caching).

    `font` is `load_badge_font()`; pass it when drawing many badges to load the font once.
    """
    if size < 8:
        raise ValueError(f"badge size must be at least 8 px, got {size}")
    look = _look(spec)
    image = _draw_shapes(spec, size * _SUPERSAMPLE, look).reduce(_SUPERSAMPLE)
    if spec.text:
        _draw_text(image, spec, font or load_badge_font(), look)
    if spec.kind is BadgeKind.STALE:
        image.putalpha(image.getchannel("A").point(lambda a: round(a * STALE_OPACITY)))
    return image


class BadgeRenderer:
    """`render_badge` with a small LRU cache keyed by (spec, size).

    The tray asks for the same few badges over and over (one per poll); caching returns the very
    same image object, so callers must treat it as read-only (copy before drawing on it).
    """

    def __init__(self, max_entries: int = 32) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max = max_entries
        self._font: ImageFont.FreeTypeFont | None = None
        self._cache: OrderedDict[tuple[BadgeSpec, int], Image.Image] = OrderedDict()

    def render(self, spec: BadgeSpec, size: int) -> Image.Image:
        key = (spec, size)
        image = self._cache.get(key)
        if image is not None:
            self._cache.move_to_end(key)
            return image
        if self._font is None:
            self._font = load_badge_font()
        image = render_badge(spec, size, self._font)
        self._cache[key] = image
        if len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return image

    def __len__(self) -> int:
        return len(self._cache)
