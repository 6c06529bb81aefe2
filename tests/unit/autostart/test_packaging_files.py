"""The static packaging files that start the app at login or describe it: the Linux
.desktop launcher and AppStream metainfo, the macOS Info.plist, the Windows version resource,
and packaging/README.md naming every file.
"""

from __future__ import annotations

import ast
import plistlib
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import tray_app
from tests.unit.autostart.fakes import needs
from tray_app.autostart.linux import read_group, split_exec
from tray_app.autostart.macos import LABEL

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[3]
PACKAGING = ROOT / "packaging"


@needs("desktop-file-validate")
def test_the_linux_launcher_validates() -> None:
    path = PACKAGING / "linux" / "lensmor-tray.desktop"
    result = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    values = read_group(path.read_text(encoding="utf-8"))
    # It runs the console script the package installs.
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    program, *args = split_exec(values["Exec"])
    assert program in scripts
    assert values["TryExec"] in scripts
    from tray_app.cli.parser import build_parser

    assert build_parser().parse_args(args).command == "run"


@needs("appstreamcli")
def test_the_appstream_metainfo_validates() -> None:
    path = PACKAGING / "linux" / "com.lensmor.tray.metainfo.xml"
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_appstream_metainfo_matches_the_package() -> None:
    # Our own file, not untrusted input.
    root = ET.parse(PACKAGING / "linux" / "com.lensmor.tray.metainfo.xml").getroot()  # noqa: S314
    assert root.findtext("id") == "com.lensmor.tray"
    assert root.findtext("launchable") == "lensmor-tray.desktop"
    assert (PACKAGING / "linux" / "lensmor-tray.desktop").is_file()
    newest = root.find("releases/release")
    assert newest is not None
    assert newest.get("version") == tray_app.__version__


def test_the_macos_info_plist_hides_the_dock_icon() -> None:
    info = plistlib.loads((PACKAGING / "macos" / "Info.plist").read_bytes())
    assert info["LSUIElement"] is True
    assert info["CFBundleIdentifier"] == "com.lensmor.tray" == LABEL
    assert info["CFBundleShortVersionString"] == tray_app.__version__
    assert info["CFBundleVersion"] == tray_app.__version__
    assert info["CFBundlePackageType"] == "APPL"


def _version_calls(path: Path) -> dict[str, Any]:
    """The version numbers in a PyInstaller version file, read without running it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), mode="eval")
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "FixedFileInfo":
                for keyword in node.keywords:
                    if keyword.arg in ("filevers", "prodvers"):
                        found[keyword.arg] = ast.literal_eval(keyword.value)
            if node.func.id == "StringStruct":
                name, value = (ast.literal_eval(arg) for arg in node.args)
                found[name] = value
    return found


def test_the_windows_version_resource_matches_the_package() -> None:
    found = _version_calls(PACKAGING / "windows" / "version_info.txt")
    numbers = tuple(int(part) for part in tray_app.__version__.split("."))
    four = (*numbers, 0, 0, 0, 0)[:4]
    assert found["filevers"] == found["prodvers"] == four
    assert found["FileVersion"] == found["ProductVersion"] == ".".join(map(str, four))
    assert found["OriginalFilename"] == "lensmor-tray.exe"


def test_pyinstaller_reads_the_windows_version_resource() -> None:
    versioninfo = pytest.importorskip("PyInstaller.utils.win32.versioninfo")
    info = versioninfo.load_version_info_from_text_file(
        str(PACKAGING / "windows" / "version_info.txt")
    )
    assert info.toRaw()  # serialises into the binary resource the exe will carry


def test_the_packaging_readme_explains_every_file() -> None:
    readme = (PACKAGING / "README.md").read_text(encoding="utf-8")
    for path in sorted(PACKAGING.rglob("*")):
        if path.is_file() and path.name != "README.md":
            assert path.relative_to(PACKAGING).as_posix() in readme, path
