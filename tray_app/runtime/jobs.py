"""When things run: the `Jobs` port the poll scheduler is written against, and its real
adapter on APScheduler 3.x.

`ApschedulerJobs` uses `coalesce=True` and a generous `misfire_grace_time`: APScheduler's
default of 1 s silently drops a run that was due while the laptop slept, exactly the run we
want after a wake-up. A one-off job (`run_at`) may run while the previous run under its id is
still finishing (`max_instances=ONE_OFF_INSTANCES`): APScheduler counts running instances by
job id, and a one-off run it skips for that reason is deleted with its trigger, never run.
That lost an account's polls for good when it was removed during a poll and added back, or
when "Refresh now" re-armed it just as a poll was returning. The callables guard their own
overlap (runtime/scheduler.py: one poll of an account at a time). Tests drive the scheduler with a
manual `Jobs` on an injected clock (tests/support/manual_jobs.py), without waiting.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import threading
from collections.abc import Callable
from typing import Any, Protocol

from apscheduler.executors.debug import DebugExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

MISFIRE_GRACE_S = 24 * 3600
#: Runs of one one-off job id that may overlap: a finishing run, the next one, one spare.
ONE_OFF_INSTANCES = 3
#: Threads for "Refresh now" polls (run_soon): one per account polling at once, at most.
REFRESH_WORKERS = 4
#: The executor of quick jobs that run in the scheduler's own thread.
INLINE = "inline"


class Jobs(Protocol):
    """Runs callables later, each under an id (re-adding an id replaces the job)."""

    @property
    def running(self) -> bool: ...

    def start(self) -> None: ...

    def shutdown(self) -> None: ...

    def run_at(self, job_id: str, when: float, fn: Callable[[], None]) -> None: ...

    def run_soon(self, job_id: str, fn: Callable[[], None]) -> None:
        """Run `fn` now, in place of the run planned under `job_id` (a "Refresh now")."""

    def run_every(
        self, job_id: str, seconds: float, fn: Callable[[], None], *, inline: bool = False
    ) -> None:
        """`inline`: `fn` is quick and never blocks, and runs in the scheduler's own thread."""

    def cancel(self, job_id: str) -> None: ...

    def next_run(self, job_id: str) -> float | None: ...


class _SparingScheduler(BackgroundScheduler):  # type: ignore[misc]
    """A BackgroundScheduler that wakes its thread for a job added only when the job falls
    due before the thread wakes anyway.

    APScheduler 3.x wakes its thread for every job added or replaced
    (`BaseScheduler._real_add_job` calls `wakeup()`), so that it works out its sleep again.
    But that thread never sleeps past the earliest job in its store: it sleeps until that job
    is due (`_process_jobs`), and every job added since that fell due sooner woke it. A job
    due no sooner than the earliest one therefore changes nothing about when it must wake.
    Each poll re-arms its account for minutes later while the clock watchdog is due within a
    minute: that wake of APScheduler's thread, one per poll, is spared (issue 20). The check
    and the add happen under APScheduler's job store lock, which its thread holds while it
    works out its sleep, so the two cannot cross.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._quiet = threading.local()

    def _real_add_job(self, job: Any, jobstore_alias: str, replace_existing: bool) -> None:
        # Called with the job store lock held (BaseScheduler.add_job and start). The job's
        # next run time is worked out in there, before the wakeup() at its end.
        times = (store.get_next_run_time() for store in self._jobstores.values())
        soonest = min((t for t in times if t is not None), default=None)
        self._quiet.adding = (job, soonest)
        try:
            super()._real_add_job(job, jobstore_alias, replace_existing)
        finally:
            self._quiet.adding = None

    def wakeup(self) -> None:
        adding = getattr(self._quiet, "adding", None)
        if adding is not None:
            job, soonest = adding
            due = getattr(job, "next_run_time", None)
            if due is not None and soonest is not None and due >= soonest:
                return
        super().wakeup()


class ApschedulerJobs:
    """`Jobs` on APScheduler's BackgroundScheduler (wall-clock time).

    `run_soon` hands its callable straight to a small pool of its own: a job added to run
    now costs APScheduler's `add_job` (a trigger, a Job, a signature check) and a wake of its
    thread, which then hands it to a worker. A "Refresh now" (the menu, SIGUSR1, a second
    start) so wakes one thread fewer (issue 20)."""

    def __init__(self) -> None:
        self._soon: concurrent.futures.ThreadPoolExecutor | None = None
        self._soon_lock = threading.Lock()
        self.scheduler = _SparingScheduler(
            # APScheduler's DebugExecutor runs a job in the scheduler's own thread: a quick job
            # then wakes one thread instead of the scheduler's and a pool worker's.
            executors={"default": ThreadPoolExecutor(), INLINE: DebugExecutor()},
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
        with self._soon_lock:
            soon, self._soon = self._soon, None
        if soon is not None:
            soon.shutdown(wait=False, cancel_futures=True)

    def run_soon(self, job_id: str, fn: Callable[[], None]) -> None:
        self.cancel(job_id)  # no wake of APScheduler's thread: remove_job does not call wakeup()
        with self._soon_lock:
            if not self.running:
                return
            if self._soon is None:
                self._soon = concurrent.futures.ThreadPoolExecutor(
                    max_workers=REFRESH_WORKERS, thread_name_prefix="lensmor-refresh"
                )
            self._soon.submit(fn)

    def run_at(self, job_id: str, when: float, fn: Callable[[], None]) -> None:
        run_date = dt.datetime.fromtimestamp(when, dt.timezone.utc)
        self.scheduler.add_job(
            fn,
            "date",
            run_date=run_date,
            id=job_id,
            replace_existing=True,
            max_instances=ONE_OFF_INSTANCES,
        )

    def run_every(
        self, job_id: str, seconds: float, fn: Callable[[], None], *, inline: bool = False
    ) -> None:
        self.scheduler.add_job(
            fn,
            "interval",
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            executor=INLINE if inline else "default",
        )

    def cancel(self, job_id: str) -> None:
        # Not get_job() then remove(): a one-off job falling due in between is removed by
        # APScheduler's own thread, and the second call would raise.
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job_id)

    def next_run(self, job_id: str) -> float | None:
        job = self.scheduler.get_job(job_id) if self.scheduler.running else None
        if job is None or job.next_run_time is None:
            return None
        return float(job.next_run_time.timestamp())
