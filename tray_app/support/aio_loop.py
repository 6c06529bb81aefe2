"""One asyncio event loop on a daemon thread, for the parts that speak D-Bus through asyncio.

The native StatusNotifierItem (dbus-fast) and the desktop-notifier backend are asyncio
libraries, while the rest of the app is threads (APScheduler, pystray, signal handlers). Both
are given the same `AsyncioThread` by the app wiring, so one loop owns every D-Bus object and the
callers on other threads hand it work with `submit()` / `call_soon()`; nothing on that loop ever
waits on the network or on the monitor's lock.

Nothing starts at import: the thread exists only after `start()`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class AsyncioThread:
    """An event loop running forever on its own daemon thread until `stop()`."""

    def __init__(self, name: str = "lensmor-asyncio") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the asyncio thread is not started")
        return self._loop

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> AsyncioThread:
        if self.running:
            return self
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        self._ready.wait()
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            try:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `coro` on the loop; the returned future can be waited on (with a timeout)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call_soon(self, fn: Callable[..., object], *args: object) -> None:
        """Schedule a plain callable on the loop's thread (thread-safe, never blocks)."""
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the loop, cancelling what is still running on it, and join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if thread.is_alive():
            log.warning("the asyncio thread did not stop within %.1f s", timeout)
        self._thread = None
        self._loop = None
