"""The APScheduler wrapper: real BackgroundScheduler, a monitor stand-in whose poll we control."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from tests.support.waiting import poll_until
from tray_app.core.pacing import NextPoll
from tray_app.runtime.scheduler import MISFIRE_GRACE_S, PollScheduler


@dataclass
class Report:
    next_poll: NextPoll


@dataclass
class SlowMonitor:
    """poll_once blocks until released, so a test can hold a poll "in flight"."""

    delay: float | None = 3600.0
    release: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    polls: int = 0

    hold: float = 0.0

    def refresh_delay(self, now: float) -> float:
        return self.hold

    def poll_once(self, now: float) -> Report:
        self.polls += 1
        self.started.set()
        self.release.wait(10)
        return Report(NextPoll(self.delay, "test"))


def test_refresh_now_joins_a_poll_in_flight() -> None:
    monitor = SlowMonitor()
    scheduler = PollScheduler(monitor)  # type: ignore[arg-type]
    scheduler.start(first_delay=0)
    try:
        assert monitor.started.wait(5)
        scheduler.refresh_now()
        scheduler.refresh_now()
        monitor.release.set()
        # Re-armed with the chosen delay once the poll in flight ends.
        poll_until(
            lambda: (scheduler.next_poll_at or 0) > time.time() + 3000, 5, "the poll re-armed"
        )
        assert monitor.polls == 1
    finally:
        scheduler.stop()


def test_refresh_now_polls_at_once_when_idle() -> None:
    monitor = SlowMonitor()
    monitor.release.set()
    scheduler = PollScheduler(monitor)  # type: ignore[arg-type]
    scheduler.start(first_delay=3600)
    try:
        scheduler.refresh_now(wait=True)
        assert monitor.polls == 1
    finally:
        scheduler.stop()


def test_no_next_poll_while_the_key_is_rejected() -> None:
    monitor = SlowMonitor(delay=None)
    monitor.release.set()
    scheduler = PollScheduler(monitor)  # type: ignore[arg-type]
    scheduler.start(first_delay=3600)
    try:
        scheduler.refresh_now(wait=True)
        assert scheduler.next_poll_at is None
    finally:
        scheduler.stop()


def test_a_clock_jump_is_noticed_and_steady_time_is_not() -> None:
    wall, mono = [1000.0], [50.0]
    scheduler = PollScheduler(
        SlowMonitor(),  # type: ignore[arg-type]
        clock=lambda: wall[0],
        monotonic=lambda: mono[0],
    )
    wall[0] += 60
    mono[0] += 60
    assert not scheduler.clock_jumped()
    wall[0] += 3600 + 60  # a suspend: wall time moved an hour more than monotonic time
    mono[0] += 60
    assert scheduler.clock_jumped()
    wall[0] -= 3600  # the clock set back an hour
    assert scheduler.clock_jumped()
    assert not scheduler.clock_jumped()


def test_the_poll_job_survives_sleep_and_never_overlaps() -> None:
    # APScheduler's default grace of 1 s drops the run that was due while the laptop slept.
    scheduler = PollScheduler(SlowMonitor())  # type: ignore[arg-type]
    scheduler.start(first_delay=3600)
    try:
        job = scheduler._jobs.scheduler.get_job("poll")  # type: ignore[attr-defined]
        assert job.misfire_grace_time == MISFIRE_GRACE_S >= 3600
        assert job.coalesce is True
        assert job.max_instances == 1
    finally:
        scheduler.stop()


def test_refresh_now_does_not_poll_before_a_pending_retry_after() -> None:
    monitor = SlowMonitor(hold=120.0)
    monitor.release.set()
    scheduler = PollScheduler(monitor)  # type: ignore[arg-type]
    scheduler.start(first_delay=3600)
    try:
        scheduler.refresh_now(wait=True)
        assert monitor.polls == 0
        assert scheduler.next_poll_at is not None
        assert abs(scheduler.next_poll_at - (time.time() + 120)) < 5
    finally:
        scheduler.stop()
