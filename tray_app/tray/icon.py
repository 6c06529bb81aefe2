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

Per size (see `core/badge.py`): below 22 px (16 and 20 px) the badge shows the short text ("29k")
on the whole body, with no gauge bar and no corner marker (a stale badge keeps its grey body;
the tooltip says why); from 22 px the full layout above. `scale` draws the same logical size
for a HiDPI screen (16 px at 2x is a 32 px image showing "29k"): the choice of text follows the
logical size, the geometry and the glyph rasterisation the physical pixels.

Text is pixel-aligned: the glyphs are rasterised by FreeType at the whole pixel size chosen (so
the font's hinting snaps stems and the baseline to the pixel grid), and only narrowed
horizontally when the natural width does not fit, which leaves the rows sharp.

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
"""

from __future__ import annotations

import enum
import io
import math
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from PIL import Image, ImageDraw, ImageFont

from tray_app.core.badge import SMALL_BADGE_PX, BadgeKind, BadgeSpec, BadgeStyle
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
_SMALL_TEXT_BOX: Box = (0.02, 0.12, 0.98, 0.88)
_MONO_TEXT_BOX: Box = (0.0, 0.14, 1.0, 0.74)
_MONO_TEXT_BOX_SMALL: Box = (0.0, 0.10, 1.0, 0.90)
_MONO_GAUGE_BOX: Box = (0.08, 0.82, 0.92, 0.90)
_RING_WIDTH = 0.2
_RING_TRACK: RGB = (150, 150, 150)
#: Share of the text box's width the digits of a percentage may take; the sign gets the rest.
_PERCENT_SPLIT = 0.7
#: The most a badge may be scaled for HiDPI (macOS and Windows go up to 2x / 3x).
MAX_SCALE = 4


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
    return ImageFont.truetype(_font_source(), _REFERENCE_PX, layout_engine=ImageFont.Layout.BASIC)


def _font_source() -> str | io.BytesIO:
    """The badge font's file path when it is a file on disk (an installed package, the
    PyInstaller bundle), else its bytes (a zip import).

    From a path FreeType maps the file and reads only the glyphs it needs; from bytes Pillow
    keeps the 650 kB font in memory twice for the life of the tray (the `bytes` and the copy
    its C code makes), and `font_variant()`, called on every render, copies it again.
    Measured: 1.5 MB of the idle tray's RSS (docs/benchmarks.md, issue 9).
    """
    source = resources.files("tray_app") / "assets" / FONT_FILE
    if isinstance(source, Path):
        return str(source)
    return io.BytesIO(source.read_bytes())


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

    The largest whole pixel size is chosen whose ink fits `box_h` high and, narrowed to at most
    `MIN_SQUEEZE` of its natural width, `box_w` wide. The text is rasterised by FreeType at
    that size (hinted: stems and the baseline land on whole pixels) and only narrowed, never
    scaled vertically, so the rows stay sharp. From 10 px of text height a decimal point gets
    whole pixels of extra room on each side (`_point_gap`), added after narrowing: narrowed,
    the point otherwise nearly touches its neighbours.
    """
    ink = _ink_box(font, text)
    per_px_h = (ink[3] - ink[1]) / font.size
    per_px_w = (ink[2] - ink[0]) / font.size
    px = max(1, math.floor(min(box_h / per_px_h, box_w / (per_px_w * MIN_SQUEEZE))) + 1)
    while True:
        pieces = _hinted_pieces(font.font_variant(size=px), text)
        height = pieces[0].height
        natural = sum(p.width for p in pieces)
        extra = _point_gap(height) * 2 * text.count(".")
        if px <= 1 or (height <= box_h and natural * MIN_SQUEEZE + extra <= box_w):
            break
        px -= 1
    squeeze = min(1.0, max(1.0, box_w - extra) / natural)
    if squeeze < 1:
        pieces = [
            p.resize((max(1, round(p.width * squeeze)), height), Image.Resampling.LANCZOS)
            for p in pieces
        ]
    gap = _point_gap(height)
    mask = Image.new("L", (sum(p.width for p in pieces) + extra, height))
    x = 0
    for piece in pieces:
        is_point = piece.info.get("point", False)
        x += gap if is_point else 0
        mask.paste(piece, (x, 0))
        x += piece.width + (gap if is_point else 0)
    return mask


def _point_gap(text_height: int) -> int:
    """Extra whole pixels each side of a decimal point: one per 10 px of text height (none
    below that, where every column is needed for the digits themselves)."""
    return text_height // 10


