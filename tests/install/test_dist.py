"""The wheel and the sdist (`make dist`), and the wheel installed with pipx as a user does.

The wheel is built once for the module (python -m build, from the sdist, like a packager) and
installed once with pipx into an empty HOME; the installed command then runs from a folder
outside the checkout with no PYTHONPATH, so it can only use what the wheel installed: the
catalogs, the badge font, the icons and the demo all have to be package data.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, Home, run_cli
from tests.support.installed_app import Installed, check_commands, check_demo_on_a_tray_host
from tray_app import __version__

BUILD_TIMEOUT_S = 300
pytestmark = pytest.mark.packaging

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the pipx test runs on Linux")
needs_tools = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("build", "twine", "pipx")),
    reason="build, twine and pipx are in the dev extra",
)


def changelog_versions() -> list[str]:
    """The versions of CHANGELOG.md's entries, newest first ("## 0.1.0 — unreleased")."""
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    return re.findall(r"^## \[?(\d+\.\d+\.\d+[^\]\s]*)\]?", text, re.MULTILINE)


def test_the_changelog_top_entry_is_the_version(home: Home) -> None:
    versions = changelog_versions()
    assert versions, "CHANGELOG.md has no '## <version>' entry"
    assert versions[0] == __version__, (
        f"CHANGELOG.md's top entry is {versions[0]}, the package is {__version__}: add an entry"
    )
    done = run_cli(home, "--version")
    assert done.code == 0, done.err
    assert done.out.strip() == f"lensmor-tray {versions[0]}"


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Built(
        wheel=out / f"lensmor_tray-{__version__}-py3-none-any.whl",
        sdist=out / f"lensmor_tray-{__version__}.tar.gz",
    )


@pytest.mark.slow
@needs_tools
def test_the_wheel_and_sdist_pass_twine_check(built: Built) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(built.wheel), str(built.sdist)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2, done.stdout


@pytest.mark.slow
@needs_tools
def test_the_wheel_carries_the_package_data(built: Built) -> None:
    names = set(zipfile.ZipFile(built.wheel).namelist())
    shipped = {
        f"tray_app/{p.relative_to(REPO / 'tray_app').as_posix()}"
        for pattern in ("assets/*", "locale/*/LC_MESSAGES/*.po", "locale/*.pot", "demo/*.py")
        for p in (REPO / "tray_app").glob(pattern)
    }
    assert shipped, "nothing matched: the patterns are out of date"
    assert shipped <= names, sorted(shipped - names)
    assert "tray_app/py.typed" in names
    # Nothing of the development tree rides along.
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n]
    entry_points = zipfile.ZipFile(built.wheel).read(
        f"lensmor_tray-{__version__}.dist-info/entry_points.txt"
    )
    assert b"lensmor-tray = tray_app.entry:main" in entry_points


@dataclass(frozen=True)
class PipxInstall:
    app: Installed
    home: Path
    env: dict[str, str]
    venv: Path


def pipx(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipx", *args],
        env=env,
        cwd=env["HOME"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def pipx_installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipxInstall]:
    home = tmp_path_factory.mktemp("pipx-home")
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PIPX_HOME": str(home / ".local/pipx"),
        "PIPX_BIN_DIR": str(home / ".local/bin"),
        "PIPX_MAN_DIR": str(home / ".local/share/man"),
        # pip's own download cache: a user's HOME is empty too, but the wheels need not come
        # over the network again for every test run.
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
    }
    done = pipx(env, "install", "--python", sys.executable, str(built.wheel))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    command = home / ".local/bin/lensmor-tray"
    assert command.is_file(), done.stdout
    yield PipxInstall(Installed(command), home, env, home / ".local/pipx/venvs/lensmor-tray")
    pipx(env, "uninstall", "lensmor-tray")


@linux_only
@pytest.mark.slow
@pytest.mark.timeout(900)
@needs_tools
def test_the_pipx_installed_wheel_runs_its_commands(
    pipx_installed: PipxInstall, tmp_path: Path
) -> None:
    # It runs the installed copy: the package, its assets and catalogs are in pipx's venv.
    python = pipx_installed.venv / "bin/python"
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import tray_app, tray_app.support.resources as r; print(tray_app.__file__); "
            "print(r.assets_dir()); print(r.find_app_icon(128))",
        ],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert len(where) == 3
    for path in where:
        assert Path(path).is_relative_to(pipx_installed.venv), where
        assert not Path(path).is_relative_to(REPO)
    check_commands(pipx_installed.app, tmp_path)


@linux_only
@pytest.mark.slow
@pytest.mark.desktop
@pytest.mark.timeout(900)
@needs_tools
def test_the_pipx_installed_demo_shows_its_badge_on_a_tray_host(
    pipx_installed: PipxInstall, tmp_path: Path
) -> None:
    check_demo_on_a_tray_host(pipx_installed.app, tmp_path)


@linux_only
@pytest.mark.slow
@pytest.mark.timeout(900)
@needs_tools
def test_pipx_uninstall_leaves_nothing_behind(pipx_installed: PipxInstall) -> None:
    # Last in the file: it removes what the tests above used.
    done = pipx(pipx_installed.env, "uninstall", "lensmor-tray")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not pipx_installed.app.command.exists()
    assert not pipx_installed.venv.exists()
    assert not shutil.which("lensmor-tray", path=str(pipx_installed.app.command.parent))
