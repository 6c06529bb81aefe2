"""Runs `Monitor.poll_once` in the background with APScheduler 3.x, at the pace the core picks.

One job, `poll`, with a one-shot date trigger that is re-armed after every poll with the delay
`core.pacing` chose (adaptive pacing cannot be expressed as a fixed interval). Job defaults:
`coalesce=True`, `max_instances=1`, and a generous `misfire_grace_time`: APScheduler's default
of 1 s silently drops a run that was due while the laptop slept, which is exactly the run we
want after a wake-up.

APScheduler does not notice sleep or clock changes, so a watchdog job compares the wall clock
with `time.monotonic()` once a minute and polls at once after a jump of more than a minute.
"Refresh now" joins a poll already in flight instead of starting a second one.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from tray_app.monitor import Monitor, PollReport

log = logging.getLogger(__name__)

POLL_JOB = "poll"
WATCHDOG_JOB = "clock-watchdog"
WATCHDOG_INTERVAL_S = 60.0
CLOCK_JUMP_S = 60.0
MISFIRE_GRACE_S = 24 * 3600


class PollScheduler:
    def __init__(
        self,
        monitor: Monitor,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        on_report: Callable[[PollReport], None] | None = None,
    ) -> None:
        self._monitor = monitor
        self._clock = clock
        self._monotonic = monotonic
        self._on_report = on_report
        self._scheduler = BackgroundScheduler(
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_S,
            },
            timezone=dt.timezone.utc,
        )
        self._poll_lock = threading.Lock()
        self._poll_done = threading.Condition()
        self._polls_finished = 0
        self._last_wall = clock()
        self._last_mono = monotonic()
        self.last_report: PollReport | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, first_delay: float = 0.0) -> None:
        self._scheduler.start()
        self._scheduler.add_job(
            self._check_clock, "interval", seconds=WATCHDOG_INTERVAL_S, id=WATCHDOG_JOB
        )
        self._arm(first_delay)

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        # Let a poll in flight finish (it is bounded by the client's deadline) so the state
        # it saves is complete.
        with self._poll_lock:
            pass

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
            log.exception("poll crashed; retrying in 5 minutes")
            report = None
        finally:
            self._poll_lock.release()
            with self._poll_done:
                self._polls_finished += 1
                self._poll_done.notify_all()
        delay = 300.0 if report is None else report.next_poll.delay
        if report is not None and self._on_report is not None:
            self._on_report(report)
        if delay is None:
            self._disarm()
        else:
            self._arm(delay)

    def _arm(self, delay: float) -> None:
        if not self._scheduler.running:
            return
        run_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=max(delay, 0.0))
        self._scheduler.add_job(
            self._run_poll, "date", run_date=run_at, id=POLL_JOB, replace_existing=True
        )

    def _disarm(self) -> None:
        job = self._scheduler.get_job(POLL_JOB)
        if job is not None:
            job.remove()

    @property
    def next_poll_at(self) -> float | None:
        job = self._scheduler.get_job(POLL_JOB) if self._scheduler.running else None
        if job is None or job.next_run_time is None:
            return None
        return float(job.next_run_time.timestamp())

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
