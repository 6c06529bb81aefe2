"""Shared fixtures: an isolated HOME for every test that touches files, and a CLI runner that
starts the real `lensmor-tray` in a child process (so exit codes, stdout and stderr are what a
user sees)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

# Shared fixtures: `rig` (a real Monitor over the simulated API with an injected clock) and
# `self_signed_https` (a TLS server that verification must refuse).
pytest_plugins = ["tests.support.rig", "tests.support.tls"]

REPO = Path(__file__).resolve().parent.parent

CANARY_KEY = "uak_CANARYcanary0123456789abcdWXYZ"


@dataclass
class Home:
    """A temporary HOME with its XDG folders; `env` is a clean environment for child processes."""

    root: Path
    env: dict[str, str]

    @property
    def config_dir(self) -> Path:
        return self.root / ".config" / "lensmor-tray"

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def data_dir(self) -> Path:
        return self.root / ".local" / "share" / "lensmor-tray"

    def write_config(self, text: str) -> Path:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(text)
        return self.config_file


def make_home(root: Path, extra: Mapping[str, str] | None = None) -> Home:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "TMPDIR": str(root / "tmp"),
        "XDG_CONFIG_HOME": str(root / ".config"),
        "XDG_DATA_HOME": str(root / ".local" / "share"),
        "XDG_STATE_HOME": str(root / ".local" / "state"),
        "XDG_CACHE_HOME": str(root / ".cache"),
        "XDG_RUNTIME_DIR": str(root / "run"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO),
        # No OS keyring unless a test picks one: keys fall back to the 0600 file.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for sub in ("tmp", ".config", ".local/share", ".local/state", ".cache", "run"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "run").chmod(0o700)
    env.update(extra or {})
    return Home(root, env)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path / "home")


@pytest.fixture
def isolated_home(home: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    """The same temporary HOME applied to this process (for in-process tests of file paths)."""
    for name in list(os.environ):
        if name.startswith("XDG_") or name.startswith("LENSMOR_"):
            monkeypatch.delenv(name)
    for name, value in home.env.items():
        if name != "PATH":
            monkeypatch.setenv(name, value)
    return home


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(
    home: Home,
    *args: str,
    input_text: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> CliResult:
    full_env = dict(home.env)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "tray_app", *args],
        input=input_text if input_text is not None else "",
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=home.root,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
