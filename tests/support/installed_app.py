"""Checks that an installed lensmor-tray (a pipx venv, the Debian package) runs as a user runs it.

The same checks for every way of installing: the command is run by its installed path, with a
clean environment (no PYTHONPATH, a HOME of its own) from a folder outside the checkout, so it
can only import what the installation holds. Everything a user sees comes from package data:
the catalogs (a German message), the badge font and the icons (the tray item's pixmaps, drawn
by the demo on a real StatusNotifier host, xfce4-panel on Xvfb).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tray_app import __version__
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer

from .waiting import poll_until

# The German catalog's message for `history` with no history yet (tray_app/locale/de).
GERMAN_NO_HISTORY = "noch kein Verlauf"


@dataclass(frozen=True)
class Installed:
    command: Path  # the `lensmor-tray` the installation put on PATH

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        """A user's clean environment: only the installation's folder and the system's on PATH."""
        for sub in (".config", ".local/share", ".local/state", ".cache", "tmp"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        env = {
            "PATH": f"{self.command.parent}:/usr/bin:/bin",
            "HOME": str(home),
            "TMPDIR": str(home / "tmp"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_STATE_HOME": str(home / ".local/state"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "LANG": "C.UTF-8",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        env.update(extra)
        return env

    def run(self, home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.command), *args],
            env=self.env(home, **extra),
            cwd=home,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )


def assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stderr


def check_commands(app: Installed, home: Path) -> None:
    """--version, status --cached, status --json (the HTTP stack), doctor --json, a catalog."""
    version = app.run(home, "--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"lensmor-tray {__version__}"), (
        version.stderr
    )

    cached = app.run(home, "status", "--cached")
    # Nothing polled yet in this HOME: the documented "no" answer, one line saying what to do.
    assert cached.returncode == 1, cached.stderr
    assert_clean(cached)
    assert cached.stderr.startswith("lensmor-tray: no saved state yet"), cached.stderr

    with SimulatedLensmorServer() as server:
        server.account.spend(1234)  # a value no default could produce
        fetched = app.run(
            home, "status", "--json", LENSMOR_BASE_URL=server.url, LENSMOR_API_KEY=DEMO_KEY
        )
        assert fetched.returncode == 0, fetched.stderr
        assert_clean(fetched)
        expected = server.account.snapshot()
        printed = json.loads(fetched.stdout)
        assert {name: printed[name] for name in expected} == expected

        doctor = app.run(
            home, "doctor", "--json", LENSMOR_BASE_URL=server.url, LENSMOR_API_KEY=DEMO_KEY
        )
        assert_clean(doctor)
        report = json.loads(doctor.stdout)
        verdicts = {check["name"]: check["verdict"] for check in report["checks"]}
        # No desktop here, so the tray and notification checks fail; the rest must pass.
        assert verdicts["config"] == verdicts["key"] == verdicts["API"] == "ok", report
        assert doctor.returncode == report["exitCode"]
        assert DEMO_KEY not in fetched.stdout + fetched.stderr + doctor.stdout + doctor.stderr

    german = app.run(home, "history", LANG="de_DE.UTF-8")
    assert german.returncode == 1, german.stderr
    assert GERMAN_NO_HISTORY in german.stderr, german.stderr


def check_demo_on_a_tray_host(app: Installed, home: Path) -> None:
    """`lensmor-tray demo` on xfce4-panel: the item registers, shows a balance, has a badge.
    Skipped where the host cannot run, except on CI, where that fails."""
    import pytest

    from tests.desktop.conftest import running_on_ci
    from tests.desktop.hosts.xfce import XfceHost

    missing = XfceHost.missing_tools()
    if missing:
        reason = f"xfce host cannot run: missing {', '.join(missing)}"
        if running_on_ci():
            pytest.fail(f"{reason} (CI is set, so this is a failure)", pytrace=False)
        pytest.skip(reason)
    with XfceHost() as host:
        # The host's display and bus; nothing of the test runner's Python (PYTHONPATH).
        env = {k: v for k, v in host.env.items() if not k.startswith(("PYTHON", "LC_"))}
        env.update(app.env(host.home))
        env.update(host.extra_env, LENSMOR_TRAY="sni")
        env["DBUS_SESSION_BUS_ADDRESS"] = host.bus_address
        process = host.launch("installed-demo", [str(app.command), "-v", "demo"], env=env)

        def log() -> str:
            return process.log.read_text(errors="replace")

        def item_with_balance() -> tuple[str, list[object]] | None:
            assert process.proc is not None
            assert process.proc.poll() is None, f"the demo exited:\n{log()[-3000:]}"
            items = host.client.items_of_pid(process.pid)
            if not items:
                return None
            _icon, _pixmaps, title, _text = host.client.item_property(items[0], "ToolTip")
            pixmaps = host.client.item_property(items[0], "IconPixmap")
            return (str(title), list(pixmaps)) if re.search(r"\d", str(title)) else None

        try:
            title, pixmaps = poll_until(item_with_balance, 30, "the demo's item with a balance")
        except TimeoutError:
            items = host.client.registered_items()
            raise AssertionError(f"no item with a balance; watcher has {items}:\n{log()}") from None
        # The badge is drawn with the packaged font: pixmaps of real size with real pixels.
        assert pixmaps, title
        width, height, data = pixmaps[0]  # type: ignore[misc]
        assert min(width, height) >= 16, (width, height)
        assert len(set(bytes(data))) > 2, "a blank pixmap"
        host.stop("installed-demo", signal.SIGTERM)
        assert "Traceback" not in log(), log()[-3000:]


def leftover_files(listed: list[str]) -> list[str]:
    """Which of the paths a package listed still exist (folders shared with others excepted)."""
    return [p for p in listed if os.path.lexists(p) and not os.path.isdir(p)]
