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

How the text is sized to its box and kept sharp, and why the badge font is the one it is:
`tray.badge_text`. The colours: `tray.badge_palette`.

Per size (see `core/badge.py`): below 22 px (16 and 20 px) the badge shows the short text ("29k")
on the whole body, with no gauge bar and no corner marker (a stale badge keeps its grey body;
the tooltip says why); from 22 px the full layout above. `scale` draws the same logical size
for a HiDPI screen (16 px at 2x is a 32 px image showing "29k"): the choice of text follows the
logical size, the geometry and the glyph rasterisation the physical pixels.

Styles: `number` and `percent` use the body above; `gauge` is a ring in the level colour filled
clockwise to the share left, with the stale clock / rate-limit hourglass in its centre;
`monochrome` draws only the text (and from 22 px a thin gauge line) in the panel's foreground
colour on transparency: `Panel.LIGHT` (dark ink, the default when the desktop does not say)
or `Panel.DARK` (light ink). States without a number (no key, rejected, starting) look the
same in every style except monochrome, where their glyph is drawn in the foreground colour.

Shapes are drawn 4x supersampled and reduced by averaging each 4 x 4 block: exact coverage gives
smooth circles at 22 px and keeps flat fills flat (LANCZOS rings up to 3 px into the body, which
at 22 px is most of it). The text is drawn large and reduced with LANCZOS (crisper than averaging)
to a mask of whole pixels, placed at a whole-pixel origin so its top and bottom edges stay sharp.

This module only draws: the font comes in as an argument, and nothing is cached. Loading the
bundled font and caching the images the tray asks for again and again is `tray.badge_renderer`.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from tray_app.core.badge import SMALL_BADGE_PX, BadgeKind, BadgeSpec, BadgeStyle
from tray_app.tray.badge_palette import (
    GREY,
    INK,
    RGB,
    STALE_OPACITY,
    WHITE,
    Look,
    Panel,
    greyed,
    look_of,
    mix,
    rgba,
)
from tray_app.tray.badge_text import Box, paste_text

_SUPERSAMPLE = 4

# Geometry, as fractions of the side.
_RADIUS = 0.22
_TEXT_BOX: Box = (0.04, 0.12, 0.96, 0.70)
_TEXT_BOX_NO_GAUGE: Box = (0.04, 0.14, 0.96, 0.86)
_GAUGE_BOX: Box = (0.14, 0.78, 0.86, 0.90)
_MARKER_DIAMETER = 0.46
_GLYPH_TEXT_BOX: Box = (0.12, 0.10, 0.88, 0.90)
_SMALL_TEXT_BOX: Box = (0.02, 0.12, 0.98, 0.88)
_MONO_TEXT_BOX: Box = (0.0, 0.14, 1.0, 0.74)
_MONO_TEXT_BOX_SMALL: Box = (0.0, 0.10, 1.0, 0.90)
_MONO_GAUGE_BOX: Box = (0.08, 0.82, 0.92, 0.90)
_RING_WIDTH = 0.2
_RING_TRACK: RGB = (150, 150, 150)
#: The most a badge may be scaled for HiDPI (macOS and Windows go up to 2x / 3x).
MAX_SCALE = 4


def _scaled(box: Box, side: float) -> Box:
    return (box[0] * side, box[1] * side, box[2] * side, box[3] * side)


def _draw_body(draw: ImageDraw.ImageDraw, side: float, look: Look) -> None:
    outline = max(1.0, side / 22)
    draw.rounded_rectangle(
        (0, 0, side - 1, side - 1),
        radius=_RADIUS * side,
        fill=rgba(look.fill),
        outline=rgba(mix(look.fill, look.text, 0.5)),
        width=round(outline),
    )


def _draw_gauge(draw: ImageDraw.ImageDraw, box: Box, fraction: float, look: Look) -> None:
    x0, y0, x1, y1 = box
    radius = (y1 - y0) / 2
    draw.rounded_rectangle(box, radius=radius, fill=rgba(mix(look.fill, look.text, 0.35)))
    if fraction > 0:
        # Keep a visible sliver for any non-zero share: the rounded end needs 2 radii.
        width = max(2 * radius, (x1 - x0) * fraction)
        draw.rounded_rectangle((x0, y0, x0 + width, y1), radius=radius, fill=rgba(look.text))


def _marker_disc(side: float) -> Box:
    d = _MARKER_DIAMETER * side
    return (side - d, side - d, side - 1, side - 1)


def _draw_clock(draw: ImageDraw.ImageDraw, disc: Box, look: Look) -> None:
    # A white disc ringed in the badge colour with two hands at three o'clock: two strokes still
    # read as a clock at 10 px, where a second hand or tick marks would blur into a grey blob.
    x0, y0, x1, y1 = disc
    d = x1 - x0
    ring = d * 0.12
    draw.ellipse(disc, fill=rgba(look.fill))
    draw.ellipse((x0 + ring, y0 + ring, x1 - ring, y1 - ring), fill=rgba(WHITE))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hand = max(1, round(d * 0.13))
    draw.line((cx, cy, cx, y0 + d * 0.24), fill=rgba(INK), width=hand)
    draw.line((cx, cy, x1 - d * 0.27, cy), fill=rgba(INK), width=hand)


