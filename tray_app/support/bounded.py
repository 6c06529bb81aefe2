"""Run a call that may hang (a locked keyring, a stuck notification daemon) with a deadline.

The call runs in a daemon thread; the caller waits at most `timeout` seconds. A call that does
not return in time is abandoned, not killed (Python cannot kill a thread): `CallTimedOut`
carries the thread so the caller can avoid starting a second one while it is still stuck.
Being a daemon, an abandoned thread never delays the app's exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class CallTimedOut(Exception):
    def __init__(self, name: str, timeout: float, thread: threading.Thread) -> None:
        super().__init__(f"{name} did not return within {timeout:g} s")
        self.thread = thread


def call_with_timeout(fn: Callable[..., T], timeout: float, *args: Any, name: str) -> T:
    """`fn(*args)`, or CallTimedOut after `timeout` s; `fn`'s own exception is re-raised here."""
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            error.append(exc)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise CallTimedOut(name, timeout, thread)
    if error:
        raise error[0]
    return result[0]


def all_within(
    calls: Sequence[tuple[Callable[[], T], float]], name: str = "bounded"
) -> list[T | None]:
    """Run every call at once, each in its own daemon thread with its own deadline (seconds
    from now); its answer, or None for a call that raised or did not finish in time (it is
    abandoned, as in call_with_timeout). For `doctor`, whose checks run side by side."""
    answers: list[T | None] = [None] * len(calls)

    def work(index: int, call: Callable[[], T]) -> None:
        try:
            answers[index] = call()
        except Exception:  # noqa: BLE001 - the caller words a missing answer
            answers[index] = None

    started = time.monotonic()
    threads = [
        threading.Thread(target=work, args=(i, call), name=name, daemon=True)
        for i, (call, _timeout) in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread, (_call, timeout) in zip(threads, calls, strict=True):
        thread.join(max(0.0, started + timeout - time.monotonic()))
    return [None if thread.is_alive() else answers[i] for i, thread in enumerate(threads)]
