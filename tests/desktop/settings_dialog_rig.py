"""Driving the real Settings window (tkinter) in a child process on a headless X server, for
tests/desktop/test_settings_dialog_*.py: `Dialog` runs one window and reads what it echoes,
`StandInTray` holds the tray's instance lock and counts reload requests, and the helpers
write the config and the window's environment.

The window prints its status changes on stdout when LENSMOR_TRAY_DIALOG_ECHO=1 (never the key);
focus changes in that output are the sync points, so nothing here sleeps for a guessed time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageChops

from tests.support.waiting import poll_until

from .harness import REPO_ROOT, DesktopSession

KEY = "uak_DIALOGcanary0123456789abcdWXYZ"


class Dialog:
    """One running settings window and the lines it has echoed."""

    def __init__(self, desktop: DesktopSession, config: Path, env: dict[str, str]) -> None:
        self.desktop = desktop
        self.config = config
        self.proc = desktop.popen(
            [sys.executable, "-m", "tray_app.windows.settings_dialog", "--config", str(config)],
            env=env,
            name="settings-dialog",
        )
        self.seen = 0

        # "ready" and the first focus may come in either order; both mean keys will arrive.
        def started() -> list[str] | None:
            lines = self.lines()
            wanted = ("ready: window ", "focus: key")
            return lines if all(any(x.startswith(w) for x in lines) for w in wanted) else None

        lines = poll_until(
            started,
            15,
            "the settings window to map and take the focus",
            alive=self._died,
        )
        self.window = int(next(line for line in lines if line.startswith("ready: ")).split()[-1])
        # Consume up to both start lines only: what the window said after them (the key hint,
        # the accounts) may have arrived in the same read and is still to be waited for.
        self.seen = 1 + max(
            next(i for i, line in enumerate(lines) if line.startswith(wanted))
            for wanted in ("ready: window ", "focus: key")
        )

    def lines(self) -> list[str]:
        return self.desktop.log_of(self.proc).splitlines()

    def _has(self, prefix: str) -> bool:
        return any(line.startswith(prefix) for line in self.lines())

    def _died(self) -> str | None:
        if self.proc.poll() is None:
            return None
        return f"the window exited with {self.proc.returncode}:\n{self.desktop.log_of(self.proc)}"

    def wait_for(self, prefix: str, timeout: float = 10) -> str:
        """The next echoed line (after those already consumed) starting with `prefix`."""

        def find() -> tuple[int, str] | None:
            for index, line in enumerate(self.lines()[self.seen :], start=self.seen):
                if line.startswith(prefix):
                    return index, line
            return None

        index, line = poll_until(find, timeout, f"{prefix!r} from the window", alive=self._died)
        self.seen = index + 1
        return line[len(prefix) :]

    def type(self, text: str) -> None:
        self.desktop.run(["xdotool", "type", "--delay", "15", text])

    def key(self, *keys: str) -> None:
        self.desktop.key(*keys)

    def tab_to(self, name: str, *, backwards: bool = False) -> None:
        """Press Tab until the field `name` has the focus (Tk selects an entry's text then)."""
        for _ in range(20):  # the window has about twenty focusable widgets
            self.key("shift+Tab" if backwards else "Tab")
            if self.wait_for("focus: ") == name:
                return
        raise AssertionError(f"Tab never reached {name!r}:\n{self.desktop.log_of(self.proc)}")

    def page(self, name: str) -> None:
        """Press Ctrl+Tab until the tab `name` (key, accounts, alerts, appearance) is shown;
        its first field then has the focus."""
        for _ in range(4):
            before = self.seen
            self.key("ctrl+Tab")
            if self.wait_for("page: ") == name:
                # The new tab's first field takes the focus (said before or after the page).
                def focused(start: int = before) -> int | None:
                    lines = self.lines()
                    found = [i for i in range(start, len(lines)) if lines[i].startswith("focus:")]
                    return found[0] + 1 if found else None

                wanted = f"a field of {name!r} to take the focus"
                self.seen = max(self.seen, poll_until(focused, 10, wanted, alive=self._died))
                return
        raise AssertionError(f"Ctrl+Tab never showed {name!r}:\n{self.desktop.log_of(self.proc)}")

    def buttons(self) -> tuple[int, int, int, int, int, int]:
        """Where Cancel and Save are now, as the window last said: (left, top, right, bottom)
        on the screen, and the screen's width and height."""
        line = [x for x in self.lines() if x.startswith("buttons: ")][-1]
        box, screen = line.removeprefix("buttons: ").split(" on ")
        left, top, right, bottom = (int(v) for v in box.split(","))
        width, height = (int(v) for v in screen.split("x"))
        return left, top, right, bottom, width, height

    def wait_exit(self, timeout: float = 10) -> int:
        return self.proc.wait(timeout=timeout)

    def box(self) -> tuple[int, int, int, int]:
        """The window's (left, upper, right, lower) on the screen, as X reports it now."""
        shell = self.desktop.run(["xdotool", "getwindowgeometry", "--shell", str(self.window)])
        geo = {k: int(v) for k, v in (line.split("=", 1) for line in shell.split())}
        return geo["X"], geo["Y"], geo["X"] + geo["WIDTH"], geo["Y"] + geo["HEIGHT"]

    def screenshot(self, name: str) -> Image.Image:
        """The window alone, once two grabs in a row agree (Tk lays out and redraws when idle)."""
        previous: tuple[tuple[int, int, int, int], Image.Image] | None = None

        def stable() -> Image.Image | None:
            nonlocal previous
            box = self.box()
            image = self.desktop.screenshot().crop(box)
            same = (
                previous is not None
                and previous[0] == box
                and ImageChops.difference(image, previous[1]).getbbox() is None
            )
            previous = (box, image)
            return image if same else None

        image = poll_until(stable, 5, "the window to stop redrawing")
        self.desktop.artifacts_dir.mkdir(parents=True, exist_ok=True)
        image.save(self.desktop.artifacts_dir / f"{name}.png")
        return image


STAND_IN_TRAY = """
import signal, sys, time
from pathlib import Path
from tray_app.support.instance import InstanceLock
from tray_app.config.paths import AppPaths
lock = InstanceLock(AppPaths.default(Path(sys.argv[1])).lock_file)
lock.acquire()
log = Path(sys.argv[2])
signal.signal(signal.SIGHUP, lambda *_: log.open("a").write("reload\\n"))
print("ready", flush=True)
time.sleep(300)
"""


class StandInTray:
    """A process that holds the tray's instance lock, as the running app does, and counts the
    reload requests (SIGHUP) it gets."""

    def __init__(self, desktop: DesktopSession, config: Path) -> None:
        self.log = desktop.home / "stand-in-tray.log"
        self.proc = desktop.popen(
            [sys.executable, "-c", STAND_IN_TRAY, str(config), str(self.log)],
            env=dialog_env(desktop),
            name="stand-in-tray",
        )
        poll_until(lambda: "ready" in desktop.log_of(self.proc) or None, 10, "the stand-in tray")

    def reloads(self) -> int:
        return self.log.read_text().count("reload") if self.log.exists() else 0


def dialog_env(desktop: DesktopSession, **extra: str) -> dict[str, str]:
    env = desktop.env
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "LENSMOR_TRAY_DIALOG_ECHO": "1",
            # No OS keyring: the key goes to the 0600 file next to the config.
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
    )
    env.update(extra)
    return env


def config_path(desktop: DesktopSession) -> Path:
    return desktop.home / ".config" / "lensmor-tray" / "config.toml"


def write_config(desktop: DesktopSession, text: str) -> Path:
    path = config_path(desktop)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