def _draw_hourglass(draw: ImageDraw.ImageDraw, disc: Box, look: Look) -> None:
    x0, y0, x1, y1 = disc
    d = x1 - x0
    ring = d * 0.12
    draw.ellipse(disc, fill=rgba(look.fill))
    draw.ellipse((x0 + ring, y0 + ring, x1 - ring, y1 - ring), fill=rgba(WHITE))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = d * 0.26, d * 0.30
    ink = rgba(INK)
    draw.polygon([(cx - w, cy - h), (cx + w, cy - h), (cx, cy)], fill=ink)
    draw.polygon([(cx - w, cy + h), (cx + w, cy + h), (cx, cy)], fill=ink)


def _draw_key(draw: ImageDraw.ImageDraw, side: float, look: Look) -> None:
    # A key lying diagonally: round bow upper left, shaft to lower right, two teeth.
    ink = rgba(look.text)
    bow_c, bow_r = (0.36 * side, 0.36 * side), 0.19 * side
    hole_r = 0.07 * side
    draw.ellipse((bow_c[0] - bow_r, bow_c[1] - bow_r, bow_c[0] + bow_r, bow_c[1] + bow_r), fill=ink)
    draw.ellipse(
        (bow_c[0] - hole_r, bow_c[1] - hole_r, bow_c[0] + hole_r, bow_c[1] + hole_r),
        fill=rgba(look.fill),
    )
    stroke = 0.11 * side
    end = (0.80 * side, 0.80 * side)
    draw.line((bow_c[0] + bow_r * 0.6, bow_c[1] + bow_r * 0.6, *end), fill=ink, width=round(stroke))
    for along in (0.62, 0.76):
        tx, ty = along * side, along * side
        draw.line((tx, ty, tx + 0.12 * side, ty - 0.12 * side), fill=ink, width=round(stroke))


def _draw_ring(draw: ImageDraw.ImageDraw, side: float, look: Look) -> None:
    # "Starting": a faint full track with a brighter quarter arc, like a spinner at rest.
    inset, width = 0.20 * side, round(0.12 * side)
    box = (inset, inset, side - inset, side - inset)
    draw.ellipse(box, outline=rgba(mix(look.fill, look.text, 0.35)), width=width)
    draw.arc(box, start=-90, end=90, fill=rgba(look.text), width=width)


def _marked(spec: BadgeSpec, size: int) -> bool:
    # The corner marker needs room: from 22 px only (see the module docstring).
    return spec.kind in (BadgeKind.STALE, BadgeKind.RATE_LIMITED) and size >= SMALL_BADGE_PX


def _draw_state_glyph(draw: ImageDraw.ImageDraw, spec: BadgeSpec, side: float, look: Look) -> None:
    if spec.kind is BadgeKind.NO_KEY:
        _draw_key(draw, side, look)
    elif spec.kind is BadgeKind.STARTING:
        _draw_ring(draw, side, look)


