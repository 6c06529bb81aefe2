"""The real Usage window (tkinter + matplotlib's TkAgg) on a headless X server, with a year of
history in the user's data folder, driven by the keyboard: it opens on 30 days, "4" shows the
year, Tab reaches the buttons, Return on "Export CSV…" opens Tk's file dialog where the path is
typed, and Escape closes it. Screenshots go to test-artifacts/desktop/usage-window*.png.

The window echoes its state changes on stdout (LENSMOR_TRAY_DIALOG_ECHO=1); those lines are
the sync points, nothing sleeps for a guessed time.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import time

import pytest
from PIL import Image, ImageChops

from tray_app.config.paths import AppPaths
from tray_app.core.levels import Level
from tray_app.history.export import csv_text
from tray_app.history.store import HistoryStore
from tray_app.tray.badge_palette import LEVEL_FILL

from ..support.usage_history import year_store
from .harness import REPO_ROOT, DesktopSession, poll_until

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.parametrize(
        "desktop", [{"tray": False, "notifications": False, "screen": "1280x800x24"}], indirect=True
    ),
]


class Window:
    def __init__(
        self, desktop: DesktopSession, env: dict[str, str], args: tuple[str, ...] = ()
    ) -> None:
        self.desktop = desktop
        started = time.monotonic()
        self.proc = desktop.popen(
            [sys.executable, "-m", "tray_app", "usage", *args], env=env, name="usage-window"
        )
        self.seen = 0
        line = self.wait_for("ready: window ", timeout=20)
        self.open_seconds = time.monotonic() - started
        self.window = int(line.split()[0])
        self.charted = not line.endswith("(no chart)")

    def lines(self) -> list[str]:
        return self.desktop.log_of(self.proc).splitlines()

    def _died(self) -> str | None:
        if self.proc.poll() is None:
            return None
        return f"the window exited with {self.proc.returncode}:\n{self.desktop.log_of(self.proc)}"

    def wait_for(self, prefix: str, timeout: float = 10) -> str:
        def find() -> tuple[int, str] | None:
            for index, line in enumerate(self.lines()[self.seen :], start=self.seen):
                if line.startswith(prefix):
                    return index, line
            return None

        index, line = poll_until(find, timeout, f"{prefix!r} from the window", alive=self._died)
        self.seen = index + 1
        return line[len(prefix) :]

    def wait_for_line(self, prefix: str) -> str:
        """A line said at any time (not only after those already consumed)."""
        line = next(x for x in self.lines() if x.startswith(prefix))
        return line[len(prefix) :]

    def box(self) -> tuple[int, int, int, int]:
        shell = self.desktop.run(["xdotool", "getwindowgeometry", "--shell", str(self.window)])
        geo = {k: int(v) for k, v in (line.split("=", 1) for line in shell.split())}
        return geo["X"], geo["Y"], geo["X"] + geo["WIDTH"], geo["Y"] + geo["HEIGHT"]

    def screenshot(self, name: str) -> Image.Image:
        """The window alone, once two grabs in a row agree."""
        previous: Image.Image | None = None

        def stable() -> Image.Image | None:
            nonlocal previous
            image = self.desktop.screenshot().crop(self.box())
            same = previous is not None and ImageChops.difference(image, previous).getbbox() is None
            previous = image
            return image if same else None

        image = poll_until(stable, 5, "the window to stop redrawing")
        self.desktop.artifacts_dir.mkdir(parents=True, exist_ok=True)
        image.save(self.desktop.artifacts_dir / f"{name}.png")
        return image


def find_window(desktop: DesktopSession, title: str) -> list[str] | None:
    done = subprocess.run(
        ["xdotool", "search", "--name", title],
        env=desktop.env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return done.stdout.split() or None


def share_near(image: Image.Image, colour: tuple[int, int, int], distance: int = 24) -> float:
    raw = image.convert("RGB").tobytes()
    pixels = [raw[i : i + 3] for i in range(0, len(raw), 3)]
    near = sum(
        1 for p in pixels if all(abs(a - b) <= distance for a, b in zip(p, colour, strict=True))
    )
    return near / len(pixels)


def test_the_usage_window_shows_a_year_and_closes_from_the_keyboard(
    desktop: DesktopSession,
) -> None:
    # A named account, as the tray's Usage… row opens it (`--account=NAME`): a name that looks
    # like an option and like a spreadsheet formula, which the exported rows must name safely.
    account = "-Ops=1+1"
    config = desktop.home / ".config" / "lensmor-tray" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[[accounts]]\nname = "{account}"\n')
    data_dir = desktop.home / ".local" / "share" / "lensmor-tray"
    db_file = AppPaths(config, data_dir, data_dir).history_db_for(account)
    db_file.parent.mkdir(parents=True)
    db = year_store(db_file, time.time() - 600)
    env = desktop.env
    env.update(PYTHONPATH=str(REPO_ROOT), LENSMOR_TRAY_DIALOG_ECHO="1")

    window = Window(desktop, env, (f"--account={account}",))
    assert window.charted
    left, top, right, bottom = window.box()
    assert right - left >= 760
    assert bottom - top >= 480
    month = window.screenshot("usage-window")
    # The spend bars are drawn in the badge's "ok" green; without a desktop portal to say the
    # desktop prefers dark, the window is light (test_window_colours.py: light and dark).
    assert share_near(month, LEVEL_FILL[Level.OK]) > 0.005
    assert window.wait_for_line("colours: ") == "light"
    grey = month.convert("L").tobytes()
    assert sum(grey) / len(grey) > 160

    window.desktop.key("4")
    days, steps, events = re.fullmatch(
        r"(\d+) \((\d+) steps, (\d+) events\)", window.wait_for("period: ")
    ).groups()  # type: ignore[union-attr]
    assert days == "365"
    assert int(steps) > 1_000  # a year of changes and summaries
    assert int(events) >= 12  # at least a renewal a month
    year = window.screenshot("usage-window-year")
    # The chart and the summary both changed (each compared on its own part of the window).
    width = year.width
    for part in ((0, 60, int(width * 0.68), year.height - 60), (int(width * 0.7), 40, width, 400)):
        assert ImageChops.difference(month.crop(part), year.crop(part)).getbbox() is not None

    # Tab from the period buttons to "Export CSV…", then Return opens the file dialog.
    for _ in range(8):
        window.desktop.key("Tab")
        if window.wait_for("focus: ") == "export":
            break
    else:
        pytest.fail(f"Tab never reached Export CSV…:\n{desktop.log_of(window.proc)}")
    target = desktop.home / "exported.csv"
    window.desktop.key("Return")
    poll_until(lambda: find_window(desktop, "Export the history"), 10, "the file dialog")
    desktop.run(["xdotool", "type", "--delay", "10", str(target)])
    window.desktop.key("Return")
    assert window.wait_for("exported: ").startswith("Exported ")
    with HistoryStore.open(db) as store:
        expected = csv_text(store.records(0), account)
    written = target.read_text(encoding="utf-8")
    assert written == expected
    rows = list(csv.DictReader(io.StringIO(written)))
    assert {r["account"] for r in rows} == {"'" + account}  # named, and never a formula
    assert {r["event"] for r in rows} >= {"start", "spend", "reset", "gift", "top-up"}

    window.desktop.key("Escape")
    assert window.wait_for("exit: ") == "0"
    assert window.proc.wait(timeout=10) == 0
    assert "Traceback" not in desktop.log_of(window.proc)
    print(f"the Usage window opened in {window.open_seconds:.2f} s")


def test_without_history_the_window_says_so(desktop: DesktopSession) -> None:
    env = desktop.env
    env.update(PYTHONPATH=str(REPO_ROOT), LENSMOR_TRAY_DIALOG_ECHO="1")
    window = Window(desktop, env)
    image = window.screenshot("usage-window-empty")
    assert image.width >= 760
    assert not (desktop.home / ".local" / "share" / "lensmor-tray" / "history.sqlite3").exists()
    window.desktop.key("Escape")
    assert window.proc.wait(timeout=10) == 0


def test_without_matplotlib_the_window_keeps_its_summary_and_says_why(
    desktop: DesktopSession,
) -> None:
    # A matplotlib that cannot be imported, first on the path: what a build without it does.
    hidden = desktop.home / "no-matplotlib" / "matplotlib"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('left out of this build')\n")
    data_dir = desktop.home / ".local" / "share" / "lensmor-tray"
    data_dir.mkdir(parents=True)
    year_store(data_dir / "history.sqlite3", time.time() - 600)
    env = desktop.env
    env.update(
        PYTHONPATH=f"{hidden.parent}:{REPO_ROOT}",
        LENSMOR_TRAY_DIALOG_ECHO="1",
    )
    window = Window(desktop, env)
    assert not window.charted
    window.screenshot("usage-window-no-matplotlib")
    window.desktop.key("Escape")
    assert window.proc.wait(timeout=10) == 0
    assert "Traceback" not in desktop.log_of(window.proc)
