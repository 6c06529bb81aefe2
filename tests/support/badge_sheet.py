"""Badge sheets: every style at every size for a spread of balances, drawn on dark and light
panels, and read back with tesseract (one process per batch, one page per badge).

Used by tests/unit/tray/test_badge_ocr.py and runnable by hand to look at the design::

    .venv/bin/python -m tests.support.badge_sheet   # writes test-artifacts/badges/*.png
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

from tray_app.core.badge import BadgeKind, BadgeSpec, BadgeStyle, badge_for_balance, state_badge
from tray_app.core.levels import Level
from tray_app.tray.badge_palette import Panel, badge_text_colour
from tray_app.tray.badge_renderer import BadgeRenderer

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "badges"

#: (logical size, HiDPI scale): what the hosts ask for. 16/20/24/32 on Windows per DPI,
#: 22/24 on Linux panels, 32/48/64 SNI pixmaps, 16@2x and 22@2x for HiDPI and macOS.
SIZES: tuple[tuple[int, int], ...] = (
    (16, 1),
    (20, 1),
    (22, 1),
    (24, 1),
    (32, 1),
    (48, 1),
    (64, 1),
    (16, 2),
    (22, 2),
)
TEXT_STYLES = (BadgeStyle.NUMBER, BadgeStyle.PERCENT, BadgeStyle.MONOCHROME)
ALL_STYLES = (*TEXT_STYLES, BadgeStyle.GAUGE)
#: The panel colours the badges are shown on (Adwaita's dark top bar, a light XFCE panel).
PANEL_RGB = {Panel.DARK: (30, 30, 30), Panel.LIGHT: (240, 240, 240)}
TOTAL = 35_050


@dataclass(frozen=True)
class Case:
    name: str
    credits: int | None  # None: the key was rejected
    total: int
    level: Level
    stale: bool = False


CASES = (
    Case("950", 950, TOTAL, Level.CRITICAL),
    Case("12,500", 12_500, TOTAL, Level.LOW),
    Case("28,550", 28_550, TOTAL, Level.OK),
    Case("1.2M", 1_200_000, 1_500_000, Level.OK),
    Case("0", 0, TOTAL, Level.DEPLETED),
    Case("stale", 28_550, TOTAL, Level.OK, stale=True),
    Case("rejected", None, TOTAL, Level.CRITICAL),
)


def spec_for(case: Case, style: BadgeStyle) -> BadgeSpec:
    if case.credits is None:
        return state_badge(BadgeKind.KEY_REJECTED, style)
    fraction = case.credits / case.total
    return badge_for_balance(case.credits, fraction, case.level, stale=case.stale, style=style)


@dataclass(frozen=True)
class Shot:
    """One badge as a host shows it: composited on the panel colour."""

    style: BadgeStyle
    panel: Panel
    case: Case
    size: int
    scale: int
    spec: BadgeSpec
    image: Image.Image  # RGB, size*scale square, on the panel colour
    badge: Image.Image  # the RGBA badge itself

    @property
    def expected(self) -> str:
        return self.spec.text_at(self.size)

    @property
    def expected_reading(self) -> str:
        """What OCR should read: a percentage's sign is a small superscript that tesseract
        skips, so only its digits are expected (the sign is checked by `reading_of`)."""
        return self.expected.removesuffix("%")

    def reading_of(self, text: str) -> str:
        """`text` as compared with `expected_reading` (a read "%" sign is allowed)."""
        if self.style is BadgeStyle.PERCENT:
            return text.removesuffix("%").removesuffix(".")
        return text

    @property
    def label(self) -> str:
        where = f"{self.case.name}@{self.size}x{self.scale}"
        return f"{self.style.value}/{self.panel.name.lower()}/{where}"


def shots(
    styles: Iterable[BadgeStyle], panels: Iterable[Panel] = (Panel.DARK, Panel.LIGHT)
) -> list[Shot]:
    renderer = BadgeRenderer(max_entries=1024)
    out = []
    for style in styles:
        for panel in panels:
            for case in CASES:
                spec = spec_for(case, style)
                for size, scale in SIZES:
                    badge = renderer.render(spec, size, scale=scale, panel=panel)
                    shown = Image.new("RGBA", badge.size, (*PANEL_RGB[panel], 255))
                    shown.alpha_composite(badge)
                    out.append(
                        Shot(style, panel, case, size, scale, spec, shown.convert("RGB"), badge)
                    )
    return out


def ink_of(shot: Shot) -> tuple[int, int, int]:
    """The colour the badge's text is drawn in (what a reader looks for)."""
    if shot.style is BadgeStyle.MONOCHROME:
        return shot.panel.foreground
    return badge_text_colour(shot.spec, shot.size)


