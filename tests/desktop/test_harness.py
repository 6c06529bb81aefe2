"""The headless desktop harness against the real stack: real pystray icons docking in a real
tray host, real menus driven by xdotool, real notifications through plyer and dunst."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from tests.support.waiting import WaitTimeout, poll_until

from .conftest import require_desktop_tools
from .harness import DesktopSession, WindowInfo

pytestmark = pytest.mark.desktop

# A minimal pystray app: a solid square in the colour given, a menu whose first item appends
# to a file and whose second quits. It prints its backend once the icon is shown.
TRAY_APP = r"""
import sys
import threading

import pystray
from PIL import Image

colour = tuple(int(part) for part in sys.argv[1].split(","))
clicked = sys.argv[2]


def write(icon, item):
    with open(clicked, "a") as out:
        out.write("clicked\n")


def setup(icon):
    if not icon.visible:
        icon.visible = True
    print("backend", type(icon).__module__, "has_menu", icon.HAS_MENU, flush=True)


menu = pystray.Menu(
    pystray.MenuItem("Write", write, default=True),
    pystray.MenuItem("Quit", lambda icon, item: icon.stop()),
)
icon = pystray.Icon("harness-test", Image.new("RGB", (64, 64), colour), "Harness", menu=menu)
if type(icon).__module__ == "pystray._xorg":
    # Shown from this thread before the loop, as the app does (tray_app/tray/pystray_tray.py): shown
    # from pystray's setup thread while its loop handles the first Expose, the two threads
    # on one python-xlib connection deadlock now and again under load, and "backend" is
    # never printed.
    icon._thread = threading.current_thread()
    icon.visible = True
icon.run(setup=setup)
"""

# plyer from a child process, as the app will call it; prints what it raised, if anything.
PLYER_NOTIFY = r"""
import sys

from plyer import notification

try:
    notification.notify(app_name=sys.argv[1], title=sys.argv[2], message=sys.argv[3])
except Exception as exc:
    print("raised", type(exc).__module__ + "." + type(exc).__qualname__, exc, flush=True)
    sys.exit(3)
