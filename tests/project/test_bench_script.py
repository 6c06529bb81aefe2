"""`make bench` still works: scripts/bench.py in its --quick mode prints the whole table.

A smoke test, not a timed one: the figures of a 3-second idle window on a shared CI machine
mean nothing. What it checks is that every figure is measured for both subjects (a broken
measurement prints "—" or crashes), and the two figures that are exact by construction: an
idle simulated day costs the app the same 288 requests as the skeleton's fixed 5 minutes,
and a busy day costs more (1-minute polls for 10 minutes after each change).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.desktop.conftest import require_desktop_tools

pytestmark = pytest.mark.desktop

ROWS = (
    "start → icon on screen",
    "start → fetched balance on screen",
    "CPU time until the balance is on screen",
    "RSS after 3 s idle",
    "threads when idle",
    "CPU time per idle minute",
    "context switches per idle minute",
    "CPU time per poll, no re-render",
    "CPU time per poll with a re-render",
    "CPU time per poll with a re-render, no notifications",
    "requests per simulated idle day",
    "requests per simulated busy day",
)
SNI_ROWS = (
    "xfce4-panel: start → item registered",
    "xfce4-panel: RSS after 3 s idle",
    "trayer: start → icon docked",
    "trayer: RSS after 3 s idle",
)
# Figures that need a year of history to mean anything different from an empty store.
YEAR_ROWS = ROWS[:9]


def number(cell: str) -> float:
    """The median at the start of a cell ("0.61 [0.58-0.70]" -> 0.61)."""
    match = re.match(r"([\d,]+(?:\.\d+)?)", cell.strip())
    assert match, f"not a number: {cell!r}"
    return float(match.group(1).replace(",", ""))


def test_quick_bench_prints_every_figure_for_both_subjects() -> None:
    require_desktop_tools()
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "uname -a: Linux" in out
    assert "load average" in out
    table = {
        cells[0]: cells[1:]
        for line in out.splitlines()
        if line.startswith("| ") and not line.startswith("| figure")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    values: dict[str, tuple[float, float]] = {}
    for row in ROWS:
        found = [label for label in table if label.startswith(row + " (")]
        assert found, f"row {row!r} missing from:\n{out}"
        skeleton, app, ratio, year, year_ratio = table[found[0]]
        values[row] = (number(skeleton), number(app))
        assert ratio != "—", found[0]
        if row in YEAR_ROWS:
            number(year)
            assert year_ratio != "—", found[0]
    assert values["requests per simulated idle day"] == (288, 288)
    assert values["requests per simulated busy day"][1] > 288
    for row in ("start → icon on screen", "start → fetched balance on screen"):
        assert all(0 < v < 30 for v in values[row]), (row, values[row])
    assert all(v > 10 for v in values["RSS after 3 s idle"])  # MB: a real process was read
    assert all(v > 50 for v in values["CPU time until the balance is on screen"])  # ms
    assert all(v > 0 for v in values["CPU time per poll with a re-render"])
    # The second part (scripts/bench_sni.py): the SNI host and the XEmbed fallback.
    for row in SNI_ROWS:
        found = [label for label in table if label.startswith(row + " (")]
        assert found, f"row {row!r} missing from:\n{out}"
        skeleton, app, ratio, _target = table[found[0]]
        assert 0 < number(skeleton) < (30 if "start" in row else 1000), (row, skeleton)
        assert 0 < number(app) < (30 if "start" in row else 1000), (row, app)
        assert ratio.endswith("x"), (row, ratio)
