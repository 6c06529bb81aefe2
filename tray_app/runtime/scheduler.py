"""Runs `Monitor.poll_once` in the background at the pace the core picks.

One job, `poll`, run once at a time and re-armed after every poll with the delay `core.pacing`
chose (adaptive pacing cannot be expressed as a fixed interval). A second job refreshes the
tray view periodically, so the age of the balance shows even while a poll is stuck on the
network. A third, the watchdog, compares the wall clock with `time.monotonic()` once a minute
and polls at once after a jump of more than a minute: APScheduler does not notice sleep or
clock changes. "Refresh now" joins a poll already in flight instead of starting a second one.

The timing itself comes from a `Jobs` port. `ApschedulerJobs` is the real one: APScheduler 3.x
with `coalesce=True`, `max_instances=1` and a generous `misfire_grace_time` (its default of
1 s silently drops a run that was due while the laptop slept, exactly the run we want after a
wake-up). Tests drive the same PollScheduler on an injected clock with a manual `Jobs`
(tests/support/manual_jobs.py), without waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler

from tray_app.core.pacing import PRODUCTION, PacingProfile
from tray_app.core.stagger import STAGGER_GAP_S, spaced
from tray_app.runtime.monitor import Monitor, PollReport

log = logging.getLogger(__name__)

POLL_JOB = "poll"
VIEW_JOB = "view-refresh"
WATCHDOG_JOB = "clock-watchdog"
WATCHDOG_INTERVAL_S = 60.0
CLOCK_JUMP_S = 60.0
MISFIRE_GRACE_S = 24 * 3600
#: How long stop() waits for a poll in flight (the monitor has cut its request by then).
STOP_WAIT_S = 1.0


class Jobs(Protocol):
    """Runs callables later, each under an id (re-adding an id replaces the job)."""

    @property
    def running(self) -> bool: ...

    def start(self) -> None: ...

    def shutdown(self) -> None: ...

    def run_at(self, job_id: str, when: float, fn: Callable[[], None]) -> None: ...

    def run_every(self, job_id: str, seconds: float, fn: Callable[[], None]) -> None: ...

    def cancel(self, job_id: str) -> None: ...

    def next_run(self, job_id: str) -> float | None: ...


class ApschedulerJobs:
    """`Jobs` on APScheduler's BackgroundScheduler (wall-clock time)."""

    def __init__(self) -> None:
        self.scheduler = BackgroundScheduler(
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_S,
            },
            timezone=dt.timezone.utc,
        )

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def run_at(self, job_id: str, when: float, fn: Callable[[], None]) -> None:
        run_date = dt.datetime.fromtimestamp(when, dt.timezone.utc)
        self.scheduler.add_job(fn, "date", run_date=run_date, id=job_id, replace_existing=True)

    def run_every(self, job_id: str, seconds: float, fn: Callable[[], None]) -> None:
        self.scheduler.add_job(fn, "interval", seconds=seconds, id=job_id, replace_existing=True)

    def cancel(self, job_id: str) -> None:
        job = self.scheduler.get_job(job_id)
        if job is not None:
            job.remove()

    def next_run(self, job_id: str) -> float | None:
        job = self.scheduler.get_job(job_id) if self.scheduler.running else None
        if job is None or job.next_run_time is None:
            return None
        return float(job.next_run_time.timestamp())


class PollSpacer:
    """Shared by the schedulers of several accounts: each planned poll is moved to keep
    `gap` seconds from the others' (core/stagger.py). Thread-safe."""

    def __init__(self, gap: float = STAGGER_GAP_S) -> None:
        self._gap = gap
        self._lock = threading.Lock()
        self._planned: dict[str, float] = {}

    def reserve(self, name: str, when: float) -> float:
        with self._lock:
            others = (t for other, t in self._planned.items() if other != name)
            self._planned[name] = planned = spaced(when, others, self._gap)
            return planned

    def forget(self, name: str) -> None:
        with self._lock:
            self._planned.pop(name, None)


