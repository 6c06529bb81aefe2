"""Loads matplotlib and its Tk backend for the Usage window, on a worker thread.

Importing matplotlib with TkAgg is most of what the Usage window spends before its chart is
painted (~0.5 s of CPU here, docs/benchmarks.md). The window starts a `PlottingLoader` before
it creates Tk, so the import runs while Tk connects to the display, the history is read and
the window is mapped (those wait on the X server and SQLite, and Tcl and SQLite release the
GIL meanwhile); the window draws the chart on its own thread once the loader is done. Nothing
here touches Tk: matplotlib's Tk canvas is made on the main thread.

Only the Usage window's process uses this module: the tray never imports matplotlib
(tests/test_usage_window.py).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, MutableMapping
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
    # Looking a font up the first time scores every installed font; the answer is cached
    # for the process (`FontManager._findfont_cached`), so do it here rather than in the
    # first render on the main thread.
    from matplotlib import font_manager

    font_manager.findfont(font_manager.FontProperties(size=8))


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


class PlottingLoader:
    """Runs `importer` (default `import_plotting`) once on a daemon thread.

    `start()` begins; `done` says whether it has finished; `missing()` then returns the
    ImportError if matplotlib is not installed (the window shows its summary without the
    chart), None when it loaded, and raises anything else the import raised on the caller's
    thread, as an import there would have.
    """

    def __init__(self, importer: Callable[[], None] = import_plotting) -> None:
        self._importer = importer
        self._finished = threading.Event()
        self._error: BaseException | None = None
        # A daemon: closing the window before the import ends must not wait for it.
        self._thread = threading.Thread(target=self._run, name="import-matplotlib", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    def missing(self) -> ImportError | None:
        if not self.done:
            raise RuntimeError("the plotting import has not finished")
        if self._error is None or isinstance(self._error, ImportError):
            return self._error
        raise self._error

    def _run(self) -> None:
        try:
            self._importer()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread by missing()
            self._error = exc
        finally:
            self._finished.set()


def default_cache_dir() -> Path:
    import platformdirs

    from tray_app.settings import APP_NAME

    return platformdirs.user_cache_path(APP_NAME, appauthor=False)
