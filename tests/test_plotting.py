"""The Usage window's matplotlib loader (tray_app/ui/plotting.py): the import runs on a worker
thread and its outcome reaches the window's thread; the real import leaves TkAgg chosen and
matplotlib's own docstring function as it was; the bundle keeps matplotlib's font list."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tray_app.ui.plotting import MATPLOTLIB_CACHE, PlottingLoader, keep_font_cache

from .conftest import REPO


def test_the_import_runs_on_another_thread_and_says_when_done() -> None:
    ran_on: list[str] = []
    release = threading.Event()

    def importer() -> None:
        ran_on.append(threading.current_thread().name)
        release.wait(10)

    loader = PlottingLoader(importer)
    loader.start()
    assert not loader.wait(0.05)
    assert not loader.done
    with pytest.raises(RuntimeError, match="not finished"):
        loader.missing()
    release.set()
    assert loader.wait(10)
    assert loader.done
    assert loader.missing() is None
    assert ran_on == ["import-matplotlib"]
    assert threading.current_thread().name != ran_on[0]


def test_without_matplotlib_the_window_gets_the_import_error() -> None:
    def importer() -> None:
        raise ImportError("No module named 'matplotlib'")

    loader = PlottingLoader(importer)
    loader.start()
    assert loader.wait(10)
    missing = loader.missing()
    assert isinstance(missing, ImportError)
    assert "matplotlib" in str(missing)


def test_a_broken_matplotlib_is_raised_on_the_windows_thread() -> None:
    def importer() -> None:
        raise ValueError("Key backend: 'TkAgg' is not a valid value")

    loader = PlottingLoader(importer)
    loader.start()
    assert loader.wait(10)
    with pytest.raises(ValueError, match="not a valid value"):
        loader.missing()


def test_the_real_import_chooses_tkagg_and_puts_kwdoc_back() -> None:
    pytest.importorskip("matplotlib")
    # A fresh interpreter: the import and the backend choice are once per process.
    code = (
        "import sys\n"
        "import matplotlib.artist\n"
        "real = matplotlib.artist.kwdoc\n"
        "from tray_app.ui.plotting import PlottingLoader\n"
        "loader = PlottingLoader()\n"
        "loader.start()\n"
        "assert loader.wait(60) and loader.missing() is None\n"
        "import matplotlib\n"
        "from matplotlib.lines import Line2D\n"
        "import inspect\n"
        "print(matplotlib.get_backend().lower())\n"
        "print('matplotlib.backends.backend_tkagg' in sys.modules)\n"
        "print(matplotlib.artist.kwdoc is real)\n"
        "print('linewidth' in inspect.signature(Line2D.set).parameters)\n"
        "print('linewidth' in real(Line2D))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["tkagg", "True", "True", "True", "True"]


def test_a_bundle_keeps_the_font_list_in_the_apps_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PyInstaller's run-time hook has set a temporary folder by the time our code runs.
    environ = {"MPLCONFIGDIR": str(tmp_path / "_MEIabc123")}
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    keep_font_cache(environ, tmp_path / "cache")
    assert environ == {"MPLCONFIGDIR": str(tmp_path / "cache" / MATPLOTLIB_CACHE)}


def test_outside_a_bundle_matplotlib_keeps_its_own_folder(tmp_path: Path) -> None:
    assert not getattr(sys, "frozen", False)
    environ = {"MPLCONFIGDIR": "/home/me/.mpl"}
    keep_font_cache(environ, tmp_path)
    assert environ == {"MPLCONFIGDIR": "/home/me/.mpl"}
    environ = {}
    keep_font_cache(environ, tmp_path)
    assert environ == {}
