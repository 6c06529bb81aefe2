"""The xorg bridge's queue of icon updates (tray/xorg_bridge.py), run on pystray's loop."""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable

import pytest
from Xlib.error import ConnectionClosedError

from tray_app.tray.xorg_bridge import run_queued


def test_an_update_that_finds_the_display_gone_is_one_quiet_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Seen in the display-lost desktop test now and then: the first poll's update raced the
    X server going away, and the log got a traceback at ERROR."""
    ran: list[str] = []
    calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def display_gone() -> None:
        raise ConnectionClosedError("Display")

    def broken() -> None:
        raise ValueError("a bug")

    for fn in (lambda: ran.append("first"), display_gone, broken, lambda: ran.append("last")):
        calls.put(fn)
    with caplog.at_level(logging.DEBUG, logger="tray_app.tray.xorg_bridge"):
        run_queued(calls)
    assert ran == ["first", "last"]  # in order, and one failure stops none of the others
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [(r.getMessage(), r.exc_info is not None) for r in errors] == [
        ("a tray update failed", True)  # the bug keeps its traceback
    ]
    assert any("X display gone" in r.getMessage() for r in caplog.records)
