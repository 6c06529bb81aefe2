"""Badge images as StatusNotifierItem pixmaps: `a(iiay)`, ARGB32 in network byte order.

Each size is drawn by the badge renderer for that size (a host picks the nearest size and
must not have to scale a 32 px image down to 16 px, which blurs the number). No files: the
pixels go over D-Bus.
"""

from __future__ import annotations

from PIL import Image

from tray_app.core.badge import BadgeSpec
from tray_app.tray.badge_renderer import BadgeRenderer

#: The sizes hosts ask for: GNOME 16, XFCE/KDE 22-24, waybar 24, gtk-sni-tray 32, HiDPI 48-64.
ICON_SIZES = (16, 22, 24, 32, 48, 64)

#: (width, height, ARGB32 bytes) as the `(iiay)` struct of `IconPixmap`.
Pixmap = tuple[int, int, bytes]


def argb32(image: Image.Image) -> bytes:
    """The pixels as A, R, G, B bytes per pixel, row by row (straight, not premultiplied)."""
    rgba = image.convert("RGBA")
    red, green, blue, alpha = rgba.split()
    return Image.merge("RGBA", (alpha, red, green, blue)).tobytes()


def pixmap(image: Image.Image) -> Pixmap:
    return image.width, image.height, argb32(image)


def badge_pixmaps(
    spec: BadgeSpec, renderer: BadgeRenderer, sizes: tuple[int, ...] = ICON_SIZES
) -> tuple[Pixmap, ...]:
    """One pixmap per size, each rendered at that size."""
    return tuple(pixmap(renderer.render(spec, size)) for size in sizes)
