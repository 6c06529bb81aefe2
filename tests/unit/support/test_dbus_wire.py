"""The plain-socket `NameHasOwner` (support/dbus_wire.py) against a real dbus-daemon, and
against sockets that are not a bus: it answers, or says it cannot tell (None), never wrong."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import REPO
from tests.support.sni_bus import MiniWatcher, private_bus
from tray_app.support.dbus_wire import name_has_owner

WATCHER = "org.kde.StatusNotifierWatcher"

pytestmark = pytest.mark.desktop  # a real dbus-daemon


def test_it_answers_like_the_bus_does() -> None:
    with private_bus() as address:
        assert name_has_owner(WATCHER, address) is False
        assert name_has_owner("org.freedesktop.DBus", address) is True
        watcher = MiniWatcher(address).start()
        try:
            assert name_has_owner(WATCHER, address) is True
        finally:
            watcher.close()


def test_the_socket_path_may_be_escaped_and_listed_after_others(tmp_path: Path) -> None:
    with private_bus() as address:
        path = address.split("path=", 1)[1].split(",", 1)[0]
        odd = tmp_path / "a bus, with; odd=chars"
        odd.symlink_to(path)
        listed = f"tcp:host=localhost,port=1;unix:path={quote(str(odd), safe='/')},guid=x"
        assert name_has_owner("org.freedesktop.DBus", listed) is True


@pytest.mark.parametrize(
    "address",
    [
        None,
        "",
        "tcp:host=localhost,port=1",
        "unix:runtime=yes",
        "launchd:env=DBUS_LAUNCHD_SESSION_BUS_SOCKET",
        "garbage",
        "unix:path=/nonexistent/bus",
    ],
)
def test_what_it_does_not_handle_is_left_to_dbus_fast(address: str | None) -> None:
    assert name_has_owner(WATCHER, address) is None


@contextmanager
def fake_bus(tmp_path: Path, answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A unix socket whose one connection gets `answer`."""
    path = tmp_path / "fake-bus"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            answer(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"unix:path={path}"
    finally:
        server.close()
        thread.join(5)


def test_a_refused_authentication_cannot_tell(tmp_path: Path) -> None:
    def refuse(conn: socket.socket) -> None:
        conn.recv(256)
        conn.sendall(b"REJECTED EXTERNAL\r\n")

    with fake_bus(tmp_path, refuse) as address:
        assert name_has_owner(WATCHER, address) is None


def test_a_silent_socket_cannot_tell_within_the_timeout(tmp_path: Path) -> None:
    def silence(conn: socket.socket) -> None:
        conn.recv(256)
        time.sleep(1.5)

    with fake_bus(tmp_path, silence) as address:
        started = time.monotonic()
        assert name_has_owner(WATCHER, address, timeout=0.3) is None
        assert time.monotonic() - started < 1.2


def test_nonsense_after_authentication_cannot_tell(tmp_path: Path) -> None:
    def nonsense(conn: socket.socket) -> None:
        conn.recv(256)
        conn.sendall(b"OK 0123\r\n")
        conn.recv(4096)
        conn.sendall(b"X" * 64)  # no byte order D-Bus knows

    with fake_bus(tmp_path, nonsense) as address:
        assert name_has_owner(WATCHER, address) is None


def _printed_lines(code: str) -> list[str]:
    """What `code` prints in a fresh interpreter (so that sys.modules shows what it loaded)."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")


def test_the_tray_probe_on_an_xembed_only_desktop_loads_no_dbus_library() -> None:
    """Issue 20: asking for the watcher imported dbus-fast and started the asyncio thread,
    60 ms of a start whose answer on trayer is "no"."""
    with private_bus() as address:
        printed = _printed_lines(
            "import sys, threading\n"
            "from tray_app.tray.host_probe import sni_watcher_present\n"
            "from tray_app.support.aio_loop import AsyncioThread\n"
            f"print(sni_watcher_present({{'DBUS_SESSION_BUS_ADDRESS': {address!r}}},"
            " AsyncioThread()))\n"
            "print(sorted(m for m in ('dbus_fast', 'desktop_notifier') if m in sys.modules))\n"
            "print([t.name for t in threading.enumerate() if t.name == 'lensmor-asyncio'])\n"
        )
    assert printed[:3] == ["False", "[]", "[]"]


def test_at_login_on_a_statusnotifier_desktop_the_host_probe_loads_no_x11() -> None:
    """The watcher is asked before the XEmbed tray: that probe loads ctypes and libX11, which
    the native item never needs (the X display here is made up: it must not even be tried)."""
    with private_bus() as address:
        watcher = MiniWatcher(address).start()
        try:
            printed = _printed_lines(
                "import sys\n"
                "from tray_app.tray.host_probe import tray_host_present\n"
                f"env = {{'DBUS_SESSION_BUS_ADDRESS': {address!r}, 'DISPLAY': ':4242'}}\n"
                "print(tray_host_present(env))\n"
                "print('ctypes' in sys.modules)\n"
            )
        finally:
            watcher.close()
    assert printed[:2] == ["True", "False"]