def for_ocr(shot: Shot, target_px: int = 80) -> Image.Image:
    """The badge as tesseract reads it best: a grey map of closeness to the text colour (dark
    text on white), magnified with bicubic filtering the way GTK and Windows scale tray icons,
    on a white margin.

    Only the text's ink is dark: the body (any level colour), the panel around it and the gauge
    track are white; the gauge fill and the markers are drawn in the text colour and stay
    dark, like a reader would see them.
    """
    ink = Image.new("RGB", shot.image.size, ink_of(shot))
    closeness = ImageChops.difference(shot.image, ink).convert("L").point(lambda v: min(255, 3 * v))
    if shot.style is not BadgeStyle.MONOCHROME:
        # Outside the body is the panel, not the text: a light panel is as light as white ink.
        outside = shot.badge.getchannel("A").point(lambda a: 255 if a < 128 else 0)
        closeness.paste(255, (0, 0, *closeness.size), outside)
    factor = max(1, round(target_px / shot.image.width))
    big = closeness.resize(
        (closeness.width * factor, closeness.height * factor), Image.Resampling.BICUBIC
    )
    margin = target_px // 2
    page = Image.new("L", (big.width + 2 * margin, big.height + 2 * margin), 255)
    page.paste(big, (margin, margin))
    return page


def ocr(
    images: Sequence[Image.Image], *, psm: int = 6, whitelist: str = "0123456789.kM%!?"
) -> list[str]:
    """Read each image: one tesseract process, one page per image (pages split at form feeds).

    Returns each page's first line without spaces (a stale badge's clock marker may be read as
    a second line "0").
    """
    with tempfile.TemporaryDirectory(prefix="badge-ocr-") as tmp:
        root = Path(tmp)
        paths = []
        for i, image in enumerate(images):
            path = root / f"{i:04d}.png"
            image.save(path)
            paths.append(str(path))
        listing = root / "pages.txt"
        listing.write_text("\n".join(paths) + "\n")
        result = subprocess.run(
            [
                "tesseract",
                str(listing),
                "stdout",
                "--psm",
                str(psm),
                "-c",
                f"tessedit_char_whitelist={whitelist}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        )
    pages = result.stdout.split("\f")
    texts = [
        (page.strip().splitlines() or [""])[0].replace(" ", "") for page in pages[: len(images)]
    ]
    if len(texts) != len(images):
        raise AssertionError(f"tesseract returned {len(texts)} pages for {len(images)} images")
    return texts


def contact_sheet(items: Sequence[Shot], title: str) -> Image.Image:
    """Rows: style x panel x case; columns: sizes. Each badge at its true size and magnified."""
    cell_w, row_h, label_w = 200, 140, 190
    rows: list[list[Shot]] = []
    for shot in items:
        if not rows or (rows[-1][0].style, rows[-1][0].panel, rows[-1][0].case) != (
            shot.style,
            shot.panel,
            shot.case,
        ):
            rows.append([])
        rows[-1].append(shot)
    sheet = Image.new("RGB", (label_w + cell_w * len(SIZES), 30 + row_h * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((8, 8), title, fill="black")
    for c, (size, scale) in enumerate(SIZES):
        draw.text((label_w + c * cell_w + 4, 18), f"{size} px x{scale}", fill="black")
    for r, row in enumerate(rows):
        y = 30 + r * row_h
        panel_rgb = PANEL_RGB[row[0].panel]
        draw.rectangle((0, y, sheet.width, y + row_h - 4), fill=panel_rgb)
        ink = (255, 255, 255) if row[0].panel is Panel.DARK else (0, 0, 0)
        draw.text((6, y + 6), f"{row[0].style.value} / {row[0].panel.name.lower()}", fill=ink)
        draw.text((6, y + 22), row[0].case.name, fill=ink)
        for c, shot in enumerate(row):
            # True size at the left, then magnified (whole-pixel blocks) to about 128 px.
            x = label_w + c * cell_w
            sheet.paste(shot.image, (x + 4, y + 6))
            z = max(1, 128 // shot.image.width)
            big = shot.image.resize(
                (shot.image.width * z, shot.image.height * z), Image.Resampling.NEAREST
            )
            sheet.paste(big, (x + 4 + shot.image.width + 6, y + 6))
    return sheet


def write_sheets(directory: Path = ARTIFACTS) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for style in ALL_STYLES:
        path = directory / f"badges-{style.value}.png"
        contact_sheet(shots([style]), f"badge style {style.value}").save(path)
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - a tool for looking at the design
    for path in write_sheets():
        print(path)
