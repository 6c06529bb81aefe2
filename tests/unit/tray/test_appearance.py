"""The desktop's colour scheme is read within half a second, or taken as light: a session bus
that accepts the connection and never speaks (a hung dbus-daemon) must not hold up a window
or the tray (libdbus alone waits for its answer with no bound)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tray_app.tray.appearance import desktop_panel, read_color_scheme
from tray_app.tray.badge_palette import Panel


@pytest.fixture
def silent_bus(tmp_path: Path) -> Iterator[str]:
    """The address of a bus that accepts connections and never answers."""
    pytest.importorskip("dbus")
    path = tmp_path / "bus"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(8)
    try:
        yield f"unix:path={path}"
    finally:
        listener.close()


def test_a_bus_that_never_answers_gives_no_scheme_within_the_timeout(silent_bus: str) -> None:
    answers: list[tuple[int | None, Panel]] = []

    def both() -> None:
        scheme = read_color_scheme(timeout_s=0.5, bus_address=silent_bus)
        answers.append((scheme, desktop_panel("linux", bus_address=silent_bus)))

    # In a thread of our own, so a read that hangs fails the test instead of hanging it.
    started = time.monotonic()
    asking = threading.Thread(target=both, daemon=True)
    asking.start()
    asking.join(5.0)
    assert answers == [(None, Panel.LIGHT)], "no answer within 5 s"
    assert time.monotonic() - started < 2.0  # two reads of at most 0.5 s each
