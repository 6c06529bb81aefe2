"""Building the PyInstaller bundle once and running it as a user would
(tests/install/test_bundle.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO, Home

SPEC = REPO / "packaging" / "lensmor-tray.spec"
BUILD_TIMEOUT_S = 600


@dataclass(frozen=True)
class Bundle:
    folder: Path
    executable: Path
    build_seconds: float

    @property
    def size_bytes(self) -> int:
        return sum(p.lstat().st_size for p in self.folder.rglob("*") if not p.is_dir())

    def archive_bytes(self) -> int:
        """The size of the tar.xz users download (what `make package` writes; xz's default
        level, as `tar -cJ` uses)."""
        archive = self.folder.parent / "bundle.tar.xz"
        if not archive.exists():
            with tarfile.open(archive, "w:xz") as tar:
                tar.add(self.folder, arcname=self.folder.name)
        return archive.stat().st_size


def bundle_env(home: Home, **extra: str) -> dict[str, str]:
    """The test HOME's environment minus PYTHONPATH: the bundle must not find the repo."""
    env = {k: v for k, v in home.env.items() if not k.startswith("PYTHON")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    if sys.platform == "win32":
        # Windows programs need SYSTEMROOT (sockets, crypto); the rest keeps files in HOME.
        env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", r"C:\Windows")
        env.update(
            USERPROFILE=str(home.root),
            APPDATA=str(home.root / ".config"),
            LOCALAPPDATA=str(home.root / ".local" / "share"),
            TEMP=home.env["TMPDIR"],
            TMP=home.env["TMPDIR"],
        )
    env.update(extra)
    return env


def run_bundle(
    bundle: Bundle,
    home: Home,
    *args: str,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bundle.executable), *args],
        env=env if env is not None else bundle_env(home),
        input=input_text,
        cwd=home.root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def build_bundle(root: Path) -> Bundle:
    """Build the bundle from the spec into `root` (from a working directory that is not the
    repo) and return where it is."""
    dist, work, cwd = root / "dist", root / "build", root / "cwd"
    cwd.mkdir()
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(SPEC),
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, f"PyInstaller failed:\n{done.stderr[-4000:]}"
    folder = dist / "lensmor-tray"
    executable = folder / ("lensmor-tray.exe" if sys.platform == "win32" else "lensmor-tray")
    assert executable.is_file(), f"no executable in {sorted(p.name for p in folder.iterdir())}"
    return Bundle(folder, executable, elapsed)