class PollScheduler:
    def __init__(
        self,
        monitor: Monitor,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        on_report: Callable[[PollReport], None] | None = None,
        jobs: Jobs | None = None,
        pacing: PacingProfile = PRODUCTION,
        spacer: PollSpacer | None = None,
        name: str = "",
    ) -> None:
        self._monitor = monitor
        #: With several accounts: keeps this account's polls apart from the others'.
        self._spacer = spacer
        self.name = name
        self._clock = clock
        self._monotonic = monotonic
        self._on_report = on_report
        self._jobs: Jobs = jobs if jobs is not None else ApschedulerJobs()
        self._pacing = pacing
        self._poll_lock = threading.Lock()
        self._poll_done = threading.Condition()
        self._polls_finished = 0
        self._last_wall = clock()
        self._last_mono = monotonic()
        self.last_report: PollReport | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, first_delay: float = 0.0) -> None:
        self._jobs.start()
        self._jobs.run_every(WATCHDOG_JOB, WATCHDOG_INTERVAL_S, self._check_clock)
        self._jobs.run_every(VIEW_JOB, self._pacing.view_refresh, self._refresh_view)
        self._arm(first_delay)

    def stop(self, timeout: float = STOP_WAIT_S) -> bool:
        """Stop scheduling. Wait up to `timeout` for a poll in flight (the caller closes the
        monitor first, which cuts its request short); True when no poll is left running."""
        self._jobs.shutdown()
        if self._spacer is not None:
            self._spacer.forget(self.name)
        if self._poll_lock.acquire(timeout=timeout):
            self._poll_lock.release()
            return True
        log.warning("a poll was still running at stop; its result will be dropped")
        return False

    # -- polling -------------------------------------------------------------------------------
    def refresh_now(self, wait: bool = False, timeout: float = 60.0) -> None:
        """Poll now. If a poll is already running, join it instead of starting another."""
        if self._poll_lock.locked():
            log.debug("refresh requested while a poll is in flight: joining it")
            if wait:
                self._wait_for_next_finish(timeout)
            return
        # Not even a user's click may poll before a 429's Retry-After has passed.
        hold = self._monitor.refresh_delay(self._clock())
        if hold > 0:
            log.info("refresh requested: the server asked to wait %.0f s more", hold)
            self._arm(hold)
        elif wait:
            self._run_poll()
        else:
            self._arm(0.0)

    def _wait_for_next_finish(self, timeout: float) -> None:
        with self._poll_done:
            seen = self._polls_finished
            self._poll_done.wait_for(lambda: self._polls_finished > seen, timeout)

    def _run_poll(self) -> None:
        if not self._poll_lock.acquire(blocking=False):
            return
        try:
            report = self._monitor.poll_once(self._clock())
            self.last_report = report
        except Exception:
            # poll_once guards its own steps; this is the last line so the loop never dies.
            log.exception("poll crashed; retrying in %.0f s", self._pacing.crash_retry)
            report = None
        finally:
            self._poll_lock.release()
            with self._poll_done:
                self._polls_finished += 1
                self._poll_done.notify_all()
        delay = self._pacing.crash_retry if report is None else report.next_poll.delay
        if report is not None and self._on_report is not None:
            self._on_report(report)
        if delay is None:
            self._jobs.cancel(POLL_JOB)
        else:
            self._arm(delay)

    def _refresh_view(self) -> None:
        try:
            self._monitor.refresh_view(self._clock())
        except Exception:  # the periodic job must survive a broken tray adapter
            log.exception("could not refresh the tray view")

    def _arm(self, delay: float) -> None:
        if not self._jobs.running:
            return
        when = self._clock() + max(delay, 0.0)
        if self._spacer is not None:
            when = self._spacer.reserve(self.name, when)
        self._jobs.run_at(POLL_JOB, when, self._run_poll)

    @property
    def next_poll_at(self) -> float | None:
        return self._jobs.next_run(POLL_JOB) if self._jobs.running else None

    # -- wake from sleep / clock jumps ---------------------------------------------------------
    def _check_clock(self) -> None:
        if self.clock_jumped():
            log.info("the clock jumped (sleep/wake or a time change): polling now")
            self.refresh_now()

    def clock_jumped(self) -> bool:
        """True when wall time and monotonic time drifted apart by more than CLOCK_JUMP_S since
        the last check (a suspend pauses monotonic on Linux; a clock change moves wall time)."""
        wall, mono = self._clock(), self._monotonic()
        drift = (wall - self._last_wall) - (mono - self._last_mono)
        self._last_wall, self._last_mono = wall, mono
        return abs(drift) > CLOCK_JUMP_S
