"""ApschedulerJobs on the real APScheduler: a job due no sooner than the earliest one already
planned does not wake the scheduler's thread (it wakes for that earlier job anyway), and a job
due sooner still wakes it and runs on time."""

from __future__ import annotations

import threading
import time

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler

from tests.support.waiting import poll_until
from tray_app.runtime.jobs import ApschedulerJobs


@pytest.fixture
def wakeups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per wake of APScheduler's thread (its BlockingScheduler.wakeup)."""
    seen: list[int] = []
    real = BlockingScheduler.wakeup

    def counting(self: BlockingScheduler) -> None:
        seen.append(1)
        real(self)

    monkeypatch.setattr(BlockingScheduler, "wakeup", counting)
    return seen


def test_a_job_due_after_the_earliest_one_does_not_wake_the_thread(wakeups: list[int]) -> None:
    jobs = ApschedulerJobs()
    jobs.start()
    try:
        now = time.time()
        jobs.run_every("watchdog", 60, lambda: None)
        woken = len(wakeups)
        jobs.run_at("poll", now + 300, lambda: None)  # after the watchdog's run
        jobs.run_at("poll", now + 240, lambda: None)  # re-armed, still after it
        assert len(wakeups) == woken
        assert jobs.next_run("poll") == pytest.approx(now + 240)
        ran = threading.Event()
        jobs.run_at("soon", time.time() + 0.2, ran.set)  # before the watchdog: wakes, runs
        assert len(wakeups) == woken + 1
        assert ran.wait(5)
        # Shut down only once APScheduler has removed the job that ran: shutting down while
        # it does makes its thread raise JobLookupError (APScheduler 3.11, remove_job under
        # STATE_STOPPED looks among the pending jobs only).
        poll_until(lambda: jobs.next_run("soon") is None, 5, "the job that ran removed")
    finally:
        jobs.shutdown()


def test_the_first_job_and_a_job_moved_sooner_wake_the_thread(wakeups: list[int]) -> None:
    jobs = ApschedulerJobs()
    jobs.start()
    try:
        woken = len(wakeups)
        jobs.run_at("poll", time.time() + 300, lambda: None)  # nothing planned before it
        assert len(wakeups) == woken + 1
        ran = threading.Event()
        jobs.run_at("poll", time.time() + 0.2, ran.set)  # the same job, now sooner
        assert len(wakeups) == woken + 2
        assert ran.wait(5)
        # As above.
        poll_until(lambda: jobs.next_run("poll") is None, 5, "the job that ran removed")
    finally:
        jobs.shutdown()


def test_run_soon_runs_on_a_worker_in_place_of_the_planned_run_without_a_wake(
    wakeups: list[int],
) -> None:
    """A "Refresh now" (issue 20): straight to a worker, one thread woken fewer."""
    jobs = ApschedulerJobs()
    jobs.start()
    try:
        jobs.run_every("watchdog", 60, lambda: None)
        jobs.run_at("poll", time.time() + 300, lambda: None)
        woken = len(wakeups)
        ran_on: list[str] = []
        done = threading.Event()

        def poll() -> None:
            ran_on.append(threading.current_thread().name)
            done.set()

        jobs.run_soon("poll", poll)
        assert done.wait(5)
        assert len(wakeups) == woken
        assert ran_on[0].startswith("lensmor-refresh")
        assert jobs.next_run("poll") is None  # the planned run was replaced
    finally:
        jobs.shutdown()
    late = threading.Event()
    jobs.run_soon("poll", late.set)  # after shutdown: nothing runs
    assert not late.wait(0.3)
