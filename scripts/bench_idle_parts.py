"""What single changes to the idle tray's memory are worth (issue 9), in bare interpreters.

Each case is a fresh `python -c` that imports what `lensmor-tray run` imports on Linux with the
native tray (tray_app.cli.main, tray_app.app.tray_app, tray_app.tray.sni.tray), then does
one more thing; the figure is its VmRSS, the median of 3 runs (MiB). Cases:

  font from bytes / from its path   four badges rendered at every SNI size, with the badge
                                    font loaded as before (bytes) and as now (the file path)
  modules                           the imports the idle tray no longer makes (the macOS and
                                    Windows autostart backends, webbrowser, decimal), together
                                    and one by one

The whole process is measured by scripts/bench_sni.py; the keyring child by
tests/unit/keys/test_keyring_child.py (it prints both figures with -s). Usage:
python scripts/bench_idle_parts.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RSS = "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS')))"
BASE = "import tray_app.cli.main, tray_app.app.tray_app, tray_app.tray.sni.tray\n"
RENDER = """
from tray_app.core.badge import badge_for_balance
from tray_app.core.levels import Level
from tray_app.tray.badge_renderer import BadgeRenderer
from tray_app.tray.sni.pixmaps import badge_pixmaps
renderer = BadgeRenderer()
for value in (12_500, 950, 30_000, 1_200_000):
    badge_pixmaps(badge_for_balance(value, 0.4, Level.OK), renderer)
"""
FONT_FROM_BYTES = """
import io
import tray_app.tray.badge_renderer as badge_renderer
from tray_app.support.resources import asset_bytes
badge_renderer._font_source = lambda: io.BytesIO(asset_bytes(badge_renderer.FONT_FILE))
"""
DROPPED = {
    "autostart macOS + Windows": "import tray_app.autostart.macos, tray_app.autostart.windows",
    "webbrowser": "import webbrowser",
    "decimal": "import decimal",
}


def rss_mib(code: str, runs: int = 3) -> float:
    values = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code + "\n" + RSS],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        )
        values.append(int(done.stdout.split()[-1]) / 1024)
    return statistics.median(values)


def main() -> int:
    cases = {
        "font from bytes (before)": BASE + FONT_FROM_BYTES + RENDER,
        "font from its path (now)": BASE + RENDER,
        "modules: now": BASE,
        "modules: + all three dropped (before)": BASE + "\n".join(DROPPED.values()),
    }
    cases.update({f"modules: + {name}": BASE + code for name, code in DROPPED.items()})
    for name, code in cases.items():
        print(f"{rss_mib(code):6.1f} MiB  {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
