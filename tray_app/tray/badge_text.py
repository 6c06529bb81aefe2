"""The badge's text: the largest whole pixel size that fits a box, rasterised sharp and pasted
centred. Separate from the shapes (`tray.badge_drawing`) because it is the one part that
measures glyphs, and the part the badge font was chosen for.

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

Text is pixel-aligned: the glyphs are rasterised by FreeType at the whole pixel size chosen (so
the font's hinting snaps stems and the baseline to the pixel grid), and only narrowed
horizontally when the natural width does not fit, which leaves the rows sharp.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw, ImageFont

from tray_app.tray.badge_palette import RGBA

Box = tuple[float, float, float, float]

#: Text may be narrowed to this share of its natural width to be drawn taller.
MIN_SQUEEZE = 0.68
#: Share of the text box's width the digits of a percentage may take; the sign gets the rest.
_PERCENT_SPLIT = 0.7


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


def paste_text(
    image: Image.Image, text: str, box: Box, font: ImageFont.FreeTypeFont, colour: RGBA
) -> None:
    """Composite `text` in `colour` onto `image`, as large as fits `box` and centred in it (a
    trailing "%" as a small superscript)."""
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
