"""`autostart_for`: the backend for each platform, the environment override, one status
shape for every backend, and an import of the package that has no side effects.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.autostart.fakes import FakeLaunchd, FakeWinreg
from tray_app.autostart import BACKEND_ENV, LaunchCommand, autostart_for, backend_name
from tray_app.autostart.linux import LinuxAutostart
from tray_app.autostart.macos import MacOSAutostart
from tray_app.autostart.windows import WindowsAutostart
from tray_app.config.model import ConfigError


@pytest.mark.parametrize(
    ("platform", "backend", "cls"),
    [
        ("linux", "linux", LinuxAutostart),
        ("freebsd14", "linux", LinuxAutostart),
        ("openbsd7", "linux", LinuxAutostart),
        ("darwin", "macos", MacOSAutostart),
        ("win32", "windows", WindowsAutostart),
        ("cygwin", "linux", LinuxAutostart),
    ],
)
def test_the_factory_picks_the_backend_for_each_platform(
    tmp_path: Path, platform: str, backend: str, cls: type
) -> None:
    assert backend_name(platform, {}) == backend
    autostart = autostart_for(
        platform,
        environ={},
        home=tmp_path,
        launcher=LaunchCommand((sys.executable,)),
        winreg_module=FakeWinreg(),
        run_command=FakeLaunchd(uid=501),
        uid=501,
    )
    assert type(autostart) is cls


@pytest.mark.parametrize(
    ("override", "cls"),
    [("windows", WindowsAutostart), (" MacOS ", MacOSAutostart), ("linux", LinuxAutostart)],
)
def test_the_environment_overrides_the_platform(tmp_path: Path, override: str, cls: type) -> None:
    platform = "darwin" if cls is LinuxAutostart else "linux"
    autostart = autostart_for(
        platform,
        environ={BACKEND_ENV: override},
        home=tmp_path,
        launcher=LaunchCommand((sys.executable,)),
        winreg_module=FakeWinreg(),
        uid=501,
    )
    assert type(autostart) is cls


def test_an_unknown_override_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"{BACKEND_ENV}='gnome'.*linux, macos, windows"):
        autostart_for(
            "linux",
            environ={BACKEND_ENV: "gnome"},
            home=tmp_path,
            launcher=LaunchCommand((sys.executable,)),
        )


def test_the_backends_share_one_status_shape(tmp_path: Path) -> None:
    """What the menu and the CLI rely on: each backend reports where its entry would be."""
    launcher = LaunchCommand((sys.executable,))
    locations = {}
    for name in ("linux", "macos", "windows"):
        autostart = autostart_for(
            environ={BACKEND_ENV: name},
            home=tmp_path,
            launcher=launcher,
            winreg_module=FakeWinreg(),
            run_command=FakeLaunchd(uid=501),
            uid=501,
        )
        status = autostart.status()
        assert (status.enabled, status.target_exists, status.command) == (False, False, ())
        locations[name] = status.location
    assert locations == {
        "linux": str(tmp_path / ".config" / "autostart" / "lensmor-tray.desktop"),
        "macos": str(tmp_path / "Library" / "LaunchAgents" / "com.lensmor.tray.plist"),
        "windows": r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\LensmorTray",
    }


@pytest.mark.skipif(sys.platform == "win32", reason="Windows' stdlib may load winreg itself")
def test_importing_the_package_has_no_side_effects() -> None:
    code = (
        "import sys, tray_app.autostart, tray_app.autostart.windows; "
        "print(sorted(m for m in ('winreg', 'gi', 'pystray') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
