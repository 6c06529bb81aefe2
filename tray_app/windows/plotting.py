"""Loads matplotlib and its Tk backend for the Usage window, as cheaply as it can be.

Importing matplotlib with TkAgg is most of what the Usage window spends before its chart is
painted (~0.6 s of CPU here, docs/benchmarks.md). The window imports it once it is on screen
(`UsageWindow._make_chart`). Importing it on a worker thread while the window is built was
measured and dropped: both threads need the GIL, so the window came up to 0.7 s later and the
chart no sooner on this 2-core machine.

Only the Usage window's process uses this module: the tray never imports matplotlib
(tests/unit/windows/test_usage_window.py).
"""

from __future__ import annotations

import sys
from collections.abc import MutableMapping
from pathlib import Path

#: Where the bundle keeps matplotlib's font list, under the app's cache folder.
MATPLOTLIB_CACHE = "matplotlib"


def import_plotting() -> None:
    """Import everything the chart uses, with the TkAgg backend chosen.

    Raises ImportError when matplotlib (or its Tk backend) is not installed."""
    import matplotlib.artist

    # At import, matplotlib writes every Artist subclass's `set()` docstring, listing all its
    # properties (`artist.kwdoc`, about 100 classes): ~0.25 s of CPU here, a third of the
    # import, for help() text this process never shows. matplotlib PR #23686 made it cheaper;
    # there is no switch to skip it, so `kwdoc` is blank while the rest is imported. The
    # signatures of `set()` are still built, and the original is put back afterwards.
    real_kwdoc = matplotlib.artist.kwdoc
    matplotlib.artist.kwdoc = _no_property_list
    try:
        matplotlib.use("TkAgg")
        import matplotlib.backends.backend_tkagg
        import matplotlib.collections
        import matplotlib.dates
        import matplotlib.figure
        import matplotlib.ticker
    finally:
        matplotlib.artist.kwdoc = real_kwdoc


def _no_property_list(artist: object) -> str:
    """`kwdoc` during the import: no property list (same signature, for the type checker)."""
    return ""


def keep_font_cache(environ: MutableMapping[str, str], cache_dir: Path) -> None:
    """In a PyInstaller bundle, give matplotlib a lasting folder for its font list.

    PyInstaller's matplotlib run-time hook (`pyi_rth_mplconfig`) sets MPLCONFIGDIR to a new
    temporary folder at every start, for one-file bundles whose font paths change each run. So
    each Usage window of our one-folder bundle first rebuilt the font list (~2.3 s). Our
    bundle's paths are fixed; if it moves, matplotlib rebuilds a list whose fonts are missing.
    Outside a bundle matplotlib's own cache folder is used, as for any program."""
    if getattr(sys, "frozen", False):
        environ["MPLCONFIGDIR"] = str(cache_dir / MATPLOTLIB_CACHE)


def default_cache_dir() -> Path:
    import platformdirs

    from tray_app.config.model import APP_NAME

    return platformdirs.user_cache_path(APP_NAME, appauthor=False)
