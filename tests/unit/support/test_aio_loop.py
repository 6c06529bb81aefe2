"""The shared asyncio thread: work submitted from other threads runs on the loop's thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tray_app.support.aio_loop import AsyncioThread


def test_submit_runs_on_the_loop_thread_and_returns_the_result() -> None:
    runner = AsyncioThread().start()
    try:

        async def where() -> str:
            await asyncio.sleep(0)
            return threading.current_thread().name

        assert runner.submit(where()).result(timeout=5) == "lensmor-asyncio"
    finally:
        runner.stop()
    assert not runner.running


def test_stop_cancels_pending_work_and_the_loop_is_gone() -> None:
    runner = AsyncioThread().start()
    future = runner.submit(asyncio.sleep(3600))
    runner.stop()
    assert future.cancelled() or future.done()
    with pytest.raises(RuntimeError, match="not started"):
        _ = runner.loop


def test_call_soon_runs_the_callable() -> None:
    runner = AsyncioThread().start()
    seen = threading.Event()
    try:
        runner.call_soon(seen.set)
        assert seen.wait(5)
    finally:
        runner.stop()
