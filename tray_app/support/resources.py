"""Files shipped in `tray_app/assets`, looked up at call time (wheel, editable install, bundle).

One place decides which rendering of the app icon a consumer gets, so the notifier, the
autostart entry and the settings window agree on names and sizes; the badge renderer reads the
badge font and the app icon master through it too.
"""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

ICON_STEM = "app-icon"


def assets_dir() -> Path | None:
    """The assets folder as a real directory, or None (e.g. a zipped package): other processes
    (the notification server, the desktop's autostart) need a path they can open."""
    root = importlib.resources.files("tray_app") / "assets"
    return root if isinstance(root, Path) and root.is_dir() else None


def asset_path(name: str) -> Path | None:
    """The file `name` in the assets as a path on disk (an installed package, the PyInstaller
    bundle), or None when the package is not made of files (a zip import): then read its
    bytes with `asset_bytes`. Whether the file exists is left to whoever opens it."""
    source = importlib.resources.files("tray_app") / "assets" / name
    return source if isinstance(source, Path) else None


def asset_bytes(name: str) -> bytes:
    """The bytes of a file shipped in `tray_app/assets/` (works from a wheel or a zip)."""
    return (importlib.resources.files("tray_app") / "assets" / name).read_bytes()


def find_app_icon(
    preferred_px: int, *, suffix: str = ".png", directory: Path | None = None
) -> Path | None:
    """The `app-icon*<suffix>` best suited to `preferred_px`, as an absolute path, or None.

    Order: a sized rendering (`app-icon-128.png`) between half and twice the preferred size,
    closest first; then the unsized master (`app-icon.png`); then any other size, closest first.
    """
    folder = directory if directory is not None else assets_dir()
    if folder is None:
        return None
    try:
        icons = [
            p
            for p in folder.iterdir()
            if p.name.lower().startswith(ICON_STEM) and p.suffix.lower() == suffix and p.is_file()
        ]
    except OSError:
        return None
    if not icons:
        return None
    return min(icons, key=lambda p: _rank(p, preferred_px)).resolve()


def _rank(path: Path, preferred_px: int) -> tuple[int, int, str]:
    match = re.search(r"(\d+)", path.stem)
    if match is None:
        return (1, 0, path.name)
    size = int(match.group(1))
    tier = 0 if preferred_px / 2 <= size <= preferred_px * 2 else 2
    return (tier, abs(size - preferred_px), path.name)
