"""The README's status-bar configs, copied as a user would: each snippet's command runs against a
saved state and its output parses in that tool's format. i3blocks itself runs the i3blocks
config and its i3bar JSON output is read back. (The `on-click`/`click-left` refresh is run
against a live app in tests/desktop/test_status_bar_and_doctor.py.)"""

from __future__ import annotations

import base64
import configparser
import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REPO, Home
from tests.desktop.conftest import running_on_ci
from tests.unit.cli.test_status_cached import save_state
from tray_app.config.feed_settings import parse_integrations

SNIPPET = re.compile(r"<!-- snippet: (?P<name>[\w-]+) -->\n```\w*\n(?P<body>.*?)```", re.S)


def snippets() -> dict[str, str]:
    return {m["name"]: m["body"] for m in SNIPPET.finditer((REPO / "README.md").read_text())}


@pytest.fixture
def bar_home(home: Home) -> Home:
    """A home whose PATH has a `lensmor-tray` (this checkout) and a saved state (14 %, low)."""
    bin_dir = home.root / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "lensmor-tray"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m tray_app "$@"\n')
    shim.chmod(0o755)
    home.env["PATH"] = f"{bin_dir}:{home.env['PATH']}"
    save_state(home, age=20)
    return home


def sh(home: Home, command: str) -> str:
    done = subprocess.run(
        ["/bin/sh", "-c", command],
        env=home.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_readme_has_a_snippet_for_every_bar() -> None:
    bars = {name for name in snippets() if not name.startswith(("hook-", "guard-"))}
    assert bars == {"waybar", "i3blocks", "polybar", "xbar", "node-exporter"}


def test_waybar_snippet(bar_home: Home) -> None:
    module = json.loads(snippets()["waybar"])["custom/lensmor"]
    assert module["return-type"] == "json"
    out = json.loads(sh(bar_home, module["exec"]))
    assert out["class"] == "low"
    assert out["text"] == "5k (14%)"
    assert out["percentage"] == 14


def test_i3blocks_snippet_runs_in_i3blocks(bar_home: Home) -> None:
    if shutil.which("i3blocks") is None:
        reason = "i3blocks is not installed (scripts/system-packages.txt)"
        if running_on_ci():
            pytest.fail(f"{reason}; CI is set, so this is a failure, not a skip")
        pytest.skip(reason)
    config = bar_home.root / "i3blocks.conf"
    config.write_text(snippets()["i3blocks"])
    proc = subprocess.Popen(
        ["i3blocks", "-c", str(config)], env=bar_home.env, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        block = read_i3blocks_block(proc, "lensmor", timeout=15)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
        assert proc.stdout is not None
        proc.stdout.close()
    assert block["full_text"] == "5k (14%)"
    assert block["short_text"] == "5k (14%)"
    assert block["color"] == "#E0A100"


def read_i3blocks_block(proc: subprocess.Popen[str], name: str, timeout: float) -> dict[str, str]:
    """The first non-empty `name` block in i3blocks' i3bar protocol output."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    header = json.loads(proc.stdout.readline())
    assert header["version"] == 1
    while time.monotonic() < deadline:
        line = proc.stdout.readline().strip().lstrip(",").removeprefix("[[")
        if not line.startswith("["):
            continue
        for block in json.loads(line):
            if block.get("name") == name and block.get("full_text"):
                return block  # type: ignore[no-any-return]
    raise AssertionError(f"i3blocks printed no {name} block within {timeout} s")


def test_polybar_snippet(bar_home: Home) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(snippets()["polybar"])
    module = parser["module/lensmor"]
    assert module["type"] == "custom/script"
    out = sh(bar_home, module["exec"]).strip()
    assert out == "%{F#E0A100}5k (14%)%{F-}"


def test_xbar_plugin_snippet(bar_home: Home) -> None:
    plugin = bar_home.root / "lensmor.30s.sh"
    plugin.write_text(snippets()["xbar"])
    plugin.chmod(0o755)
    lines = sh(bar_home, shlex.quote(str(plugin))).splitlines()
    title, params = lines[0].split(" | ", 1)
    assert title == "5k (14%)"
    image = re.search(r"image=(\S+)", params)
    assert image is not None
    assert Image.open(io.BytesIO(base64.b64decode(image.group(1)))).format == "PNG"
    assert lines[1] == "---"
    label, action = lines[-1].split(" | ", 1)
    assert label == "Refresh"
    params = dict(p.split("=", 1) for p in shlex.split(action))
    assert params.pop("terminal") == "false"
    assert params.pop("refresh") == "true"
    argv = [params.pop("shell")] + [params[f"param{i}"] for i in range(1, len(params) + 1)]
    assert argv[-1] == "refresh"
    assert os.access(argv[0], os.X_OK)  # the app's own launcher, runnable as it stands


def test_node_exporter_snippet(bar_home: Home) -> None:
    import tomllib

    table = tomllib.loads(snippets()["node-exporter"])["integrations"]
    integrations = parse_integrations(table, "README")
    assert integrations.prometheus_textfile == Path("/var/lib/node_exporter/textfile/lensmor.prom")
    text = sh(bar_home, "lensmor-tray status --cached --format prometheus")
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"lensmor_credits", "lensmor_credits_last_success_timestamp_seconds"} <= names
