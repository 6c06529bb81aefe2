"""The real tray host sessions (tests/desktop/hosts/) start what they promise and leave nothing.

Each host comes up with its StatusNotifier watcher on a private bus that activates nothing,
and closing it stops every process it started (by PID, newest first), including processes
those spawned, and removes its private folders. A panel restart gives a new panel process and
the watcher again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import running_on_ci
from .harness import _is_alive
from .hosts.base import HostSession
from .hosts.gnome import GnomeHost
from .hosts.sway import SwayHost
from .hosts.xfce import XfceHost

pytestmark = [pytest.mark.desktop, pytest.mark.slow]


def processes_with_home(home: Path) -> list[int]:
    marker = f"HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environ and _is_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("cls", [XfceHost, SwayHost, GnomeHost], ids=lambda c: c.name)
def test_a_host_starts_its_watcher_and_stops_everything(cls: type[HostSession]) -> None:
    missing = cls.missing_tools()
    if missing or os.geteuid() != 0:
        reason = f"{cls.name}: missing {', '.join(missing) or 'root'}"
        if running_on_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    with cls() as host:
        root, home = host.root, host.home
        assert host.watcher_present()
        assert host.bus_address.startswith("unix:path=" + str(host.runtime_dir))
        # A bus that activates nothing: asking for an unknown service fails at once.
        assert not host.client.name_has_owner("org.freedesktop.secrets")
        pids = host.pids
        assert len(pids) >= 3
        assert all(_is_alive(pid) for pid in pids)
        host.stop_panel()
        assert not host.watcher_present()
        host.start_panel()
        assert host.watcher_present()
        pids = host.pids
        spawned = processes_with_home(home)
    assert not [pid for pid in pids + spawned if _is_alive(pid)], "left running after close"
    assert not root.exists()
