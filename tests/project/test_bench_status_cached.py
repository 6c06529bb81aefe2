"""`make bench` still measures `status --cached`: scripts/bench_status_cached.py, one run each.

A smoke test, not a timed one. It checks that every format is measured twice, answered from
the memo and computed, as installed, beside `python -c pass`; and the one comparison that holds
on any machine by construction: computing the answer (importing the CLI's status modules,
reading SQLite, rendering) costs more than printing the memo's.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

FORMATS = ("text", "json", "waybar", "i3blocks", "prometheus", "xbar")


def test_every_format_is_measured_from_the_memo_and_computed() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench_status_cached.py"), "--runs", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    installed = done.stdout.split("-- as installed")[1]
    figures = {}
    for line in installed.splitlines()[1:]:
        match = re.match(r"\s*(.+?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", line)
        assert match, f"not a row of figures: {line!r}"
        figures[match.group(1)] = float(match.group(4))  # CPU ms
    assert "python -c pass" in figures
    for name in FORMATS:
        assert f"status --cached --format {name}" in figures, name
    for name in ("text", "waybar", "xbar"):
        memo = figures[f"status --cached --format {name}"]
        computed = figures[f"{name}, computed (no memo)"]
        assert computed > memo, (name, computed, memo)
