"""The badge as the tray gets it: the bundled badge font loaded once, each badge drawn by
`render_badge` and kept in a small cache, and the application icon from the shipped assets.

Separate from the drawing (`tray.badge_drawing`, which only draws with the font it is given)
because this is the side with files and state: the assets are read through
`support.resources`, and a `BadgeRenderer` holds the font and the images it has drawn. Why the
font is DejaVu Sans Condensed Bold: `tray.badge_text`.
"""

from __future__ import annotations

import io
from collections import OrderedDict

from PIL import Image, ImageFont

from tray_app.core.badge import BadgeSpec
from tray_app.support import resources
from tray_app.tray.badge_drawing import render_badge
from tray_app.tray.badge_palette import Panel

FONT_FILE = "DejaVuSansCondensed-Bold.ttf"
APP_ICON_FILE = "app-icon.png"

#: The badge font is loaded at this size; `text_mask` measures the ink at it to choose the
#: whole pixel size each text is then rasterised at (the same choice at every badge size).
_REFERENCE_PX = 160


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
    path = resources.asset_path(FONT_FILE)
    if path is not None:
        return str(path)
    return io.BytesIO(resources.asset_bytes(FONT_FILE))


def app_icon(size: int) -> Image.Image:
    """The application icon (not the badge) as an RGBA image of `size` x `size`."""
    # Opened from memory, so there is no file handle to close.
    master = Image.open(io.BytesIO(resources.asset_bytes(APP_ICON_FILE)))
    return master.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)


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
