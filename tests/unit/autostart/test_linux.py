"""Start at login on Linux: the XDG autostart entry for real (validated, parsed per the
spec and by GLib, started, removed, repaired), the Exec quoting both ways, the icon.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit.autostart.fakes import (
    CANARY_KEY,
    FakeLaunchd,
    argument_text,
    make_launcher,
    needs,
    posix_only,
    user_env,
    wait_for,
)
from tray_app.autostart import (
    AUTOSTART_ARGS,
    BACKEND_ENV,
    Autostart,
    AutostartStatus,
    LaunchCommand,
    autostart_for,
)
from tray_app.autostart.linux import (
    ICON_NAME,
    LinuxAutostart,
    find_app_icon,
    read_group,
    render_exec,
    split_exec,
)

# A directory name with every character the Desktop Entry spec treats specially, but no "%":
# GLib (and so GNOME) looks for the program before expanding "%%" and cannot start such a path.
# Windows file names cannot hold the characters in the second half.
AWKWARD_DIR = "Ana Maria's $HOME `x` ;&#(1)~" + (
    "" if os.name == "nt" else ' "q" back\\slash |<>*?'
)


@pytest.fixture
def linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Autostart, Path]:
    script, marker = make_launcher(tmp_path / AWKWARD_DIR)
    autostart = autostart_for(
        "linux",
        environ=user_env(tmp_path, monkeypatch),
        home=tmp_path / "home",
        launcher=LaunchCommand((str(script),)),
    )
    return autostart, marker


def entry_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "autostart" / "lensmor-tray.desktop"


@needs("desktop-file-validate")
def test_enable_writes_an_entry_that_validates(
    linux: tuple[Autostart, Path], tmp_path: Path
) -> None:
    autostart, _ = linux
    status = autostart.enable()

    path = entry_path(tmp_path)
    assert status == AutostartStatus(
        enabled=True,
        location=str(path),
        detail="starts at login",
        target_exists=True,
        command=status.command,
    )
    result = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    values = read_group(path.read_text(encoding="utf-8"))
    assert values["Type"] == "Application"
    assert values["Terminal"] == "false"
    assert values["X-GNOME-Autostart-enabled"] == "true"
    assert values["X-GNOME-Autostart-Delay"] == "5"
    assert values["Name"] == "Lensmor Tray"
    assert values["Comment"]
    assert values["Categories"] == "Utility;"


@posix_only
def test_the_exec_line_parsed_per_the_spec_starts_the_launcher(
    linux: tuple[Autostart, Path], tmp_path: Path
) -> None:
    autostart, marker = linux
    autostart.enable()
    argv = split_exec(read_group(entry_path(tmp_path).read_text(encoding="utf-8"))["Exec"])
    assert argv[-2:] == ["run", "--autostart"]
    assert Path(argv[0]).parent.name == AWKWARD_DIR

    subprocess.run(argv, check=True, timeout=30, env={})
    assert json.loads(wait_for(marker)) == argv


@posix_only
def test_a_launcher_path_with_percent_signs_survives_the_field_codes(tmp_path: Path) -> None:
    script, marker = make_launcher(tmp_path / "100% sure %f")
    path = tmp_path / "autostart" / "lensmor-tray.desktop"
    LinuxAutostart(path=path, launcher=LaunchCommand((str(script),)), icon=ICON_NAME).enable()
    exec_value = read_group(path.read_text(encoding="utf-8"))["Exec"]
    assert "100%% sure %%f" in exec_value
    argv = split_exec(exec_value)
    subprocess.run(argv, check=True, timeout=30, env={})
    assert json.loads(wait_for(marker)) == [str(script), *AUTOSTART_ARGS]


@needs("gio")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="`gio launch` is XDG-only")
def test_glib_starts_the_entry_like_a_session_would(
    linux: tuple[Autostart, Path], tmp_path: Path
) -> None:
    """GLib's own Exec parser (what gnome-session uses) agrees with ours."""
    autostart, marker = linux
    status = autostart.enable()
    result = subprocess.run(
        ["gio", "launch", str(entry_path(tmp_path))],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path / "home")},
    )
    assert result.returncode == 0, result.stderr
    assert tuple(json.loads(wait_for(marker))) == status.command


