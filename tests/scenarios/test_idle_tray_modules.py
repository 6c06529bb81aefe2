"""What the idle tray does not keep in memory (issue 9's idle-RSS target; docs/benchmarks.md):
code only a menu action, another platform or the settings need, and a second copy of the badge
font. Checked in a fresh interpreter that imports what `lensmor-tray run` imports and does what
a poll does (the alert rules' threshold lines, a badge rendered at every SNI size)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

IDLE_TRAY = """
import json, sys
import tray_app.cli.main, tray_app.app.tray_app, tray_app.tray.sni.tray
import tray_app.tray.pystray_tray, tray_app.tray.gtk_menu_labels
tray_app.cli.main.handler_for("run")
from pathlib import Path
from tray_app.autostart import autostart_for, resolve_launch_command
from tray_app.core.alerts import threshold_lines
from tray_app.core.badge import badge_for_balance
from tray_app.core.levels import DEFAULT_THRESHOLDS, Level
from tray_app.tray.badge_renderer import BadgeRenderer, load_badge_font
from tray_app.tray.sni.pixmaps import badge_pixmaps

threshold_lines(DEFAULT_THRESHOLDS, 10_000)
badge_pixmaps(badge_for_balance(12_500, 0.4, Level.OK), BadgeRenderer())
autostart_for("linux", environ={}, home=Path(sys.argv[1]), launcher=resolve_launch_command())
unwanted = (
    "webbrowser", "decimal", "plistlib", "keyring", "tray_app.autostart.macos",
    "tray_app.autostart.windows", "matplotlib", "tkinter",
    # The other commands (issue 20): imported only when chosen.
    "tray_app.cli.commands.guard", "tray_app.cli.commands.key", "tray_app.cli.commands.account",
    "tray_app.cli.commands.setup_info", "tray_app.cli.commands.status", "getpass", "termios",
    # html.escape's package loads html.entities: 0.4 MB on the XEmbed tray (issue 20).
    "html",
)
print(json.dumps({
    "loaded": sorted(m for m in unwanted if m in sys.modules),
    "font_from": type(load_badge_font().path).__name__,
}))
"""


def test_the_idle_tray_loads_only_what_it_uses(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", IDLE_TRAY, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["loaded"] == []
    # A path: FreeType maps the file; bytes would keep two 650 kB copies in the process.
    assert answer["font_from"] == "str"