print("sent", flush=True)
"""

COLOURS = {"appindicator": (220, 40, 40), "gtk": (40, 180, 60), "xorg": (30, 80, 220)}
MENU_BACKENDS = ["appindicator", "gtk"]


def start_tray_app(desktop: DesktopSession, backend: str) -> tuple[subprocess.Popen[bytes], Path]:
    clicked = desktop.tmpdir / "clicked.txt"
    env = desktop.env
    env["PYSTRAY_BACKEND"] = backend
    colour = ",".join(map(str, COLOURS[backend]))
    app = desktop.popen(
        [sys.executable, "-c", TRAY_APP, colour, str(clicked)], env=env, name=backend
    )
    # The whole line: print() writes its parts one by one when PYTHONUNBUFFERED is set.
    log = desktop.wait_for_output(app, " has_menu ")
    # PYSTRAY_BACKEND names exactly one backend: no silent fallback to another one.
    assert f"pystray._{backend} " in log
    return app, clicked


def start_docked_app(
    desktop: DesktopSession, backend: str
) -> tuple[subprocess.Popen[bytes], Path, WindowInfo]:
    """Start the app and wait for its icon to dock.

    With the CPU busy, trayer sometimes embeds an xorg-backend icon and then lets it go
    again: the icon window is reparented into trayer's socket and, moments later, back to
    the root window (seen with a SubstructureNotify watch). pystray's xorg backend never
    notices and never asks again, so the icon stays invisible until the app restarts.
    Measured with two busy loops on 2 cores: 18 of 295 xorg starts; re-sending the dock
    request docked it every time (6 of 6); the GTK backends never failed (0 of 80).
    So for an xorg app that did not dock the test asks the tray host again, as the app's
    own dock keeper does (tray_app/tray/xorg_dock.py), and restarts it only if that fails.
    """
    app, clicked = start_tray_app(desktop, backend)
    if backend != "xorg":
        return app, clicked, desktop.wait_for_tray_icon(timeout=10)
    for _ in range(4):
        try:
            return app, clicked, desktop.wait_for_tray_icon(timeout=4)
        except WaitTimeout:
            # The icon's window is on the root window, undocked: ask for it as the app's
            # own dock keeper would. A restart is the last resort (it cost a CI run: three
            # starts in a row that never docked, while re-asking docked it every time).
            desktop.request_dock_again()
    desktop.stop_process(app)
    app, clicked = start_tray_app(desktop, backend)
    return app, clicked, desktop.wait_for_tray_icon(timeout=10)


def colour_share(image: Image.Image, colour: tuple[int, int, int]) -> float:
    pixels = image.convert("RGB").getcolors(image.width * image.height) or []
    return sum(count for count, rgb in pixels if rgb == colour) / (image.width * image.height)


def assert_icon_shows(
    desktop: DesktopSession, icon: WindowInfo, colour: tuple[int, int, int]
) -> None:
    assert icon.width >= 16
    assert icon.height >= 16
    # The square fills the icon window; allow a little for edge scaling. Waited for, because
    # the window maps before its client paints it.
    desktop.wait_for_icon_image(lambda image: colour_share(image, colour) > 0.9)


def test_session_environment_is_private(
    desktop: DesktopSession, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Pretend the runner sits in a real desktop: none of it may leak into the children.
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XAUTHORITY", "/root/.Xauthority")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/0/bus")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    env = desktop.env

    assert env["DISPLAY"] == desktop.display != ":99"
    assert env["DBUS_SESSION_BUS_ADDRESS"].startswith(f"unix:path={desktop.runtime_dir}/bus,")
    assert env["PATH"] == os.environ["PATH"]
    for leaked in ("WAYLAND_DISPLAY", "XAUTHORITY", "XDG_CURRENT_DESKTOP"):
        assert leaked not in env
    for key in ("HOME", "TMPDIR", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        path = Path(env[key])
        assert path.is_dir()
        assert path.is_relative_to(desktop.root)
    for key in ("XDG_CACHE_HOME", "XDG_STATE_HOME"):
        assert Path(env[key]).is_relative_to(desktop.home)
    assert stat.S_IMODE(desktop.runtime_dir.stat().st_mode) == 0o700

    # The services really run on that display and bus.
    assert desktop.tray_owner() != 0
    assert desktop.name_has_owner("org.freedesktop.Notifications")
    assert set(desktop.startup_times) == {
        "Xvfb",
        "dbus-daemon",
        "trayer",
        "dunst",
        "dbus-monitor",
    }
    screen = desktop.screenshot("session")
    assert screen.size == (800, 600)
    with Image.open(desktop.artifacts_dir / "session.png") as saved:
        assert saved.size == (800, 600)
    desktop.screenshot(tmp_path / "elsewhere")
    with Image.open(tmp_path / "elsewhere.png") as saved:
        assert saved.tobytes() == screen.tobytes()


@pytest.mark.parametrize("backend", ["appindicator", "gtk", "xorg"])
def test_pystray_icon_docks_with_its_colour(desktop: DesktopSession, backend: str) -> None:
    colour = COLOURS[backend]
    assert desktop.tray_icons() == []
    assert colour_share(desktop.screenshot(), colour) == 0

    _, _, icon = start_docked_app(desktop, backend)

    tray = desktop.tray_window()
    assert tray is not None
    # The icon sits inside the tray host's panel, at the top right edge of the screen.
    assert tray.x <= icon.x
    assert icon.x + icon.width <= tray.x + tray.width
    assert icon.y + icon.height <= 32
    assert_icon_shows(desktop, icon, colour)
    desktop.screenshot(f"docked-{backend}")


@pytest.mark.parametrize("backend", MENU_BACKENDS)
def test_menu_opens_and_items_reach_the_app(desktop: DesktopSession, backend: str) -> None:
    app, clicked, _ = start_docked_app(desktop, backend)

    menu = desktop.open_menu(button=3)
    assert menu.height > 0
    desktop.choose_menu_item(0)  # "Write"
    wait_until(lambda: clicked.exists() and clicked.read_text() == "clicked\n")
    assert app.poll() is None
    wait_until(lambda: not desktop.menus())

    desktop.open_menu(button=3)
    desktop.choose_menu_item(1)  # "Quit"
    assert app.wait(timeout=10) == 0
    assert clicked.read_text() == "clicked\n"


def test_xorg_backend_has_no_menu(desktop: DesktopSession) -> None:
    app, clicked, _ = start_docked_app(desktop, "xorg")
    assert "has_menu False" in desktop.log_of(app)
    desktop.click_icon(3)
    desktop.click_icon(1)
    with pytest.raises(WaitTimeout):
        desktop.wait_for_menu(timeout=1.0)
    assert not clicked.exists()


@pytest.mark.parametrize("desktop", [{"tray": False}], indirect=True)
def test_plyer_notification_reaches_the_bus_and_fails_without_server(
    desktop: DesktopSession,
) -> None:
    # A body with a newline and text that looks like dbus-monitor's own output.
    body = 'Balance 1,234 credits\n   string "not an argument"'

    def notify(title: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", PLYER_NOTIFY, "Lensmor test", title, body],
            env=desktop.env,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )

    sent = notify("Credits low")
    assert (sent.returncode, sent.stdout) == (0, "sent\n"), sent.stderr
    [call] = desktop.wait_for_notifications(1)
    assert (call.app_name, call.summary, call.body) == ("Lensmor test", "Credits low", body)
    assert call.replaces_id == 0
    assert call.returned_id is not None
    assert call.error is None
    wait_until(lambda: desktop.displayed_notifications() == 1)

    desktop.stop_notifications()
    failed = notify("Nobody listens")
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert failed.stdout.startswith("raised dbus.exceptions.DBusException ")
    assert "org.freedesktop.DBus.Error.ServiceUnknown" in failed.stdout
    # The bus activated nothing in dunst's place: no Notify call was made at all.
    assert [c.summary for c in desktop.notifications()] == ["Credits low"]

    desktop.start_notifications()
    assert notify("Back again").returncode == 0
    calls = desktop.wait_for_notifications(2)
    assert [c.summary for c in calls] == ["Credits low", "Back again"]


@pytest.mark.parametrize("desktop", [{"tray": False}], indirect=True)
def test_notify_log_keeps_actions_hints_and_the_assigned_id(desktop: DesktopSession) -> None:
    def notify(replaces_id: int, summary: str) -> int:
        out = desktop.run(
            [
                "gdbus",
                "call",
                "--session",
                "--dest=org.freedesktop.Notifications",
                "--object-path=/org/freedesktop/Notifications",
                "--method=org.freedesktop.Notifications.Notify",
                "lensmor-tray",
                str(replaces_id),
                "dialog-warning",
                summary,
                "line one\nline two",
                "['open', 'Open dashboard']",
                "{'urgency': <byte 2>, 'category': <'x-lensmor.credits'>}",
                "8000",
            ]
        )
        return int(out.strip().strip("(),").split()[-1])  # "(uint32 7,)"

    first_id = notify(0, "Credits critical")
    second_id = notify(first_id, "Credits depleted")
    first, second = desktop.wait_for_notifications(2)

    assert first.returned_id == first_id
    assert (first.app_icon, first.body) == ("dialog-warning", "line one\nline two")
    assert first.actions == ("open", "Open dashboard")
    assert first.hints == {"urgency": "2", "category": "x-lensmor.credits"}
    assert first.expire_timeout == 8000
    # Replacing keeps the id: what an app passes as replaces_id to update its notification.
    assert (second.replaces_id, second.returned_id) == (first_id, second_id)
    assert second_id == first_id
    assert second.summary == "Credits depleted"


@pytest.mark.parametrize("backend", MENU_BACKENDS)
def test_icon_redocks_when_tray_host_dies_and_returns(
    desktop: DesktopSession, backend: str
) -> None:
    app, _, _ = start_docked_app(desktop, backend)

    desktop.stop_tray(sig=signal.SIGKILL)  # a crash, not a polite exit
    assert desktop.tray_icons() == []
    assert desktop.tray_window() is None
    assert app.poll() is None

    desktop.start_tray()
    icon = desktop.wait_for_tray_icon(timeout=10)
    assert_icon_shows(desktop, icon, COLOURS[backend])
    assert app.poll() is None


def test_xorg_icon_does_not_redock(desktop: DesktopSession) -> None:
    app, _, _ = start_docked_app(desktop, "xorg")
    desktop.restart_tray()
    with pytest.raises(WaitTimeout):
        desktop.wait_for_tray_icon(timeout=2.0)
    # pystray logs the failure and keeps running without an icon.
    desktop.wait_for_output(app, "Failed to dock icon")
    assert app.poll() is None


def test_asking_the_tray_host_again_docks_an_undocked_xorg_icon(desktop: DesktopSession) -> None:
    """The harness's own re-dock, which start_docked_app relies on under load."""
    app, _, _ = start_docked_app(desktop, "xorg")
    desktop.restart_tray()
    desktop.wait_for_output(app, "Failed to dock icon")
    assert desktop.tray_icons() == []
    assert desktop.request_dock_again() == 1
    assert_icon_shows(desktop, desktop.wait_for_tray_icon(timeout=5), COLOURS["xorg"])