def _hinted_pieces(font: ImageFont.FreeTypeFont, text: str) -> list[Image.Image]:
    """`text` split at decimal points, each run drawn whole and cut to its inked columns and to
    the line's inked rows (so all pieces share one baseline)."""
    line = _ink_box(font, text)
    runs: list[str] = []
    for i, run in enumerate(text.split(".")):
        if i:
            runs.append(".")
        if run:
            runs.append(run)
    pieces = []
    for run in runs:
        _, _, right, _ = font.getbbox(run)
        canvas = Image.new("L", (max(1, math.ceil(right)) + 2, line[3] + 2))
        ImageDraw.Draw(canvas).text((0, 0), run, font=font, fill=255)
        cols = canvas.getbbox() or (0, 0, 1, 1)
        piece = canvas.crop((cols[0], line[1], cols[2], line[3]))
        piece.info["point"] = run == "."
        pieces.append(piece)
    return pieces


@dataclass(frozen=True)
class _Look:
    fill: RGB
    text: RGB


def _greyed(spec: BadgeSpec, size: int) -> bool:
    # Below 22 px there is no room for the corner marker, so a rate-limited number (also not
    # fresh) is greyed like a stale one; the tooltip says which of the two it is.
    if spec.kind is BadgeKind.RATE_LIMITED:
        return size < SMALL_BADGE_PX
    return spec.kind is BadgeKind.STALE


def _look(spec: BadgeSpec, size: int = SMALL_BADGE_PX) -> _Look:
    if spec.kind is BadgeKind.KEY_REJECTED:
        fill = REJECTED_FILL
    elif spec.level is None or spec.kind in (BadgeKind.NO_KEY, BadgeKind.STARTING):
        fill = NEUTRAL_FILL
    else:
        fill = LEVEL_FILL[spec.level]
    if _greyed(spec, size):
        fill = _mix(fill, _GREY, STALE_DESATURATE)
    return _Look(fill, text_colour_on(fill))


def badge_text_colour(spec: BadgeSpec, size: int = SMALL_BADGE_PX) -> RGB:
    """The colour the text of a number/percent badge of `size` is drawn in."""
    return _look(spec, size).text


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


def _marked(spec: BadgeSpec, size: int) -> bool:
    # The corner marker needs room: from 22 px only (see the module docstring).
    return spec.kind in (BadgeKind.STALE, BadgeKind.RATE_LIMITED) and size >= SMALL_BADGE_PX


def _draw_state_glyph(draw: ImageDraw.ImageDraw, spec: BadgeSpec, side: float, look: _Look) -> None:
    if spec.kind is BadgeKind.NO_KEY:
        _draw_key(draw, side, look)
    elif spec.kind is BadgeKind.STARTING:
        _draw_ring(draw, side, look)


def _draw_shapes(spec: BadgeSpec, size: int, side: float, look: _Look) -> Image.Image:
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


def _paste_text(
    image: Image.Image, text: str, box: Box, font: ImageFont.FreeTypeFont, colour: RGBA
) -> None:
    x0, y0, x1, y1 = box
    # Transparent in the text's own RGB: pasting through the mask then only sets coverage
    # (pasting onto transparent black would darken every anti-aliased edge pixel).
    layer = Image.new("RGBA", image.size, (*colour[:3], 0))
    if text.endswith("%") and len(text) > 1:
        # The percent sign as a small superscript: squeezed to full height beside two digits
        # it becomes a grey blob that also crowds the digits (unreadable at 16-22 px).
        digits = text_mask(font, text[:-1], (x1 - x0) * _PERCENT_SPLIT, y1 - y0)
        sign = text_mask(font, "%", (x1 - x0) * (1 - _PERCENT_SPLIT), digits.height * 0.6)
        gap = max(1, round(digits.height / 12))
        left = round((x0 + x1 - digits.width - gap - sign.width) / 2)
        top = round((y0 + y1 - digits.height) / 2)
        layer.paste(colour, (left, top, left + digits.width, top + digits.height), digits)
        sx = left + digits.width + gap
        layer.paste(colour, (sx, top, sx + sign.width, top + sign.height), sign)
    else:
        mask = text_mask(font, text, x1 - x0, y1 - y0)
        # Whole-pixel origin: the mask was sized in whole pixels, so its top and bottom edges
        # and the digit stems stay sharp instead of smearing over two rows.
        origin = (round((x0 + x1 - mask.width) / 2), round((y0 + y1 - mask.height) / 2))
        layer.paste(colour, (*origin, origin[0] + mask.width, origin[1] + mask.height), mask)
    image.alpha_composite(layer)


def _render_body_style(
    spec: BadgeSpec, size: int, px: int, font: ImageFont.FreeTypeFont
) -> Image.Image:
    look = _look(spec, size)
    image = _draw_shapes(spec, size, px * _SUPERSAMPLE, look).reduce(_SUPERSAMPLE)
    text = spec.text_at(size)
    if text:
        _paste_text(image, text, _text_box(spec, size, px), font, _rgba(look.text))
    return image