def test_the_entry_never_contains_the_api_key(
    linux: tuple[Autostart, Path], tmp_path: Path
) -> None:
    autostart, _ = linux
    autostart.enable()
    text = entry_path(tmp_path).read_text(encoding="utf-8")
    assert CANARY_KEY not in text
    assert "LENSMOR_API_KEY" not in text


def test_enabling_twice_is_harmless(linux: tuple[Autostart, Path], tmp_path: Path) -> None:
    autostart, _ = linux
    first = autostart.enable()
    text = entry_path(tmp_path).read_text(encoding="utf-8")
    second = autostart.enable()

    assert first == second
    assert second.enabled
    assert entry_path(tmp_path).read_text(encoding="utf-8") == text
    # The atomic write leaves no temporary files behind.
    assert sorted(p.name for p in entry_path(tmp_path).parent.iterdir()) == ["lensmor-tray.desktop"]


def test_disable_removes_the_entry(linux: tuple[Autostart, Path], tmp_path: Path) -> None:
    autostart, _ = linux
    autostart.enable()
    status = autostart.disable()

    assert not entry_path(tmp_path).exists()
    assert (status.enabled, status.target_exists, status.command) == (False, False, ())
    assert status.location == str(entry_path(tmp_path))
    assert autostart.disable() == status  # twice is harmless too
    assert autostart.status() == status


def test_a_missing_launcher_is_reported_and_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = user_env(tmp_path, monkeypatch)
    old, _ = make_launcher(tmp_path / "old venv" / "bin")
    new, _ = make_launcher(tmp_path / "new venv" / "bin")
    home = tmp_path / "home"
    autostart_for("linux", environ=env, home=home, launcher=LaunchCommand((str(old),))).enable()
    old.unlink()

    current = autostart_for("linux", environ=env, home=home, launcher=LaunchCommand((str(new),)))
    broken = current.status()
    assert (broken.enabled, broken.target_exists) == (False, False)
    assert broken.command[0] == str(old)
    assert "missing launcher" in broken.detail
    assert str(old) in broken.detail

    repaired = current.enable()
    assert (repaired.enabled, repaired.target_exists) == (True, True)
    assert repaired.command == (str(new), *AUTOSTART_ARGS)
    assert f"repaired: it pointed at missing {old}" in repaired.detail


def test_an_entry_of_another_installation_counts_but_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = user_env(tmp_path, monkeypatch)
    other, _ = make_launcher(tmp_path / "pipx" / "bin")
    this, _ = make_launcher(tmp_path / "dev" / "bin")
    home = tmp_path / "home"
    autostart_for("linux", environ=env, home=home, launcher=LaunchCommand((str(other),))).enable()

    status = autostart_for(
        "linux", environ=env, home=home, launcher=LaunchCommand((str(this),))
    ).status()
    assert status.enabled
    assert "not this installation" in status.detail
    assert str(other) in status.detail


@pytest.mark.parametrize(
    ("key", "value"),
    [("Hidden", "true"), ("X-GNOME-Autostart-enabled", "false")],
)
def test_an_entry_switched_off_counts_as_disabled_until_enabled(
    linux: tuple[Autostart, Path], tmp_path: Path, key: str, value: str
) -> None:
    autostart, _ = linux
    autostart.enable()
    path = entry_path(tmp_path)
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if "=" not in line]
    kept = [line for line in path.read_text(encoding="utf-8").split("\n") if "=" in line]
    kept = [line for line in kept if not line.startswith(f"{key}=")]
    path.write_text("\n".join([*lines[:2], *kept, f"{key}={value}", ""]), encoding="utf-8")

    off = autostart.status()
    assert (off.enabled, off.target_exists) == (False, True)
    assert "switched off" in off.detail

    assert autostart.enable().enabled
    assert read_group(path.read_text(encoding="utf-8")).get("Hidden") is None


@pytest.mark.parametrize(
    ("xdg_config_home", "expected"),
    [
        (None, "home/.config/autostart/lensmor-tray.desktop"),
        ("", "home/.config/autostart/lensmor-tray.desktop"),
        ("relative/dir", "home/.config/autostart/lensmor-tray.desktop"),  # the spec: ignore it
        ("ABS", "xdg/autostart/lensmor-tray.desktop"),
    ],
)
def test_the_entry_goes_where_the_xdg_spec_says(
    tmp_path: Path, xdg_config_home: str | None, expected: str
) -> None:
    environ = {}
    if xdg_config_home is not None:
        environ["XDG_CONFIG_HOME"] = (
            str(tmp_path / "xdg") if xdg_config_home == "ABS" else xdg_config_home
        )
    launcher = LaunchCommand((sys.executable, "-m", "tray_app"))
    status = autostart_for(
        "linux", environ=environ, home=tmp_path / "home", launcher=launcher
    ).status()
    assert status.location == str(tmp_path / expected)


