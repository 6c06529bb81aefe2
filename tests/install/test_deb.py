"""The Debian package (`make deb`), installed with apt-get on this machine and removed again.

Built once for the module from a freshly built wheel (packaging/deb/build_deb.py), installed
with `apt-get install ./lensmor-tray_<version>_all.deb` (apt fetches Debian's python3-*
packages it depends on), then checked like the pipx install (tests/support/installed_app.py):
/usr/bin/lensmor-tray's commands, and the demo on a real tray host. The last test removes it
with apt-get and checks that every file the package had, and every file its scripts made, is
gone. Needs root and apt (as CI has): elsewhere it skips, on CI it fails.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.installed_app import (
    Installed,
    check_commands,
    check_demo_on_a_tray_host,
    leftover_files,
)
from tray_app import __version__

PACKAGE = "lensmor-tray"
APP_DIR = Path("/usr/share/lensmor-tray")
APT = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300"]
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def _why_not() -> str | None:
    if sys.platform != "linux" or shutil.which("apt-get") is None:
        return "not a Debian system (no apt-get)"
    if shutil.which("dpkg-deb") is None:
        return "dpkg-deb is missing"
    if os.geteuid() != 0:
        return "installing a .deb needs root (CI runs as root)"
    return None


def _require_apt() -> None:
    reason = _why_not()
    if reason is None:
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{reason} (CI is set, so this is a failure)", pytrace=False)
    pytest.skip(reason)


pytestmark = [pytest.mark.slow, pytest.mark.packaging, pytest.mark.timeout(900)]


def run(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=APT_ENV, capture_output=True, text=True, timeout=timeout, check=False
    )


def installed_files() -> list[str]:
    done = run(["dpkg", "-L", PACKAGE])
    return done.stdout.splitlines() if done.returncode == 0 else []


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_apt()
    out = tmp_path_factory.mktemp("deb")
    built = run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)])
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel = out / f"lensmor_tray-{__version__}-py3-none-any.whl"
    builder = REPO / "packaging/deb/build_deb.py"
    made = run([sys.executable, str(builder), "--wheel", str(wheel), "--out", str(out)])
    assert made.returncode == 0, made.stderr
    path = out / f"{PACKAGE}_{__version__}_all.deb"
    assert made.stdout.strip() == str(path)
    return path


@pytest.fixture(scope="module")
def installed(deb: Path) -> Iterator[Installed]:
    if installed_files():  # left by an earlier, interrupted run
        run([*APT, "purge", PACKAGE])
    # Package lists: a fresh machine may have none yet.
    run(["apt-get", "update", "-qq"])
    done = run([*APT, "install", "--no-install-recommends", str(deb)])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield Installed(Path("/usr/bin") / PACKAGE)
    if installed_files():
        run([*APT, "purge", PACKAGE])


def control_field(deb: Path, name: str) -> str:
    return run(["dpkg-deb", "--field", str(deb), name]).stdout.strip()


def test_the_package_is_for_all_architectures_and_uses_debians_libraries(deb: Path) -> None:
    assert control_field(deb, "Architecture") == "all"
    assert control_field(deb, "Version") == __version__
    depends = {d.split()[0] for d in control_field(deb, "Depends").split(", ")}
    assert {"python3", "python3-pil", "python3-apscheduler", "python3-babel"} <= depends
    assert {"python3-keyring", "python3-pystray", "python3-platformdirs"} <= depends
    # Too old in Debian 12 or not there: vendored, so not depended on.
    assert not depends & {"python3-urllib3", "python3-requests", "python3-dbus-fast"}
    contents = run(["dpkg-deb", "--contents", str(deb)]).stdout
    for path in (
        "./usr/bin/lensmor-tray",
        "./usr/share/applications/lensmor-tray.desktop",
        "./usr/share/icons/hicolor/128x128/apps/lensmor-tray.png",
        "./usr/share/man/man1/lensmor-tray.1.gz",
        "./usr/share/doc/lensmor-tray/copyright",
        "./usr/share/lensmor-tray/tray_app/assets/DejaVuSansCondensed-Bold.ttf",
        "./usr/share/lensmor-tray/tray_app/locale/de/LC_MESSAGES/lensmor-tray.po",
        "./usr/share/lensmor-tray/vendor/desktop_notifier/__init__.py",
    ):
        assert path in contents, path
    # Pure Python only: an Architecture: all package carries no compiled code.
    assert ".so\n" not in contents
    assert "__pycache__" not in contents


def test_the_installed_package_runs_its_commands(installed: Installed, tmp_path: Path) -> None:
    check_commands(installed, tmp_path)
    man = gzip.decompress(Path("/usr/share/man/man1/lensmor-tray.1.gz").read_bytes()).decode()
    assert f"lensmor-tray {__version__}" in man
    assert all(command in man for command in ("status", "doctor", "history", "demo"))


@pytest.mark.desktop
def test_the_installed_demo_shows_its_badge_on_a_tray_host(
    installed: Installed, tmp_path: Path
) -> None:
    check_demo_on_a_tray_host(installed, tmp_path)


def test_apt_get_remove_leaves_nothing_behind(installed: Installed) -> None:
    # Last in the file: it removes what the tests above used.
    listed = installed_files()
    assert str(installed.command) in listed
    compiled = list(APP_DIR.rglob("*.pyc"))
    assert compiled, "postinst byte-compiles the app"
    done = run([*APT, "remove", PACKAGE])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not installed_files()
    assert leftover_files(listed) == []
    assert not APP_DIR.exists(), sorted(str(p) for p in APP_DIR.rglob("*"))[:20]
    assert not Path("/usr/share/doc/lensmor-tray").exists()
