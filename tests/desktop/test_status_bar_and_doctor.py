"""The status-bar feed and `doctor` on a real headless desktop (Xvfb, trayer, a private session
bus, dunst) with the real app running against the simulated API on loopback.

One session for the whole story, to keep it cheap (~25 s): the app polls once; every format of
`status --cached` is printed without a single request reaching the API; the README's click
action (`lensmor-tray refresh`) makes the app poll again; `doctor` reports all well (exit 0);
then each failure is injected in turn — a rejected key, no notification server, no tray, the
API down — and doctor names exactly that one (exit 2)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping

import pytest

from tests.project.test_readme_bars import snippets
from tests.support.waiting import poll_until
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer

from .app_env import app_env
from .harness import DesktopSession

pytestmark = pytest.mark.desktop

FORMATS = ("text", "json", "waybar", "i3blocks", "polybar", "xbar", "prometheus")


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as srv:
        yield srv


def cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tray_app", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def doctor(env: Mapping[str, str]) -> tuple[int, dict[str, str], str]:
    done = cli(env, "doctor", "--json")
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert report["exitCode"] == done.returncode
    verdicts = {check["name"]: check["verdict"] for check in report["checks"]}
    return done.returncode, verdicts, done.stdout


def failed(verdicts: Mapping[str, str]) -> set[str]:
    return {name for name, verdict in verdicts.items() if verdict == "fail"}


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_cached_feed_costs_no_request_and_doctor_names_each_failure(
    desktop: DesktopSession, server: SimulatedLensmorServer
) -> None:
    env = app_env(desktop, server)
    assert cli(env, "autostart", "enable").returncode == 0
    # The app needs no tray for this test; the doctor below sees the desktop's (trayer).
    app = desktop.popen(
        [sys.executable, "-m", "tray_app", "-v", "run"],
        env={**env, "LENSMOR_TRAY": "none"},
        name="lensmor-tray",
    )
    desktop.wait_for_output(app, "poll: ", timeout=20)

    # -- status --cached: every format, no request -----------------------------------------
    before = len(server.account.requests)
    outputs = {}
    for name in FORMATS:
        done = cli(env, "status", "--cached", "--format", name)
        assert done.returncode == 0, done.stderr
        outputs[name] = done.stdout
    assert len(server.account.requests) == before
    assert json.loads(outputs["waybar"])["class"] == "ok"
    balance = json.loads(outputs["json"])["totalBalance"]

    # -- the README's waybar click action: the running app polls again ---------------------
    server.account.spend(7)
    on_click = json.loads(snippets()["waybar"])["custom/lensmor"]["on-click"]
    bin_dir = desktop.home / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "lensmor-tray"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m tray_app "$@"\n')
    shim.chmod(0o755)
    shell_env = {**env, "PATH": f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}"}
    clicked = subprocess.run(
        ["/bin/sh", "-c", on_click], env=shell_env, capture_output=True, timeout=30, check=False
    )
    assert clicked.returncode == 0, clicked.stderr
    poll_until(lambda: len(server.account.requests) > before or None, 10, "the refresh poll")
    # Told apart by the balance, not by fetchedAt: that has whole seconds, and both polls
    # can fall in the same one.
    poll_until(
        lambda: (
            json.loads(cli(env, "status", "--cached", "--format", "json").stdout)["totalBalance"]
            == balance - 7
            or None
        ),
        10,
        "the saved state to show the new poll",
    )

    # -- doctor: a healthy desktop --------------------------------------------------------
    code, verdicts, out = doctor(env)
    assert code == 0, out
    assert set(verdicts) >= {"key", "API", "key accepted", "tray", "notifications", "app"}
    text = cli(env, "doctor").stdout
    assert "✓ tray: X11; StatusNotifier watcher ✗, XEmbed tray ✓" in text
    assert "✓ notifications: dunst" in text
    assert "supports actions" in text
    assert f"✓ app: running (pid {app.pid})" in text
    assert DEMO_KEY not in text

    # -- injected failures, one at a time -------------------------------------------------
    server.account.set_valid_keys(["uak_someoneelse000000000000"])
    code, verdicts, out = doctor(env)
    assert (code, failed(verdicts)) == (2, {"key accepted"}), out
    server.account.set_valid_keys([DEMO_KEY])

    desktop.stop_notifications()
    code, verdicts, out = doctor(env)
    assert (code, failed(verdicts)) == (2, {"notifications"}), out
    desktop.start_notifications()

    desktop.stop_tray()
    code, verdicts, out = doctor(env)
    assert (code, failed(verdicts)) == (2, {"tray"}), out
    desktop.start_tray()

    code, verdicts, out = doctor({**env, "LENSMOR_BASE_URL": closed_port_url()})
    assert (code, failed(verdicts)) == (2, {"API"}), out

    os.kill(app.pid, signal.SIGTERM)
    app.wait(timeout=10)
    code, verdicts, out = doctor(env)
    assert (code, verdicts["app"]) == (1, "warn"), out  # not running: a warning only
