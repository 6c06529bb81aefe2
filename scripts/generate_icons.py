#!/usr/bin/env python3
"""Draw the lensmor-tray application icon and derive every file the packagers need from it.

The design lives in `draw_master()` below (code, not a binary source): a dark rounded square
holding a gauge ring that is three-quarters full, the same visual language as the tray badge.
From that 1024 px master this script writes

    <out>/app-icon-1024.png            the master
    <out>/png/app-icon-<N>.png         N = 16 22 24 32 48 64 128 256 512
    <out>/app-icon.ico                 Windows, 16..256 px in one file
    <out>/app-icon.icns                macOS, 32..1024 px (16@2x .. 512@2x) in one file
    <package-dir>/app-icon.png         the master, for `tray_app.tray.badge_renderer.app_icon()`
    <package-dir>/app-icon-<N>.png     N = 128 256: the sizes notifications and the autostart
                                       entry pick, so no one scales a 1024 px image at run time
    <package-dir>/app-icon.ico         Windows notifications load an .ico, not a PNG

The package files are copies of the files of the same name or size in <out>, written by the
same run, so the two folders cannot drift apart.

Defaults are the repository's `assets/` and `tray_app/assets/`. `--check` regenerates in memory
and exits 1 if any committed file no longer matches, so CI can catch a design change that was
not regenerated (or a hand-edited output).

Usage: python scripts/generate_icons.py [--out DIR] [--package-dir DIR] [--check]
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageStat

REPO = Path(__file__).resolve().parents[1]
MASTER_SIZE = 1024
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
PACKAGE_PNG_SIZES = (128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an .ico entry can be
# Pillow's ICNS writer stores these pixel sizes (ic07..ic14: 16@2x is the 32 px entry).
ICNS_SIZES = (32, 64, 128, 256, 512, 1024)
# Four-times supersampling gives the ring smooth edges; 4096 px is drawn once per run.
_SUPERSAMPLE = 4
# A regenerated image may differ at antialiased edges between Pillow releases; a design change
# (a colour, the needle's angle) moves the mean difference per channel well above this.
_CHECK_MEAN_TOLERANCE = 0.5

_BACKGROUND_TOP = (38, 50, 56)
_BACKGROUND_BOTTOM = (69, 90, 100)
_TRACK = (96, 125, 139)
_GAUGE = (102, 187, 106)
_NEEDLE = (255, 255, 255)


def _vertical_gradient(
    size: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    column = Image.new("RGB", (1, size))
    for y in range(size):
        t = y / (size - 1)
        column.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    return column.resize((size, size), Image.Resampling.NEAREST)


def draw_master() -> Image.Image:
    """The 1024 px RGBA master icon."""
    side = MASTER_SIZE * _SUPERSAMPLE
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, side - 1, side - 1), radius=0.22 * side, fill=255)
    image = _vertical_gradient(side, _BACKGROUND_TOP, _BACKGROUND_BOTTOM).convert("RGBA")
    image.putalpha(mask)

    draw = ImageDraw.Draw(image)
    # A speedometer-style gauge: a 270 degree track open at the bottom, 3/4 of it lit.
    inset, width = 0.17 * side, round(0.12 * side)
    ring = (inset, inset, side - inset, side - inset)
    start, sweep = 135, 270
    draw.arc(ring, start=start, end=start + sweep, fill=_TRACK, width=width)
    draw.arc(ring, start=start, end=start + sweep * 0.75, fill=_GAUGE, width=width)
    # Round caps at both ends of the lit arc, so it reads as one stroke at 16 px too.
    _round_cap(draw, ring, width, start, _GAUGE)
    _round_cap(draw, ring, width, start + sweep * 0.75, _GAUGE)
    _round_cap(draw, ring, width, start + sweep, _TRACK)
    # A needle pointing at the end of the lit arc, pivoting on a white hub: with it the ring
    # reads as a fuel gauge ("how much is left"), without it as a generic donut.
    centre = side / 2
    angle = math.radians(start + sweep * 0.75)
    reach, half_base = 0.25 * side, 0.055 * side
    tip = (centre + reach * math.cos(angle), centre + reach * math.sin(angle))
    normal = (-math.sin(angle) * half_base, math.cos(angle) * half_base)
    draw.polygon(
        [tip, (centre + normal[0], centre + normal[1]), (centre - normal[0], centre - normal[1])],
        fill=_NEEDLE,
    )
    hub = 0.085 * side
    draw.ellipse((centre - hub, centre - hub, centre + hub, centre + hub), fill=_NEEDLE)
    # Averaging 4 x 4 blocks is exact coverage antialiasing for flat shapes (and fast).
    return image.reduce(_SUPERSAMPLE)


def _round_cap(
    draw: ImageDraw.ImageDraw,
    ring: tuple[float, float, float, float],
    width: int,
    angle_deg: float,
    colour: tuple[int, int, int],
) -> None:
    cx, cy = (ring[0] + ring[2]) / 2, (ring[1] + ring[3]) / 2
    radius = (ring[2] - ring[0]) / 2 - width / 2
    x = cx + radius * math.cos(math.radians(angle_deg))
    y = cy + radius * math.sin(math.radians(angle_deg))
    r = width / 2
    draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def build(master: Image.Image) -> Iterator[tuple[str, str, bytes]]:
    """Every output as (destination, relative path, bytes); destination is "out" or "package"."""
    sizes = {*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES, *PACKAGE_PNG_SIZES}
    # Each size is reduced from the master once (LANCZOS: the sharpest small icons) and used by
    # every file that holds it, so the .ico, the .icns and the PNG of one size are the same.
    small = {
        s: master if s == master.width else master.resize((s, s), Image.Resampling.LANCZOS)
        for s in sizes
    }
    master_png = _png_bytes(master)
    png = {s: _png_bytes(small[s]) for s in {*PNG_SIZES, *PACKAGE_PNG_SIZES}}
    yield "out", f"app-icon-{MASTER_SIZE}.png", master_png
    for size in PNG_SIZES:
        yield "out", f"png/app-icon-{size}.png", png[size]
    ico = io.BytesIO()
    ico_frames = [small[s] for s in ICO_SIZES]
    ico_frames[-1].save(
        ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=ico_frames[:-1]
    )
    yield "out", "app-icon.ico", ico.getvalue()
    icns = io.BytesIO()
    master.save(icns, format="ICNS", append_images=[small[s] for s in ICNS_SIZES])
    yield "out", "app-icon.icns", icns.getvalue()
    yield "package", "app-icon.png", master_png
    for size in PACKAGE_PNG_SIZES:
        yield "package", f"app-icon-{size}.png", png[size]
    yield "package", "app-icon.ico", ico.getvalue()


def icon_frames(image: Image.Image) -> dict[int, Image.Image]:
    """Every entry of an opened PNG, ICO or ICNS file as RGBA, keyed by pixel width."""
    if image.format == "ICO":
        ico = image.ico  # type: ignore[attr-defined]  # IcoImageFile's reader
        return {w: ico.getimage((w, h)).convert("RGBA") for w, h in image.info["sizes"]}
    if image.format == "ICNS":
        icns = image.icns  # type: ignore[attr-defined]  # IcnsImageFile's reader
        return {
            w * scale: icns.getimage((w, h, scale)).convert("RGBA")
            for w, h, scale in image.info["sizes"]
        }
    return {image.width: image.convert("RGBA")}


def _same_pixels(path: Path, expected: bytes) -> bool:
    """True if the file at `path` decodes to the image in `expected` (within rounding)."""
    if not path.is_file():
        return False
    with Image.open(path) as current, Image.open(io.BytesIO(expected)) as fresh:
        if current.format != fresh.format:
            return False
        now, want = icon_frames(current), icon_frames(fresh)
    if now.keys() != want.keys():
        return False
    for size, frame in want.items():
        diff = ImageStat.Stat(ImageChops.difference(now[size], frame))
        if max(diff.mean) > _CHECK_MEAN_TOLERANCE:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "assets", help="default: assets/")
    parser.add_argument(
        "--package-dir",
        type=Path,
        default=REPO / "tray_app" / "assets",
        help="where the wheel's copy of the master goes; default: tray_app/assets/",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any output is out of date"
    )
    args = parser.parse_args(argv)
    roots = {"out": args.out, "package": args.package_dir}

    stale = []
    for dest, relative, data in build(draw_master()):
        path = roots[dest] / relative
        if args.check:
            if not _same_pixels(path, data):
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path} ({len(data):,} bytes)")
    if stale:
        for path in stale:
            print(f"out of date: {path}", file=sys.stderr)
        print("run: python scripts/generate_icons.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
