"""How the Usage window loads matplotlib (tray_app/windows/plotting.py): the import leaves TkAgg
chosen and matplotlib's own docstring function as it was, and a bundle keeps matplotlib's
font list between starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tray_app.windows.plotting import MATPLOTLIB_CACHE, keep_font_cache


def test_the_import_chooses_tkagg_and_puts_kwdoc_back() -> None:
    pytest.importorskip("matplotlib")
    # A fresh interpreter: the import and the backend choice are once per process.
    code = (
        "import inspect, sys\n"
        "import matplotlib.artist\n"
        "real = matplotlib.artist.kwdoc\n"
        "from tray_app.windows.plotting import import_plotting\n"
        "import_plotting()\n"
        "import matplotlib\n"
        "from matplotlib.lines import Line2D\n"
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


def test_without_matplotlib_the_import_error_reaches_the_window(tmp_path: Path) -> None:
    # A matplotlib that cannot be imported, first on the path: what a build without it does.
    hidden = tmp_path / "matplotlib"
    hidden.mkdir()
    (hidden / "__init__.py").write_text("raise ImportError('left out of this build')\n")
    code = (
        "from tray_app.windows.plotting import import_plotting\n"
        "try:\n"
        "    import_plotting()\n"
        "except ImportError as exc:\n"
        "    print('ImportError:', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": f"{tmp_path}:{REPO}", "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ImportError: left out of this build"


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
