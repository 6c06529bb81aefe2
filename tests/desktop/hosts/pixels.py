"""Reading an item's pixels as a host and a user would: SNI pixmaps, screenshots, OCR.

* `pixmap_image` decodes an `IconPixmap` entry (ARGB32 in network byte order, per the
  StatusNotifierItem spec) into an RGBA image.
* `read_badge_text` OCRs a badge with tesseract (see `ink_image` for how the glyphs are
  separated from the body). Several upscales are tried; every reading is returned, the caller
  checks that the expected text is among them. A clipped or smeared digit does not come back
  at any scale.
* `find_colour` locates the badge on a screenshot by its fill colour.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image, ImageChops, ImageOps, ImageStat

from tray_app.tray.badge_palette import text_colour_on

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]

# No "B": the tests never show billions, and tesseract reads a small "3" as "B".
OCR_CHARACTERS = "0123456789.kM"
OCR_SCALES = (6, 8, 12)


def pixmap_image(width: int, height: int, data: bytes | Sequence[int]) -> Image.Image:
    raw = bytes(data)
    if len(raw) != width * height * 4:
        raise ValueError(f"pixmap {width}x{height} has {len(raw)} bytes, not {width * height * 4}")
    # ARGB, big-endian per pixel: Pillow's "ARGB" raw mode is exactly that byte order.
    return Image.frombytes("RGBA", (width, height), raw, "raw", "ARGB")


def pixmaps_by_size(pixmaps: Iterable[Sequence[object]]) -> dict[int, Image.Image]:
    """{width: image} of an IconPixmap property (a list of (width, height, bytes))."""
    out = {}
    for width, height, data in pixmaps:
        out[int(width)] = pixmap_image(int(width), int(height), data)  # type: ignore[arg-type,call-overload]
    return out


def badge_fill(badge: Image.Image) -> RGB:
    """The body colour: the most common fully opaque colour."""
    raw = badge.convert("RGBA").tobytes()
    counts = Counter(
        (raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 4) if raw[i + 3] == 255
    )
    return counts.most_common(1)[0][0] if counts else (128, 128, 128)


def ink_image(badge: Image.Image, scale: int) -> Image.Image:
    """Dark glyphs on white, `scale` times larger, with a white margin for tesseract.

    A grey map of each pixel's closeness to the text colour (the renderer's own choice for the
    body, `tray.badge_palette.text_colour_on`), magnified with bicubic filtering the way panels
    scale icons: the same preparation as the renderer's OCR test (tests/support/badge_sheet.py).
    A hard threshold of a 22 px badge merged "30.1k" into blobs tesseract read as nothing.
    """
    fill = badge_fill(badge)
    rgba = badge.convert("RGBA")
    flat = Image.new("RGB", rgba.size, fill)
    flat.paste(rgba, (0, 0), rgba)
    ink = Image.new("RGB", rgba.size, text_colour_on(fill))
    closeness = ImageChops.difference(flat, ink).convert("L").point(lambda v: min(255, 3 * v))
    big = closeness.resize((badge.width * scale, badge.height * scale), Image.Resampling.BICUBIC)
    return ImageOps.expand(big, border=badge.width * scale // 2, fill=255)


def tesseract_line(image: Image.Image) -> str:
    with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
        path = Path(tmp) / "line.png"
        image.save(path)
        done = subprocess.run(
            [
                "tesseract",
                str(path),
                "-",
                "--psm",
                "6",  # a block: 7 (one line) stumbles over the gauge bar under the digits
                "-c",
                f"tessedit_char_whitelist={OCR_CHARACTERS}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    return done.stdout.strip()


def read_lines(image: Image.Image) -> str:
    """What tesseract reads in a screenshot's region of text (a menu): dark text on light,
    twice the size, no character whitelist."""
    grey = image.convert("L")
    if ImageStat.Stat(grey).mean[0] < 128:  # light text on a dark theme
        grey = ImageOps.invert(grey)
    big = grey.resize((grey.width * 2, grey.height * 2), Image.Resampling.BICUBIC)
    with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
        path = Path(tmp) / "lines.png"
        big.save(path)
        done = subprocess.run(
            ["tesseract", str(path), "-", "--psm", "6"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    return done.stdout


def read_badge_text(badge: Image.Image, save_as: Path | None = None) -> list[str]:
    """What tesseract reads on the badge at each upscale; the first prepared image is saved."""
    readings = []
    for i, scale in enumerate(OCR_SCALES):
        prepared = ink_image(badge, scale)
        if save_as is not None and i == 0:
            prepared.save(save_as)
        readings.append(tesseract_line(prepared))
    return readings


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def find_colour(image: Image.Image, colour: RGB, region: Box, tolerance: int = 40) -> Box | None:
    """Bounding box (in `image` coordinates) of the pixels within `tolerance` of `colour` in
    `region`, or None when fewer than 12 such pixels exist (a few anti-aliased pixels of
    another badge do not count)."""
    crop = image.convert("RGB").crop(region)
    raw = crop.tobytes()
    xs, ys = [], []
    width = crop.width
    limit = tolerance * tolerance
    for i in range(0, len(raw), 3):
        d = (
            (raw[i] - colour[0]) ** 2
            + (raw[i + 1] - colour[1]) ** 2
            + (raw[i + 2] - colour[2]) ** 2
        )
        if d <= limit:
            n = i // 3
            xs.append(n % width)
            ys.append(n // width)
    if len(xs) < 12:
        return None
    return (
        region[0] + min(xs),
        region[1] + min(ys),
        region[0] + max(xs) + 1,
        region[1] + max(ys) + 1,
    )
