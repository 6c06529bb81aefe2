"""How fast the Usage window opens with a year of history, and what matplotlib costs.

Usage: .venv/bin/python scripts/bench_usage_window.py [--runs N] [--executable PATH]

On a private headless X server (tests/desktop/harness.py) with a year of history in a fresh
profile (tests/support/usage_history.py: 15-minute polls, renewals, gifts, a top-up,
compacted as the running app keeps it), it starts `python -m tray_app usage` N times and
measures, per start:

- shown: from Popen to the window's "shown" line (mapped, with the summary; the chart's
  artists are built, its pixels not yet rendered);
- open: from Popen to the window's "ready" line, which it prints after the first paint of the
  chart (LENSMOR_TRAY_DIALOG_ECHO=1), so interpreter start-up, imports, reading the store and
  drawing all count;
- CPU: utime + stime of the process at that moment (steadier than wall time on a busy machine);
- RSS: VmRSS at that moment;
- year: from pressing "4" to the year's chart being painted ("period: 365 ...").

The first start in a new profile also builds matplotlib's font cache; it is reported apart.
With --executable (a PyInstaller bundle's `lensmor-tray`), the bundle is measured instead of
the source tree: there, every start used to rebuild that cache (plotting.keep_font_cache).
Then it compares what the tray process holds with and without matplotlib imported: the tray
never imports it (tests/unit/windows/test_usage_window.py), so that difference is what the
separate process keeps out of the tray's idle RSS.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.desktop.harness import DesktopSession, poll_until  # noqa: E402
from tests.support.usage_history import year_store  # noqa: E402

CLK_TCK = 100


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def one_start(desktop: DesktopSession, env: dict[str, str], command: list[str]) -> dict[str, float]:
    started = time.monotonic()
    proc = desktop.popen([*command, "usage"], env=env, name="usage")

    def line(prefix: str) -> str | None:
        return next((x for x in desktop.log_of(proc).splitlines() if x.startswith(prefix)), None)

    poll_until(lambda: line("shown: "), 60, "the window to be mapped")
    shown = time.monotonic() - started
    poll_until(lambda: line("ready: "), 60, "the window to be ready")
    figures = {
        "shown_s": shown,
        "open_s": time.monotonic() - started,
        "cpu_s": cpu_s(proc.pid),
        "rss_mb": rss_mb(proc.pid),
    }
    pressed = time.monotonic()
    desktop.key("4")
    poll_until(lambda: line("period: 365"), 60, "the year to be painted")
    figures["year_s"] = time.monotonic() - pressed
    desktop.key("Escape")
    proc.wait(timeout=20)
    return figures


def tray_rss(with_matplotlib: bool) -> float:
    code = (
        "import tray_app.app.tray_app, tray_app.cli.main, tray_app.runtime.monitor\n"
        "import tray_app.history.store\n"
        + (
            "import matplotlib; matplotlib.use('TkAgg')\n"
            "from matplotlib.backends.backend_tkagg import FigureCanvasTkAgg\n"
            if with_matplotlib
            else ""
        )
        + "print(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    return int(done.stdout) / 1024


def cell(values: list[float], digits: int) -> str:
    med = statistics.median(values)
    return f"{med:.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--executable", type=Path, help="a bundled lensmor-tray to measure")
    args = parser.parse_args()
    command = [sys.executable, "-m", "tray_app"]
    if args.executable is not None:
        command = [str(args.executable.resolve())]
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    with DesktopSession(tray=False, notifications=False, screen="1280x800x24") as desktop:
        data = desktop.home / ".local" / "share" / "lensmor-tray"
        data.mkdir(parents=True)
        year_store(data / "history.sqlite3", time.time() - 600)
        env = desktop.env
        env.update(LENSMOR_TRAY_DIALOG_ECHO="1")
        if args.executable is None:
            env["PYTHONPATH"] = str(REPO)
        first = one_start(desktop, env, command)
        runs = [one_start(desktop, env, command) for _ in range(args.runs)]
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    plain, plotting = tray_rss(False), tray_rss(True)
    print(f"Usage window of {' '.join(command)}, a year of history, {args.runs} starts "
          "(median [min-max])")  # fmt: skip
    print(f"  load average before {' '.join(load_before)}, after {' '.join(load_after)}")
    print(f"  first start in a new profile (builds matplotlib's font cache): "
          f"{first['open_s']:.2f} s, CPU {first['cpu_s']:.2f} s")  # fmt: skip
    print(f"  start -> window on screen (s):   {cell([r['shown_s'] for r in runs], 2)}")
    print(f"  start -> chart painted (s):      {cell([r['open_s'] for r in runs], 2)}")
    print(f"  CPU time until painted (s):      {cell([r['cpu_s'] for r in runs], 2)}")
    print(f"  window RSS when painted (MB):    {cell([r['rss_mb'] for r in runs], 1)}")
    print(f"  '4' -> the year painted (s):     {cell([r['year_s'] for r in runs], 2)}")
    print(f"  tray modules imported, RSS (MB): {plain:.1f}; with matplotlib+TkAgg too: "
          f"{plotting:.1f} (+{plotting - plain:.1f}, kept out of the tray)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