@needs("desktop-file-validate")
def test_the_entry_names_the_installed_icon_by_absolute_path(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    for name in ("app-icon-16.png", "app-icon-256.png", "app-icon-512.png", "badge-1.png"):
        (assets / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    icon = find_app_icon(assets)
    assert icon == str(assets / "app-icon-256.png")

    script, _ = make_launcher(tmp_path / "bin")
    path = tmp_path / "autostart" / "lensmor-tray.desktop"
    LinuxAutostart(path=path, launcher=LaunchCommand((str(script),)), icon=icon).enable()
    assert read_group(path.read_text(encoding="utf-8"))["Icon"] == icon
    result = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_the_icon_falls_back_to_a_themed_name(tmp_path: Path) -> None:
    assert find_app_icon(tmp_path / "missing") == ICON_NAME
    (tmp_path / "readme.txt").write_text("no icons here", encoding="utf-8")
    assert find_app_icon(tmp_path) == ICON_NAME
    (tmp_path / "app-icon-64.png").write_bytes(b"\x89PNG")
    assert find_app_icon(tmp_path) == str(tmp_path / "app-icon-64.png")
    # Whatever the package ships, the default lookup gives an existing PNG or the name.
    default = find_app_icon()
    assert default == ICON_NAME or (Path(default).is_absolute() and Path(default).is_file())


@example(["/opt/100% app/run", "%f", "%%", "50%", "%U"])
@example(["/opt/app", "", " ", 'say "hi"', "a\\b", "$HOME", "`id`", "line\nbreak", "tab\there"])
@given(st.lists(argument_text, min_size=1, max_size=5))
def test_exec_quoting_round_trips_any_argv(argv: list[str]) -> None:
    rendered = render_exec(argv)
    assert "\n" not in rendered  # one line in the file, whatever the argv holds
    assert split_exec(rendered) == argv


@pytest.mark.parametrize(
    ("exec_value", "argv"),
    [
        # The spec's own examples of escaping, as they appear in a file.
        (r'"/opt/my app/run" --name "a \\"b\\""', ["/opt/my app/run", "--name", 'a "b"']),
        (r'sh -c "echo \\$HOME \\\\ \\`x\\`"', ["sh", "-c", "echo $HOME \\ `x`"]),
        ("app --ratio 100%% %U", ["app", "--ratio", "100%"]),
        ("app\\s--flag", ["app", "--flag"]),
    ],
)
def test_split_exec_reads_hand_written_entries(exec_value: str, argv: list[str]) -> None:
    assert split_exec(exec_value) == argv


@pytest.mark.parametrize("exec_value", ['"unterminated', "", "%U"])
def test_split_exec_rejects_broken_lines(exec_value: str) -> None:
    with pytest.raises(ValueError, match="Exec"):
        split_exec(exec_value)


def test_a_broken_entry_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "lensmor-tray.desktop"
    path.write_text('[Desktop Entry]\nType=Application\nExec="/opt/app\n', encoding="utf-8")
    autostart = LinuxAutostart(path=path, launcher=LaunchCommand((sys.executable,)))
    status = autostart.status()
    assert (status.enabled, status.target_exists) == (False, False)
    assert "broken entry" in status.detail
    assert autostart.enable().enabled  # and enable replaces it


@pytest.mark.parametrize("backend", ["linux", "macos"])
def test_an_unwritable_entry_folder_is_reported_not_raised(tmp_path: Path, backend: str) -> None:
    # A file where the folder should be fails for root too (permissions would not).
    home = tmp_path / "home"
    home.mkdir()
    (home / ".config").write_text("not a folder", encoding="utf-8")
    (home / "Library").write_text("not a folder", encoding="utf-8")
    autostart = autostart_for(
        environ={BACKEND_ENV: backend},
        home=home,
        launcher=LaunchCommand((sys.executable,)),
        run_command=FakeLaunchd(uid=501),
        uid=501,
    )
    for status in (autostart.enable(), autostart.disable()):
        assert (status.enabled, status.command) == (False, ())
    assert "could not write" in autostart.enable().detail
