"""The notification chain without a display: order, fallback, retry window, one warning per
failure streak, the bound on a hanging send, and the default order per platform.

The chain is driven with small in-test backends (the Notifier protocol is the seam).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.support.waiting import poll_until
from tests.unit.notify.notices import LOW
from tray_app.notify import (
    LogNotifier,
    Notification,
    NotifierChain,
    NotifyError,
    build_default_chain,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Backend:
    """A Notifier that records what it was given and fails while `error` is set."""

    name: str
    error: Exception | None = None
    sent: list[Notification] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)

    def send(self, n: Notification) -> None:
        self.threads.append(threading.current_thread().name)
        if self.error is not None:
            raise self.error
        self.sent.append(n)


@dataclass
class Hanging:
    """A Notifier whose send blocks until released, like a D-Bus call to a stuck daemon."""

    name: str = "stuck"
    release: threading.Event = field(default_factory=threading.Event)
    calls: int = 0

    def send(self, n: Notification) -> None:
        self.calls += 1
        self.release.wait()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hanging() -> Iterator[Hanging]:
    backend = Hanging()
    yield backend
    backend.release.set()  # let its thread finish


def warnings_about(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and f"backend {name} " in r.getMessage()
    ]


def test_first_working_backend_delivers_and_later_ones_are_not_tried() -> None:
    first, second = Backend("first"), Backend("second")
    chain = NotifierChain([first, second, LogNotifier()])

    assert chain.send(LOW) == "first"
    assert first.sent == [LOW]
    assert second.sent == []
    assert chain.backend_names == ["first", "second", "log"]


def test_sends_run_off_the_callers_thread() -> None:
    backend = Backend("plyer")
    NotifierChain([backend]).send(LOW)
    assert backend.threads == ["notify-plyer"]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (NotifyError("DBusException: ServiceUnknown"), "DBusException: ServiceUnknown"),
        (RuntimeError("broke its promise"), "RuntimeError: broke its promise"),
    ],
)
def test_a_failing_backend_falls_back_to_the_next(
    error: Exception, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    broken, tray = Backend("plyer", error=error), Backend("pystray")
    chain = NotifierChain([broken, tray, LogNotifier()])

    with caplog.at_level(logging.DEBUG, logger="tray_app.notify"):
        assert chain.send(LOW) == "pystray"

    assert tray.sent == [LOW]
    (warning,) = warnings_about(caplog, "plyer")
    assert f"backend plyer failed: {reason}; falling back, will retry in 5 min" in warning
    assert chain.failing() == {"plyer": reason}
    delivered = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("delivered by pystray" in m and "low:1" in m for m in delivered)


def test_never_raises_and_reports_when_nothing_delivered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chain = NotifierChain([Backend("a", error=NotifyError("x")), Backend("b", error=OSError())])
    with caplog.at_level(logging.WARNING, logger="tray_app.notify"):
        assert chain.send(LOW) is None
    assert any("could not be delivered by any of a, b" in r.getMessage() for r in caplog.records)


def test_a_failed_backend_is_skipped_until_its_retry_window_ends(clock: FakeClock) -> None:
    plyer = Backend("plyer", error=NotifyError("no server"))
    chain = NotifierChain([plyer, LogNotifier()], retry_after=300, clock=clock)

    assert chain.send(LOW) == "log"
    assert len(plyer.threads) == 1

    clock.now += 299  # inside the window: not even tried
    plyer.error = None  # (the daemon came back meanwhile)
    assert chain.send(LOW) == "log"
    assert len(plyer.threads) == 1

    clock.now += 1  # the window is over: tried again, and it works
    assert chain.send(LOW) == "plyer"
    assert plyer.sent == [LOW]
    assert chain.failing() == {}


@dataclass
class ProbedBackend(Backend):
    """A backend that can say cheaply whether its server is back (like a D-Bus name check)."""

    server_up: bool = False
    probes: int = 0

    def ready(self) -> bool:
        self.probes += 1
        return self.server_up


def test_a_backend_whose_server_is_back_is_tried_before_its_window_ends(clock: FakeClock) -> None:
    plyer = ProbedBackend("plyer", error=NotifyError("no server"))
    chain = NotifierChain([plyer, LogNotifier()], retry_after=300, clock=clock)
    assert chain.send(LOW) == "log"

    clock.now += 10
    assert chain.send(LOW) == "log"  # probe says no: skipped, not sent
    assert (plyer.probes, len(plyer.threads)) == (1, 1)

    clock.now += 10
    plyer.error, plyer.server_up = None, True  # the daemon was restarted
    assert chain.send(LOW) == "plyer"
    assert plyer.sent == [LOW]


def test_the_retry_window_restarts_from_each_failed_retry(clock: FakeClock) -> None:
    plyer = Backend("plyer", error=NotifyError("no server"))
    chain = NotifierChain([plyer, LogNotifier()], retry_after=300, clock=clock)
    chain.send(LOW)
    clock.now += 300
    chain.send(LOW)  # retried, fails again
    clock.now += 299
    chain.send(LOW)
    assert len(plyer.threads) == 2


def test_one_warning_per_failure_streak_not_per_notification(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    plyer = Backend("plyer", error=NotifyError("ServiceUnknown"))
    chain = NotifierChain([plyer, LogNotifier()], retry_after=300, clock=clock)

    with caplog.at_level(logging.DEBUG, logger="tray_app.notify"):
        for _ in range(6):  # failing on every retry for half an hour
            assert chain.send(LOW) == "log"
            clock.now += 301
        assert len(plyer.threads) == 6
        assert len(warnings_about(caplog, "plyer")) == 1

        plyer.error = None
        assert chain.send(LOW) == "plyer"
        assert any("plyer works again" in r.getMessage() for r in caplog.records)

        plyer.error = NotifyError("ServiceUnknown")  # a new streak warns again, once
        chain.send(LOW)
        clock.now += 301
        chain.send(LOW)
    assert len(warnings_about(caplog, "plyer")) == 2


def test_a_hanging_send_is_bounded_and_not_piled_up(
    clock: FakeClock, hanging: Hanging, caplog: pytest.LogCaptureFixture
) -> None:
    # 1 s, so that "at once" below (well under the timeout) holds on a loaded machine too.
    chain = NotifierChain([hanging, LogNotifier()], send_timeout=1.0, retry_after=60, clock=clock)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="tray_app.notify"):
        assert chain.send(LOW) == "log"
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 3.0
    assert "no answer within 1 s" in warnings_about(caplog, "stuck")[0]

    # Still stuck when its retry comes: refused at once, no second thread blocked on it
    # (which would take the 1 s timeout again).
    clock.now += 61
    started = time.monotonic()
    assert chain.send(LOW) == "log"
    assert time.monotonic() - started < 0.9
    assert hanging.calls == 1
    assert "previous send has not returned" in chain.failing()["stuck"]

    # Once it answers, the next retry goes through it again.
    hanging.release.set()
    clock.now += 61
    poll_until(
        lambda: not any(t.name == "notify-stuck" for t in threading.enumerate()),
        5,
        "the stuck send's thread ended",
    )
    assert chain.send(LOW) == "stuck"
    assert hanging.calls == 2


def test_a_hanging_backend_does_not_delay_the_others(hanging: Hanging) -> None:
    tray = Backend("pystray")
    chain = NotifierChain([hanging, tray, LogNotifier()], send_timeout=0.2)
    assert chain.send(LOW) == "pystray"
    assert tray.sent == [LOW]


def test_concurrent_sends_are_serialised() -> None:
    backend = Backend("plyer")
    chain = NotifierChain([backend])
    threads = [threading.Thread(target=chain.send, args=(LOW,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(backend.sent) == 8


def test_an_empty_chain_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one backend"):
        NotifierChain([])


@pytest.mark.parametrize(
    ("platform", "with_icon", "order"),
    [
        ("linux", False, ["plyer", "log"]),
        ("linux", True, ["plyer", "pystray", "log"]),
        ("win32", True, ["pystray", "plyer", "log"]),
        ("darwin", True, ["pystray", "plyer", "log"]),
        ("win32", False, ["plyer", "log"]),
    ],
)
def test_default_chain_order(platform: str, with_icon: bool, order: list[str]) -> None:
    chain = build_default_chain((lambda: None) if with_icon else None, platform=platform)
    assert chain.backend_names == order
