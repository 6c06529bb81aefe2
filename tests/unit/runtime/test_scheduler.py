"""The poll scheduler: one for every account, on the real APScheduler (real time) or on the
manual job clock, with a monitor stand-in whose poll we control."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support.manual_jobs import ManualJobs
from tests.support.rig import Clock
from tests.support.waiting import poll_until
from tray_app.core.pacing import NextPoll
from tray_app.runtime.jobs import MISFIRE_GRACE_S
from tray_app.runtime.scheduler import VIEW_JOB, WATCHDOG_JOB, PollScheduler, poll_job


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
    views: int = 0

    hold: float = 0.0

    def refresh_delay(self, now: float) -> float:
        return self.hold

    def poll_once(self, now: float) -> Report:
        self.polls += 1
        self.started.set()
        self.release.wait(10)
        return Report(NextPoll(self.delay, "test"))

    def refresh_view(self, now: float) -> None:
        self.views += 1


def released(delay: float | None = 3600.0) -> SlowMonitor:
    monitor = SlowMonitor(delay=delay)
    monitor.release.set()
    return monitor


def test_refresh_now_joins_a_poll_in_flight() -> None:
    monitor = SlowMonitor()
    scheduler = PollScheduler()
    polls = scheduler.add("default", monitor)  # type: ignore[arg-type]
    scheduler.start(first_delay=0)
    try:
        assert monitor.started.wait(5)
        polls.refresh_now()
        polls.refresh_now()
        monitor.release.set()
        # Re-armed with the chosen delay once the poll in flight ends.
        poll_until(lambda: (polls.next_poll_at or 0) > time.time() + 3000, 5, "the poll re-armed")
        assert monitor.polls == 1
    finally:
        scheduler.stop()


def test_refresh_now_polls_at_once_when_idle() -> None:
    monitor = released()
    scheduler = PollScheduler()
    polls = scheduler.add("default", monitor)  # type: ignore[arg-type]
    scheduler.start(first_delay=3600)
    try:
        polls.refresh_now(wait=True)
        assert monitor.polls == 1
    finally:
        scheduler.stop()


def test_no_next_poll_while_the_key_is_rejected() -> None:
    scheduler = PollScheduler()
    polls = scheduler.add("default", released(delay=None))  # type: ignore[arg-type]
    scheduler.start(first_delay=3600)
    try:
        polls.refresh_now(wait=True)
        assert polls.next_poll_at is None
    finally:
        scheduler.stop()


def test_a_clock_jump_is_noticed_and_steady_time_is_not() -> None:
    wall, mono = [1000.0], [50.0]
    scheduler = PollScheduler(clock=lambda: wall[0], monotonic=lambda: mono[0])
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
    scheduler = PollScheduler()
    monitor = SlowMonitor()
    polls = scheduler.add("default", monitor)  # type: ignore[arg-type]
    scheduler.start(first_delay=3600)
    try:
        job = scheduler._jobs.scheduler.get_job(poll_job("default"))  # type: ignore[attr-defined]
        assert job.misfire_grace_time == MISFIRE_GRACE_S >= 3600
        assert job.coalesce is True
        # APScheduler may start a second run of the id; the account's own lock refuses it.
        runner = threading.Thread(target=polls.run_poll)
        runner.start()
        assert monitor.started.wait(5)
        polls.run_poll()  # returns at once: a poll is in flight
        assert monitor.polls == 1
        monitor.release.set()
        runner.join(10)
    finally:
        scheduler.stop()


def test_an_account_added_back_while_its_old_poll_runs_polls_at_once() -> None:
    # APScheduler counts running instances by job id and deletes a one-off run it skips: with
    # one instance allowed, the account added back never polled again (found in review).
    scheduler = PollScheduler()
    old = SlowMonitor()
    scheduler.add("Work", old)  # type: ignore[arg-type]
    scheduler.start()
    try:
        assert old.started.wait(5)
        old_polls = scheduler.account("Work")
        assert old_polls is not None
        assert not scheduler.remove("Work", timeout=0.1)  # its poll is still on the network
        new = released()
        polls = scheduler.add("Work", new)  # type: ignore[arg-type]
        poll_until(lambda: new.polls == 1, 10, "the account added back to poll")
        poll_until(lambda: polls.next_poll_at is not None, 5, "its next poll to be planned")
    finally:
        old.release.set()
        scheduler.stop()
    assert old_polls.wait_idle(10)  # no poll thread left behind for the next test


def test_refresh_now_as_a_poll_returns_is_not_lost() -> None:
    # "Refresh now" re-arms the job at once while the run that just re-armed it has not
    # returned yet; that run must still happen.
    scheduler = PollScheduler()
    monitor = released()
    polls = scheduler.add("default", monitor)  # type: ignore[arg-type]
    arm = scheduler.arm

    clicked = threading.Event()

    def arm_then_refresh(account: object, delay: float) -> None:
        arm(account, delay)  # type: ignore[arg-type]
        if monitor.polls == 1 and delay > 0 and not clicked.is_set():
            scheduler.arm(polls, 0.0)  # the click, before run_poll returns
            time.sleep(0.5)  # APScheduler's thread sees the new run while this one still runs
            clicked.set()

    scheduler.arm = arm_then_refresh  # type: ignore[method-assign]
    scheduler.start()
    try:
        poll_until(lambda: monitor.polls >= 2, 10, "the refresh's poll")
        assert clicked.wait(5)
        assert polls.wait_idle(5)
    finally:
        scheduler.stop()


def test_refresh_now_does_not_poll_before_a_pending_retry_after() -> None:
    monitor = released()
    monitor.hold = 120.0
    scheduler = PollScheduler()
    polls = scheduler.add("default", monitor)  # type: ignore[arg-type]
    scheduler.start(first_delay=3600)
    try:
        polls.refresh_now(wait=True)
        assert monitor.polls == 0
        assert polls.next_poll_at is not None
        assert abs(polls.next_poll_at - (time.time() + 120)) < 5
    finally:
        scheduler.stop()


def test_every_account_has_its_own_poll_job_on_one_schedule() -> None:
    clock = Clock(50.0)
    jobs = ManualJobs(clock)
    scheduler = PollScheduler(clock=clock, jobs=jobs, gap=2.0)
    monitors = {name: released(delay=300.0) for name in ("A", "B", "C")}
    for name, monitor in monitors.items():
        scheduler.add(name, monitor)  # type: ignore[arg-type]
    scheduler.start()
    # One watchdog and one view refresh for all; the polls kept `gap` apart.
    assert sorted(jobs.jobs) == sorted([VIEW_JOB, WATCHDOG_JOB, *map(poll_job, monitors)])
    assert [jobs.next_run(poll_job(name)) for name in monitors] == [50.0, 52.0, 54.0]
    jobs.advance(10)
    assert [m.polls for m in monitors.values()] == [1, 1, 1]
    # Re-armed 300 s after each poll, still apart.
    assert [jobs.next_run(poll_job(name)) for name in monitors] == [350.0, 352.0, 354.0]
    jobs.advance(scheduler.pacing.view_refresh)
    assert all(m.views == 1 for m in monitors.values())  # one job refreshed every view


def test_a_planned_time_is_freed_when_its_account_goes() -> None:
    clock = Clock(50.0)
    jobs = ManualJobs(clock)
    scheduler = PollScheduler(clock=clock, jobs=jobs, gap=2.0)
    scheduler.start()
    for name in ("A", "B", "C"):
        scheduler.add(name, released())  # type: ignore[arg-type]
    assert scheduler.remove("B")
    assert poll_job("B") not in jobs.jobs
    scheduler.add("D", released())  # type: ignore[arg-type]
    assert jobs.next_run(poll_job("D")) == 52.0  # B's time is free again
    assert scheduler.account("A").next_poll_at == 50.0  # type: ignore[union-attr]
    assert scheduler.account("B") is None
    assert [a.name for a in scheduler.accounts()] == ["A", "C", "D"]


def test_a_removed_accounts_poll_in_flight_is_not_planned_again() -> None:
    clock = Clock(0.0)
    jobs = ManualJobs(clock)
    scheduler = PollScheduler(clock=clock, jobs=jobs)

    class RemovedWhilePolling(SlowMonitor):
        def poll_once(self, now: float) -> Report:
            # A reload removes the account while its request is on the network.
            assert not scheduler.remove("Gone", timeout=0.0)  # its poll is still running
            return super().poll_once(now)

    gone = RemovedWhilePolling(delay=60.0)
    gone.release.set()
    scheduler.add("Gone", gone)  # type: ignore[arg-type]
    kept = scheduler.add("Kept", released(delay=60.0))  # type: ignore[arg-type]
    scheduler.start()
    jobs.advance(600)
    assert gone.polls == 1  # its chosen delay of 60 s never re-armed it
    assert poll_job("Gone") not in jobs.jobs
    assert kept.monitor.polls == 10  # type: ignore[attr-defined] # the other one goes on
    assert kept.next_poll_at is not None


def test_refresh_now_of_the_scheduler_polls_every_account() -> None:
    clock = Clock(0.0)
    jobs = ManualJobs(clock)
    scheduler = PollScheduler(clock=clock, jobs=jobs)
    monitors = [released(), released()]
    for index, monitor in enumerate(monitors):
        scheduler.add(str(index), monitor)  # type: ignore[arg-type]
    scheduler.start(first_delay=3600)
    scheduler.refresh_now()
    jobs.advance(60)
    assert [m.polls for m in monitors] == [1, 1]


def test_the_view_is_refreshed_when_it_changes_not_on_a_tick() -> None:
    clock = Clock(1000.0)
    jobs = ManualJobs(clock)
    scheduler = PollScheduler(clock=clock, jobs=jobs)
    monitor = released(delay=None)  # polls once, then waits for something to change
    scheduler.add("A", monitor)  # type: ignore[arg-type]
    scheduler.start()
    jobs.advance(1)
    scheduler.plan_view(1001.0 + 3000)  # the board: "resets in 51 min" becomes "50 min" then
    jobs.advance(2999)
    assert monitor.views == 0  # 50 idle minutes: not one refresh
    jobs.advance(2)
    assert monitor.views == 1
    # Never sooner than a second away, and at the latest after pacing.view_refresh.
    scheduler.plan_view(clock.now - 50)
    assert jobs.next_run(VIEW_JOB) == clock.now + 1.0
    # A later moment leaves the sooner refresh planned (a poll moves its stale moment each
    # time); that refresh re-plans when it runs.
    scheduler.plan_view(None)
    assert jobs.next_run(VIEW_JOB) == clock.now + 1.0
    jobs.advance(1)
    assert monitor.views == 2
    assert jobs.next_run(VIEW_JOB) == clock.now + scheduler.pacing.view_refresh
    scheduler.plan_view(clock.now + 10 * scheduler.pacing.view_refresh)
    assert jobs.next_run(VIEW_JOB) == clock.now + scheduler.pacing.view_refresh
    scheduler.plan_view(clock.now + 60)  # sooner: planned
    assert jobs.next_run(VIEW_JOB) == clock.now + 60


def test_the_clock_watchdog_runs_in_the_schedulers_own_thread() -> None:
    # One thread wakes each minute instead of the scheduler's and a pool worker's.
    scheduler = PollScheduler()
    scheduler.start()
    try:
        jobs = scheduler._jobs.scheduler  # type: ignore[attr-defined]
        assert jobs.get_job(WATCHDOG_JOB).executor == "inline"
        assert jobs.get_job(VIEW_JOB).executor == "default"  # it calls the tray: may block
    finally:
        scheduler.stop()


def test_a_poll_due_now_goes_straight_to_a_worker_unless_the_stagger_moves_it() -> None:
    """Issue 20: "Refresh now" of one account skips APScheduler's thread (run_soon); a second
    account refreshed with it still polls `gap` later, through a planned job."""
    clock = Clock(100.0)
    soon: list[str] = []

    class Recording(ManualJobs):
        def run_soon(self, job_id: str, fn: Callable[[], None]) -> None:
            soon.append(job_id)
            super().run_soon(job_id, fn)

    jobs = Recording(clock)
    scheduler = PollScheduler(clock=clock, jobs=jobs, gap=2.0)
    first, second = released(delay=300.0), released(delay=300.0)
    scheduler.add("A", first)  # type: ignore[arg-type]
    scheduler.add("B", second)  # type: ignore[arg-type]
    scheduler.start(first_delay=3600)
    jobs.advance(0)
    assert soon == []  # planned an hour away, both
    scheduler.add("C", released(delay=300.0))  # type: ignore[arg-type]
    assert soon == []  # a poll due at once that nobody asked for goes through the scheduler
    scheduler.remove("C")
    scheduler.refresh_now()
    assert soon == [poll_job("A")]
    assert jobs.next_run(poll_job("B")) == 102.0
    jobs.advance(5)
    assert (first.polls, second.polls) == (1, 1)
    # Two clicks before the worker starts: one poll, one request.
    scheduler.account("A").refresh_now()  # type: ignore[union-attr]
    scheduler.account("A").refresh_now()  # type: ignore[union-attr]
    assert soon == [poll_job("A")] * 2
    jobs.advance(0)
    assert first.polls == 2
    scheduler.account("A").refresh_now()  # type: ignore[union-attr]
    assert soon == [poll_job("A")] * 3  # once it ran, a refresh is a new poll again
