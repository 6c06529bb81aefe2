"""Start at login: the XDG entry for real (validated, run, removed), the LaunchAgent through a
fake launchctl, the Run key through a fake winreg with the real module's shape, the factory, the
launcher resolution, and the static packaging files.
"""

from __future__ import annotations

import ast
import errno
import json
import os
import plistlib
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import tray_app
from tests.support.waiting import poll_until
from tray_app.autostart import (
    AUTOSTART_ARGS,
    BACKEND_ENV,
    Autostart,
    AutostartStatus,
    LaunchCommand,
    autostart_for,
    backend_name,
    resolve_launch_command,
)
from tray_app.autostart.linux import (
    ICON_NAME,
    LinuxAutostart,
    find_app_icon,
    read_group,
    render_exec,
    split_exec,
)
from tray_app.autostart.macos import LABEL, LAUNCHCTL, MacOSAutostart
from tray_app.autostart.windows import (
    APPROVED_ENABLED,
    APPROVED_KEY,
    LOCATION,
    RUN_KEY,
    VALUE_NAME,
    WindowsAutostart,
    split_command_line,
)
from tray_app.config.model import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[3]
PACKAGING = ROOT / "packaging"
CANARY_KEY = "uak_canary_0123456789abcdef_must_never_be_written"
# A directory name with every character the Desktop Entry spec treats specially, but no "%":
# GLib (and so GNOME) looks for the program before expanding "%%" and cannot start such a path.
# Windows file names cannot hold the characters in the second half.
AWKWARD_DIR = "Ana Maria's $HOME `x` ;&#(1)~" + (
    "" if os.name == "nt" else ' "q" back\\slash |<>*?'
)