def test_nothing_outlives_the_session() -> None:
    require_desktop_tools()
    with DesktopSession() as desktop:
        app, _, _ = start_docked_app(desktop, "gtk")
        # A process the test started itself, unknown to the harness, on the same desktop.
        stray = subprocess.Popen(["sleep", "60"], env=desktop.env)
        started = desktop.started_pids
        display_number = desktop.display.lstrip(":")
        root = desktop.root
        assert len(started) == 6  # Xvfb, dbus-daemon, trayer, dunst, dbus-monitor, the app
        assert all(pid_alive(pid) for pid in [*started, stray.pid])

    assert stray.wait(timeout=5) == -signal.SIGTERM
    assert desktop.swept_pids == [stray.pid]
    assert desktop.leftover_pids() == []
    assert app.returncode is not None
    assert not [pid for pid in started if pid_alive(pid)]
    assert not root.exists()
    # Xvfb removed its lock file and socket, which live at fixed places in /tmp.
    x_tmp = Path("/tmp")  # noqa: S108 - not a temporary file of ours: the X server's path
    assert not (x_tmp / f".X{display_number}-lock").exists()
    assert not (x_tmp / ".X11-unix" / f"X{display_number}").exists()


def test_missing_tools_fail_on_ci_and_skip_locally(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing to find here
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"missing: Xvfb, xdotool, dbus-daemon"):
        require_desktop_tools()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="trayer, dunst"):
        require_desktop_tools()
    # With everything present it lets the test run.
    monkeypatch.undo()
    require_desktop_tools()


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a condition from a test instead of sleeping blindly."""
    poll_until(condition, timeout, "condition")