def _render_gauge_style(spec: BadgeSpec, size: int, px: int) -> Image.Image:
    """A ring in the level colour filled clockwise from 12 o'clock to the share left."""
    look = _look(spec)
    side = px * _SUPERSAMPLE
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    width = _RING_WIDTH * side
    # A dark rim under the whole ring keeps it visible on light and dark panels alike.
    draw.ellipse((0, 0, side - 1, side - 1), fill=_rgba(_mix(look.fill, _INK, 0.55)))
    inner = width * 0.22
    ring = (inner, inner, side - 1 - inner, side - 1 - inner)
    # A neutral track: the level colour shows only the share left, so 3 % left is a sliver
    # of red on grey, told apart at a glance from 80 % left in green.
    draw.ellipse(ring, fill=_rgba(_RING_TRACK))
    fraction = spec.fraction or 0.0
    if fraction > 0:
        draw.pieslice(ring, start=-90, end=-90 + 360 * fraction, fill=_rgba(look.fill))
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
    look = _Look(fill=(0, 0, 0), text=ink)
    if spec.kind is BadgeKind.NO_KEY:
        _draw_key(draw, side, look)
    elif spec.kind is BadgeKind.STARTING:
        _draw_ring(draw, side, _Look(fill=_mix(ink, _GREY, 0.5), text=ink))
    has_gauge = spec.has_gauge_at(size) and spec.level is not None
    if has_gauge:
        x0, y0, x1, y1 = _scaled(_MONO_GAUGE_BOX, side)
        radius = (y1 - y0) / 2
        # Track as an outline, the share left solid: no second colour needed.
        draw.rounded_rectangle((x0, y0, x1, y1), radius=radius, outline=_rgba(ink), width=1)
        fraction = spec.fraction or 0.0
        if fraction > 0:
            right = x0 + max(2 * radius, (x1 - x0) * fraction)
            draw.rounded_rectangle((x0, y0, right, y1), radius=radius, fill=_rgba(ink))
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
        _paste_text(image, text, box, font, _rgba(ink))
    return image


def render_badge(
    spec: BadgeSpec,
    size: int,
    font: ImageFont.FreeTypeFont | None = None,
    *,
    scale: int = 1,
    panel: Panel = Panel.LIGHT,
) -> Image.Image:
    """Draw `spec` as a new RGBA image of `size * scale` pixels square (no caching).

    `size` is the logical size (what the text and layout are chosen for), `scale` the HiDPI
    factor; `panel` matters only to the monochrome style. `font` is `load_badge_font()`; pass
    it when drawing many badges to load the font once.
    """
    if size < 8:
        raise ValueError(f"badge size must be at least 8 px, got {size}")
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"badge scale must be 1 to {MAX_SCALE}, got {scale}")
    px = size * scale
    font = font or load_badge_font()
    has_number = spec.kind in (BadgeKind.LEVEL, BadgeKind.STALE, BadgeKind.RATE_LIMITED)
    if spec.style is BadgeStyle.MONOCHROME:
        image = _render_monochrome(spec, size, px, font, panel)
    elif spec.style is BadgeStyle.GAUGE and has_number and spec.level is not None:
        image = _render_gauge_style(spec, size, px)
    else:
        image = _render_body_style(spec, size, px, font)
    if _greyed(spec, size):
        image.putalpha(image.getchannel("A").point(lambda a: round(a * STALE_OPACITY)))
    return image


class BadgeRenderer:
    """`render_badge` with a small LRU cache keyed by (spec, size, scale, panel).

    The tray asks for the same few badges over and over (one per poll); caching returns the very
    same image object, so callers must treat it as read-only (copy before drawing on it).
    `panel` is the default panel brightness for monochrome badges (set by the tray adapter from
    the desktop's colour scheme; `Panel.LIGHT` when unknown).
    """

    def __init__(self, max_entries: int = 32, *, panel: Panel = Panel.LIGHT) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max = max_entries
        self.panel = panel
        self._font: ImageFont.FreeTypeFont | None = None
        self._cache: OrderedDict[tuple[BadgeSpec, int, int, Panel], Image.Image] = OrderedDict()

    def render(
        self, spec: BadgeSpec, size: int, *, scale: int = 1, panel: Panel | None = None
    ) -> Image.Image:
        key = (spec, size, scale, panel or self.panel)
        image = self._cache.get(key)
        if image is not None:
            self._cache.move_to_end(key)
            return image
        if self._font is None:
            self._font = load_badge_font()
        image = render_badge(spec, size, self._font, scale=scale, panel=key[3])
        self._cache[key] = image
        if len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return image

    def __len__(self) -> int:
        return len(self._cache)