def _draw_shapes(spec: BadgeSpec, size: int, side: float, look: Look) -> Image.Image:
    image = Image.new("RGBA", (round(side), round(side)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    _draw_body(draw, side, look)
    marked = _marked(spec, size)
    if spec.has_gauge_at(size) and spec.fraction is not None:
        gauge = _scaled(_GAUGE_BOX, side)
        if marked:
            gauge = (gauge[0], gauge[1], _marker_disc(side)[0] - 0.02 * side, gauge[3])
        _draw_gauge(draw, gauge, spec.fraction, look)
    if marked and spec.kind is BadgeKind.STALE:
        _draw_clock(draw, _marker_disc(side), look)
    elif marked:
        _draw_hourglass(draw, _marker_disc(side), look)
    _draw_state_glyph(draw, spec, side, look)
    return image


def _text_box(spec: BadgeSpec, size: int, px: int) -> Box:
    if spec.level is None:
        box = _scaled(_GLYPH_TEXT_BOX, px)  # "!" or "?" alone
    elif size < SMALL_BADGE_PX:
        box = _scaled(_SMALL_TEXT_BOX, px)
    elif not spec.has_gauge_at(size):
        box = _scaled(_TEXT_BOX_NO_GAUGE, px)
    else:
        box = _scaled(_TEXT_BOX, px)
    if _marked(spec, size):
        # End above the marker disc so the last character is never covered.
        box = (box[0], box[1], box[2], min(box[3], _marker_disc(px)[1] - 0.02 * px))
    return box


def _render_body_style(
    spec: BadgeSpec, size: int, px: int, font: ImageFont.FreeTypeFont
) -> Image.Image:
    look = look_of(spec, size)
    image = _draw_shapes(spec, size, px * _SUPERSAMPLE, look).reduce(_SUPERSAMPLE)
    text = spec.text_at(size)
    if text:
        paste_text(image, text, _text_box(spec, size, px), font, rgba(look.text))
    return image


def _render_gauge_style(spec: BadgeSpec, size: int, px: int) -> Image.Image:
    """A ring in the level colour filled clockwise from 12 o'clock to the share left."""
    look = look_of(spec)
    side = px * _SUPERSAMPLE
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    width = _RING_WIDTH * side
    # A dark rim under the whole ring keeps it visible on light and dark panels alike.
    draw.ellipse((0, 0, side - 1, side - 1), fill=rgba(mix(look.fill, INK, 0.55)))
    inner = width * 0.22
    ring = (inner, inner, side - 1 - inner, side - 1 - inner)
    # A neutral track: the level colour shows only the share left, so 3 % left is a sliver
    # of red on grey, told apart at a glance from 80 % left in green.
    draw.ellipse(ring, fill=rgba(_RING_TRACK))
    fraction = spec.fraction or 0.0
    if fraction > 0:
        draw.pieslice(ring, start=-90, end=-90 + 360 * fraction, fill=rgba(look.fill))
    hole = width
    draw.ellipse((hole, hole, side - 1 - hole, side - 1 - hole), fill=(0, 0, 0, 0))
    # The centre: transparent, or the marker saying why the share is old.
    centre = (width * 1.25, width * 1.25, side - 1 - width * 1.25, side - 1 - width * 1.25)
    if spec.kind is BadgeKind.STALE:
        _draw_clock(draw, centre, look)
    elif spec.kind is BadgeKind.RATE_LIMITED:
        _draw_hourglass(draw, centre, look)
    return image.reduce(_SUPERSAMPLE)


def _render_monochrome(
    spec: BadgeSpec, size: int, px: int, font: ImageFont.FreeTypeFont, panel: Panel
) -> Image.Image:
    ink = panel.foreground
    side = px * _SUPERSAMPLE
    # Transparent pixels carry the ink's RGB too, so averaging edges never darkens the ink.
    shapes = Image.new("RGBA", (side, side), (*ink, 0))
    draw = ImageDraw.Draw(shapes)
    look = Look(fill=(0, 0, 0), text=ink)
    if spec.kind is BadgeKind.NO_KEY:
        _draw_key(draw, side, look)
    elif spec.kind is BadgeKind.STARTING:
        _draw_ring(draw, side, Look(fill=mix(ink, GREY, 0.5), text=ink))
    has_gauge = spec.has_gauge_at(size) and spec.level is not None
    if has_gauge:
        x0, y0, x1, y1 = _scaled(_MONO_GAUGE_BOX, side)
        radius = (y1 - y0) / 2
        # Track as an outline, the share left solid: no second colour needed.
        draw.rounded_rectangle((x0, y0, x1, y1), radius=radius, outline=rgba(ink), width=1)
        fraction = spec.fraction or 0.0
        if fraction > 0:
            right = x0 + max(2 * radius, (x1 - x0) * fraction)
            draw.rounded_rectangle((x0, y0, right, y1), radius=radius, fill=rgba(ink))
    # One ink: only the coverage is taken from the drawing (reducing RGBA rounds the colour of
    # half-covered pixels a few levels off the ink).
    image = Image.new("RGBA", (px, px), (*ink, 255))
    image.putalpha(shapes.getchannel("A").reduce(_SUPERSAMPLE))
    text = spec.text_at(size)
    if text:
        if spec.level is None:
            box = _scaled(_GLYPH_TEXT_BOX, px)
        elif has_gauge:
            box = _scaled(_MONO_TEXT_BOX, px)
        else:
            box = _scaled(_MONO_TEXT_BOX_SMALL, px)
        paste_text(image, text, box, font, rgba(ink))
    return image


def render_badge(
    spec: BadgeSpec,
    size: int,
    font: ImageFont.FreeTypeFont,
    *,
    scale: int = 1,
    panel: Panel = Panel.LIGHT,
) -> Image.Image:
    """Draw `spec` as a new RGBA image of `size * scale` pixels square (no caching).

    `size` is the logical size (what the text and layout are chosen for), `scale` the HiDPI
    factor; `panel` matters only to the monochrome style. `font` is the badge font,
    `tray.badge_renderer.load_badge_font()` (loaded once by whoever draws many badges).
    """
    if size < 8:
        raise ValueError(f"badge size must be at least 8 px, got {size}")
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"badge scale must be 1 to {MAX_SCALE}, got {scale}")
    px = size * scale
    has_number = spec.kind in (BadgeKind.LEVEL, BadgeKind.STALE, BadgeKind.RATE_LIMITED)
    if spec.style is BadgeStyle.MONOCHROME:
        image = _render_monochrome(spec, size, px, font, panel)
    elif spec.style is BadgeStyle.GAUGE and has_number and spec.level is not None:
        image = _render_gauge_style(spec, size, px)
    else:
        image = _render_body_style(spec, size, px, font)
    if greyed(spec, size):
        image.putalpha(image.getchannel("A").point(lambda a: round(a * STALE_OPACITY)))
    return image