def needs(tool: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(shutil.which(tool) is None, reason=f"{tool} is not installed")


posix_only = pytest.mark.skipif(os.name != "posix", reason="runs a #! script")


def make_launcher(directory: Path, name: str = "lensmor tray launcher") -> tuple[Path, Path]:
    """A stand-in for the installed launcher: writes the argv it was started with to a marker.

    The marker path is baked into the script because a login entry passes no environment.
    """
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / name
    marker = directory.parent / f"{directory.name}.started.json"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"open({str(marker)!r}, 'w', encoding='utf-8').write(json.dumps(sys.argv))\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script, marker


def wait_for(path: Path, timeout: float = 10.0) -> str:
    def text() -> str | None:
        if path.exists() and path.stat().st_size:
            return path.read_text(encoding="utf-8")
        return None

    return poll_until(text, timeout, f"{path} to appear")


def user_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A private HOME/XDG_CONFIG_HOME, with a canary API key in the environment."""
    monkeypatch.setenv("LENSMOR_API_KEY", CANARY_KEY)
    return {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "LENSMOR_API_KEY": CANARY_KEY,
    }


# --- Linux: the XDG autostart entry, for real ---------------------------------------------------


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


# The spec forbids nothing but NUL in an argument; a UTF-8 file cannot hold lone surrogates.
argument_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))


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


# --- macOS: the LaunchAgent, with a fake launchctl -------------------------------------------


class FakeLaunchd:
    """Stands in for `subprocess.run` of /bin/launchctl, keeping launchd's state for one agent.

    Answers like the real tool: `print` of an unknown service exits 113, `bootstrap` of a loaded
    one exits 5 ("Input/output error"), `bootout` stops the running process and unloads.
    """

    def __init__(self, *, uid: int) -> None:
        self.service = f"gui/{uid}/{LABEL}"
        self.domain = f"gui/{uid}"
        self.calls: list[list[str]] = []
        self.loaded = False
        self.pid: int | None = None
        self.fail: dict[str, tuple[int, str]] = {}
        self.raises: BaseException | None = None

    def __call__(self, argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert kwargs == {"capture_output": True, "text": True, "timeout": 15.0, "check": False}
        self.calls.append(list(argv))
        if self.raises is not None:
            raise self.raises
        assert argv[0] == LAUNCHCTL
        verb = argv[1]
        if verb in self.fail:
            code, stderr = self.fail[verb]
            return subprocess.CompletedProcess(argv, code, "", stderr)
        if verb == "print":
            assert argv[2:] == [self.service]
            if not self.loaded:
                return self.done(argv, 113, err=f'Could not find service "{LABEL}" in domain')
            state = f"\tstate = running\n\tpid = {self.pid}\n" if self.pid else "\tstate = idle\n"
            return self.done(argv, 0, out=f"{self.service} = {{\n{state}}}\n")
        if verb == "bootstrap":
            assert argv[2] == self.domain
            assert Path(argv[3]).is_file()
            if self.loaded:
                return self.done(argv, 5, err="Bootstrap failed: 5: Input/output error")
            self.loaded = True
            return self.done(argv, 0)
        if verb == "bootout":
            assert argv[2:] == [self.service]
            self.loaded, self.pid = False, None
            return self.done(argv, 0)
        raise AssertionError(f"unexpected launchctl call {argv}")

    @staticmethod
    def done(
        argv: Sequence[str], code: int, out: str = "", err: str = ""
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(list(argv), code, out, err)


@pytest.fixture
def mac(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Autostart, FakeLaunchd, Path]:
    launchd = FakeLaunchd(uid=501)
    script, _ = make_launcher(tmp_path / "Lensmor Tray.app" / "Contents" / "MacOS")
    autostart = autostart_for(
        "darwin",
        environ=user_env(tmp_path, monkeypatch),
        home=tmp_path / "home",
        launcher=LaunchCommand((str(script),)),
        run_command=launchd,
        uid=501,
    )
    return autostart, launchd, script


def agent_file(tmp_path: Path) -> Path:
    return tmp_path / "home" / "Library" / "LaunchAgents" / "com.lensmor.tray.plist"


def test_the_launch_agent_reads_back_field_by_field(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    autostart, _, script = mac
    status = autostart.enable()

    path = agent_file(tmp_path)
    agent = plistlib.loads(path.read_bytes())
    assert agent == {
        "Label": "com.lensmor.tray",
        "ProgramArguments": [str(script), "run", "--autostart"],
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
    }
    assert status == AutostartStatus(
        True, str(path), "starts at login", True, (str(script), "run", "--autostart")
    )
    assert CANARY_KEY.encode() not in path.read_bytes()
    if os.name == "posix":  # launchd ignores agents writable by group or others
        assert stat.S_IMODE(path.stat().st_mode) & 0o022 == 0


def test_enable_bootstraps_the_agent_once(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    autostart, launchd, _ = mac
    autostart.enable()
    assert launchd.calls == [
        [LAUNCHCTL, "print", "gui/501/com.lensmor.tray"],
        [LAUNCHCTL, "bootstrap", "gui/501", str(agent_file(tmp_path))],
    ]
    launchd.calls.clear()
    again = autostart.enable()
    assert launchd.calls == [[LAUNCHCTL, "print", "gui/501/com.lensmor.tray"]]
    assert (again.enabled, again.detail) == (True, "starts at login")


def test_disable_boots_out_an_idle_agent_and_removes_the_file(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    autostart, launchd, _ = mac
    autostart.enable()
    launchd.calls.clear()
    status = autostart.disable()

    assert launchd.calls == [
        [LAUNCHCTL, "print", "gui/501/com.lensmor.tray"],
        [LAUNCHCTL, "bootout", "gui/501/com.lensmor.tray"],
    ]
    assert not launchd.loaded
    assert not agent_file(tmp_path).exists()
    assert (status.enabled, status.detail) == (False, "no LaunchAgent")
    launchd.calls.clear()
    assert not autostart.disable().enabled  # twice: nothing loaded, nothing to boot out
    assert launchd.calls == [[LAUNCHCTL, "print", "gui/501/com.lensmor.tray"]]


def test_disable_leaves_the_running_app_alone(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    """Booting out the agent would kill the tray app that the user is clicking in."""
    autostart, launchd, _ = mac
    autostart.enable()
    launchd.pid = 4242
    launchd.calls.clear()
    status = autostart.disable()

    assert [call[1] for call in launchd.calls] == ["print"]
    assert launchd.pid == 4242
    assert not agent_file(tmp_path).exists()
    assert not status.enabled
    assert "pid 4242" in status.detail


@pytest.mark.parametrize(
    "failure",
    [
        (5, "Bootstrap failed: 5: Input/output error"),
        (37, "Bootstrap failed: 37: Operation already in progress"),
    ],
)
def test_a_launchctl_failure_is_reported_not_raised(
    mac: tuple[Autostart, FakeLaunchd, Path], failure: tuple[int, str]
) -> None:
    autostart, launchd, _ = mac
    launchd.fail["bootstrap"] = failure
    status = autostart.enable()
    # The plist is in place, so the next login starts the app; the detail says what failed.
    assert status.enabled
    assert f"launchctl bootstrap failed (exit {failure[0]}): {failure[1]}" in status.detail


@pytest.mark.parametrize(
    "error",
    [
        FileNotFoundError(errno.ENOENT, "No such file or directory", LAUNCHCTL),
        subprocess.TimeoutExpired([LAUNCHCTL, "print"], 15.0),
    ],
)
def test_a_launchctl_that_cannot_run_is_reported_not_raised(
    mac: tuple[Autostart, FakeLaunchd, Path], error: BaseException
) -> None:
    autostart, launchd, _ = mac
    launchd.raises = error
    enabled = autostart.enable()
    assert enabled.enabled
    assert "launchctl print could not run" in enabled.detail
    disabled = autostart.disable()
    assert not disabled.enabled
    assert "launchctl print could not run" in disabled.detail


def test_a_launch_agent_with_a_missing_program_is_reported_and_repaired(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    autostart, _, script = mac
    path = agent_file(tmp_path)
    path.parent.mkdir(parents=True)
    gone = tmp_path / "deleted venv" / "bin" / "lensmor-tray"
    path.write_bytes(plistlib.dumps({"Label": LABEL, "ProgramArguments": [str(gone)]}))
    broken = autostart.status()
    assert (broken.enabled, broken.target_exists, broken.command) == (False, False, (str(gone),))

    path.write_bytes(
        plistlib.dumps({"Label": LABEL, "RunAtLoad": True, "ProgramArguments": [str(gone)]})
    )
    broken = autostart.status()
    assert "missing launcher" in broken.detail

    repaired = autostart.enable()
    assert (repaired.enabled, repaired.command[0]) == (True, str(script))
    assert f"repaired: it pointed at missing {gone}" in repaired.detail


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"not a plist", "unreadable LaunchAgent"),
        (plistlib.dumps({"Label": LABEL}), "no ProgramArguments"),
        (plistlib.dumps({"ProgramArguments": [], "RunAtLoad": True}), "no ProgramArguments"),
    ],
)
def test_a_broken_launch_agent_is_reported(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path, content: bytes, detail: str
) -> None:
    autostart, _, _ = mac
    agent_file(tmp_path).parent.mkdir(parents=True)
    agent_file(tmp_path).write_bytes(content)
    status = autostart.status()
    assert not status.enabled
    assert detail in status.detail


def test_a_launch_agent_marked_disabled_counts_as_disabled(
    mac: tuple[Autostart, FakeLaunchd, Path], tmp_path: Path
) -> None:
    autostart, _, _ = mac
    autostart.enable()
    agent = plistlib.loads(agent_file(tmp_path).read_bytes())
    agent_file(tmp_path).write_bytes(plistlib.dumps({**agent, "Disabled": True}))
    status = autostart.status()
    assert (status.enabled, status.target_exists) == (False, True)
    assert "Disabled" in status.detail


# --- Windows: the Run key, with a fake winreg ----------------------------------------------------


class FakeHKEY:
    """Like winreg.PyHKEY: a handle that remembers its access rights and closes in `with`."""

    def __init__(self, registry: FakeWinreg, path: tuple[int, str], access: int) -> None:
        self._registry = registry
        self.path = path
        self.access = access
        self.closed = False
        registry.open_handles += 1

    def Close(self) -> None:
        if not self.closed:
            self.closed = True
            self._registry.open_handles -= 1

    def __enter__(self) -> FakeHKEY:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.Close()

    def __bool__(self) -> bool:
        return not self.closed


class FakeWinreg:
    """The slice of `winreg` the backend uses, with the real signatures (positional-only where
    CPython's are), constants, value types and errors: a missing key or value raises
    FileNotFoundError, a handle without the right access PermissionError, as on Windows.
    """

    HKEY_CURRENT_USER = 0x80000001
    HKEY_LOCAL_MACHINE = 0x80000002
    KEY_QUERY_VALUE = 0x0001
    KEY_SET_VALUE = 0x0002
    KEY_CREATE_SUB_KEY = 0x0004
    KEY_READ = 0x20019
    KEY_WRITE = 0x20006
    KEY_ALL_ACCESS = 0xF003F
    REG_SZ = 1
    REG_EXPAND_SZ = 2
    REG_BINARY = 3
    REG_DWORD = 4

    def __init__(self) -> None:
        # (root, lower-cased key path) -> {lower-cased value name: (value, type)}
        self.keys: dict[tuple[int, str], dict[str, tuple[object, int]]] = {}
        self.read_only: set[str] = set()
        self.open_handles = 0

    # Helpers for the tests, not part of winreg.
    def put(self, sub_key: str, name: str, value: object, kind: int) -> None:
        self._create(self.HKEY_CURRENT_USER, sub_key)[name.lower()] = (value, kind)

    def get(self, sub_key: str, name: str) -> tuple[object, int] | None:
        values = self.keys.get((self.HKEY_CURRENT_USER, sub_key.lower()), {})
        return values.get(name.lower())

    def _create(self, root: int, sub_key: str) -> dict[str, tuple[object, int]]:
        parts = sub_key.lower().split("\\")
        for depth in range(1, len(parts) + 1):  # RegCreateKeyEx creates every missing level
            self.keys.setdefault((root, "\\".join(parts[:depth])), {})
        return self.keys[(root, sub_key.lower())]

    def _path(self, key: FakeHKEY | int, sub_key: str | None) -> tuple[int, str]:
        if isinstance(key, FakeHKEY):
            self._check(key, 0)
            root, base = key.path
        else:
            assert key in (self.HKEY_CURRENT_USER, self.HKEY_LOCAL_MACHINE), key
            root, base = key, ""
        joined = "\\".join(part for part in (base, (sub_key or "").lower()) if part)
        return root, joined

    @staticmethod
    def _check(key: FakeHKEY | int, right: int) -> FakeHKEY:
        assert isinstance(key, FakeHKEY), "values live under opened keys in this backend"
        if key.closed:
            raise OSError(errno.EBADF, "The handle is invalid")
        if right and not key.access & right:
            raise PermissionError(errno.EACCES, "Access is denied")
        return key

    def OpenKey(
        self, key: FakeHKEY | int, sub_key: str | None, reserved: int = 0, access: int = KEY_READ
    ) -> FakeHKEY:
        if reserved != 0:
            raise OSError(errno.EINVAL, "The parameter is incorrect")
        path = self._path(key, sub_key)
        if path not in self.keys:
            raise FileNotFoundError(errno.ENOENT, "The system cannot find the file specified")
        return FakeHKEY(self, path, access)

    def CreateKeyEx(
        self, key: FakeHKEY | int, sub_key: str | None, reserved: int = 0, access: int = KEY_WRITE
    ) -> FakeHKEY:
        if reserved != 0:
            raise OSError(errno.EINVAL, "The parameter is incorrect")
        root, path = self._path(key, sub_key)
        self._create(root, path)
        return FakeHKEY(self, (root, path), access)

    def QueryValueEx(self, key: FakeHKEY | int, name: str, /) -> tuple[Any, int]:
        handle = self._check(key, self.KEY_QUERY_VALUE)
        try:
            return self.keys[handle.path][name.lower()]
        except KeyError:
            raise FileNotFoundError(
                errno.ENOENT, "The system cannot find the file specified"
            ) from None

    def SetValueEx(
        self,
        key: FakeHKEY | int,
        value_name: str | None,
        reserved: int,  # ignored, as by the real function
        type: int,  # winreg's own name for it
        value: Any,
        /,
    ) -> None:
        handle = self._check(key, self.KEY_SET_VALUE)
        if handle.path[1] in self.read_only:
            raise PermissionError(errno.EACCES, "Access is denied")
        if type in (self.REG_SZ, self.REG_EXPAND_SZ) and not isinstance(value, str):
            raise ValueError("Could not convert the data to the specified type.")
        if type == self.REG_BINARY:
            if not isinstance(value, bytes | bytearray | memoryview):
                raise TypeError(
                    f"Objects of type '{type(value).__name__}' can not be used as binary "
                    "registry values"
                )
            value = bytes(value)
        self.keys[handle.path][(value_name or "").lower()] = (value, type)

    def DeleteValue(self, key: FakeHKEY | int, value: str, /) -> None:
        handle = self._check(key, self.KEY_SET_VALUE)
        if handle.path[1] in self.read_only:
            raise PermissionError(errno.EACCES, "Access is denied")
        if self.keys[handle.path].pop(value.lower(), None) is None:
            raise FileNotFoundError(errno.ENOENT, "The system cannot find the file specified")

    def CloseKey(self, hkey: FakeHKEY | int, /) -> None:
        if isinstance(hkey, FakeHKEY):
            hkey.Close()


@pytest.fixture
def windows(tmp_path: Path) -> tuple[Autostart, FakeWinreg, Path]:
    registry = FakeWinreg()
    # A real file in a folder with spaces, like "C:\Program Files\Lensmor Tray\lensmor-tray.exe".
    exe = tmp_path / "Program Files" / "Lensmor Tray" / "lensmor-tray.exe"
    exe.parent.mkdir(parents=True)
    exe.write_bytes(b"MZ")
    exe.chmod(0o755)
    autostart = autostart_for(
        "win32",
        environ={"LENSMOR_API_KEY": CANARY_KEY},
        home=tmp_path,
        launcher=LaunchCommand((str(exe),)),
        winreg_module=registry,
    )
    return autostart, registry, exe


def test_enable_writes_the_quoted_command_line(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, exe = windows
    status = autostart.enable()

    stored = registry.get(RUN_KEY, VALUE_NAME)
    assert stored is not None
    value, kind = stored
    assert kind == FakeWinreg.REG_SZ
    assert value == f'"{exe}" run --autostart'
    assert value == subprocess.list2cmdline([str(exe), *AUTOSTART_ARGS])
    assert CANARY_KEY not in str(value)
    assert status == AutostartStatus(
        True, LOCATION, "starts at login", True, (str(exe), "run", "--autostart")
    )
    assert registry.open_handles == 0  # every key opened was closed


def test_enabling_twice_on_windows_is_harmless(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, _ = windows
    first = autostart.enable()
    keys = {path: dict(values) for path, values in registry.keys.items()}
    assert autostart.enable() == first
    assert registry.keys == keys


@pytest.mark.parametrize(
    ("approved", "enabled"),
    [
        (bytes([0x02]) + bytes(11), True),  # what Task Manager writes for "Enabled"
        (bytes([0x06]) + bytes(11), True),  # also seen for enabled entries
        (bytes([0x03, 0, 0, 0]) + bytes.fromhex("d40d438dc83bd901"), False),  # + FILETIME
        (bytes([0x07, 0, 0, 0]) + bytes.fromhex("d40d438dc83bd901"), False),
    ],
)
def test_status_reads_the_task_manager_switch(
    windows: tuple[Autostart, FakeWinreg, Path], approved: bytes, enabled: bool
) -> None:
    autostart, registry, _ = windows
    autostart.enable()
    registry.put(APPROVED_KEY, VALUE_NAME, approved, FakeWinreg.REG_BINARY)

    status = autostart.status()
    assert (status.enabled, status.target_exists) == (enabled, True)
    if not enabled:
        assert status.detail == "disabled in Task Manager (Startup apps)"


def test_enable_switches_a_task_manager_disabled_entry_back_on(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, _ = windows
    autostart.enable()
    registry.put(APPROVED_KEY, VALUE_NAME, bytes([3, 0, 0, 0]) + bytes(8), FakeWinreg.REG_BINARY)
    assert not autostart.status().enabled

    status = autostart.enable()
    assert status.enabled
    assert "switched back on in Task Manager" in status.detail
    assert registry.get(APPROVED_KEY, VALUE_NAME) == (APPROVED_ENABLED, FakeWinreg.REG_BINARY)


def test_disable_removes_the_run_and_startup_approved_values(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, _ = windows
    autostart.enable()
    registry.put(APPROVED_KEY, VALUE_NAME, APPROVED_ENABLED, FakeWinreg.REG_BINARY)
    status = autostart.disable()

    assert registry.get(RUN_KEY, VALUE_NAME) is None
    assert registry.get(APPROVED_KEY, VALUE_NAME) is None
    assert (status.enabled, status.detail) == (False, "no Run entry")
    assert autostart.disable() == status  # twice is harmless
    assert registry.open_handles == 0


def test_a_run_value_pointing_at_a_missing_exe_is_reported_and_repaired(
    windows: tuple[Autostart, FakeWinreg, Path], tmp_path: Path
) -> None:
    autostart, registry, exe = windows
    gone = tmp_path / "Old Place" / "lensmor-tray.exe"
    registry.put(RUN_KEY, VALUE_NAME, f'"{gone}" run', FakeWinreg.REG_SZ)

    broken = autostart.status()
    assert (broken.enabled, broken.target_exists, broken.command) == (
        False,
        False,
        (str(gone), "run"),
    )
    assert f"missing launcher: {gone}" in broken.detail

    repaired = autostart.enable()
    assert (repaired.enabled, repaired.command[0]) == (True, str(exe))
    assert f"repaired: it pointed at missing {gone}" in repaired.detail


def test_a_run_value_that_is_not_a_command_line_is_reported(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, _ = windows
    registry.put(RUN_KEY, VALUE_NAME, b"\x00\x01", FakeWinreg.REG_BINARY)
    status = autostart.status()
    assert (status.enabled, status.detail) == (False, "the Run value is not a command line")


def test_registry_access_denied_is_reported_not_raised(
    windows: tuple[Autostart, FakeWinreg, Path],
) -> None:
    autostart, registry, _ = windows
    registry.put(RUN_KEY, "SomethingElse", "x.exe", FakeWinreg.REG_SZ)
    registry.read_only.add(RUN_KEY.lower())
    status = autostart.enable()
    assert not status.enabled
    assert "could not write the Run value: Access is denied" in status.detail
    assert registry.open_handles == 0


@pytest.mark.skipif(sys.platform == "win32", reason="the real winreg exists on Windows")
def test_without_a_registry_the_windows_backend_says_so(tmp_path: Path) -> None:
    autostart = WindowsAutostart(launcher=LaunchCommand((sys.executable,)))
    for status in (autostart.status(), autostart.enable(), autostart.disable()):
        assert (status.enabled, status.location) == (False, LOCATION)
        assert "no Windows registry here" in status.detail


windows_program = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters='\x00"\\'), min_size=1
).filter(lambda s: s.strip(" \t") == s)


@example("Program Files", ['a\\"b', "back\\", '"quoted"', "tail\\\\", "", "two words\\"])
@example("NoSpace", ['\\\\"', "\\\\", 'x\\\\"y z'])
@given(windows_program, st.lists(argument_text, max_size=5))
def test_windows_command_lines_round_trip(program: str, args: list[str]) -> None:
    argv = [f"C:\\{program}\\lensmor-tray.exe", *args]
    assert split_command_line(subprocess.list2cmdline(argv)) == argv


# --- The factory -----------------------------------------------------------------------------


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


# --- The launcher ------------------------------------------------------------------------------


def test_a_frozen_bundle_starts_itself(tmp_path: Path) -> None:
    exe = str(tmp_path / "Lensmor Tray.app" / "Contents" / "MacOS" / "lensmor-tray")
    command = resolve_launch_command(executable=exe, frozen=True, platform="darwin")
    assert command.program == (exe,)
    assert command.argv == (exe, *AUTOSTART_ARGS)


@posix_only
def test_the_console_script_next_to_a_venv_python_wins(tmp_path: Path) -> None:
    bin_dir = tmp_path / "pipx venvs" / "lensmor-tray" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.symlink_to(sys.executable)  # a venv's python links to the system interpreter
    script = bin_dir / "lensmor-tray"
    script.write_text("#!/bin/sh\n", encoding="utf-8")

    command = resolve_launch_command(
        executable=str(python), frozen=False, platform="linux", script_dirs=()
    )
    assert command.program == (str(script),)

    script.unlink()
    command = resolve_launch_command(
        executable=str(python), frozen=False, platform="linux", script_dirs=()
    )
    assert command.program == (str(python), "-m", "tray_app")


def test_windows_prefers_the_gui_script_then_pythonw(tmp_path: Path) -> None:
    scripts = tmp_path / "venv" / "Scripts"
    scripts.mkdir(parents=True)
    python = scripts / "python.exe"
    for name in ("python.exe", "pythonw.exe", "lensmor-tray.exe", "lensmor-tray-gui.exe"):
        (scripts / name).write_bytes(b"MZ")

    def resolve() -> tuple[str, ...]:
        return resolve_launch_command(
            executable=str(python), frozen=False, platform="win32", script_dirs=()
        ).program

    # The gui-script and pythonw open no console window at login.
    assert resolve() == (str(scripts / "lensmor-tray-gui.exe"),)
    (scripts / "lensmor-tray-gui.exe").unlink()
    assert resolve() == (str(scripts / "lensmor-tray.exe"),)
    (scripts / "lensmor-tray.exe").unlink()
    assert resolve() == (str(scripts / "pythonw.exe"), "-m", "tray_app")
    (scripts / "pythonw.exe").unlink()
    assert resolve() == (str(python), "-m", "tray_app")


def test_a_windows_install_without_a_venv_finds_its_scripts_folder(tmp_path: Path) -> None:
    """python.exe lives in the prefix, pip puts the scripts in prefix\\Scripts."""
    prefix = tmp_path / "Python311"
    (prefix / "Scripts").mkdir(parents=True)
    (prefix / "python.exe").write_bytes(b"MZ")
    gui = prefix / "Scripts" / "lensmor-tray-gui.exe"
    gui.write_bytes(b"MZ")
    command = resolve_launch_command(
        executable=str(prefix / "python.exe"),
        frozen=False,
        platform="win32",
        script_dirs=[str(prefix / "Scripts")],
    )
    assert command.program == (str(gui),)


def test_the_cli_accepts_the_autostart_arguments() -> None:
    from tray_app.cli.parser import build_parser

    args = build_parser().parse_args(list(AUTOSTART_ARGS))
    assert (args.command, args.autostart) == ("run", True)


def test_this_installation_resolves_to_an_existing_absolute_program() -> None:
    command = resolve_launch_command()
    assert os.path.isabs(command.executable)
    assert os.path.isfile(command.executable)
    assert command.argv[-len(AUTOSTART_ARGS) :] == AUTOSTART_ARGS


@pytest.mark.parametrize("program", [(), ("",), ("lensmor-tray",), ("bin/python", "-m")])
def test_a_launch_command_must_be_absolute(program: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="launch"):
        LaunchCommand(program)


# --- Static packaging files ------------------------------------------------------------------


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
