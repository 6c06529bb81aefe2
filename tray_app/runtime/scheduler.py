"""Runs every account's `Monitor.poll_once` in the background, at the pace the core picks.

One scheduler for all accounts, on one `Jobs` (jobs.py):
- `poll:<account>`, one per account, run once at a time and re-armed after every poll with
  the delay `core.pacing` chose (adaptive pacing cannot be expressed as a fixed interval).
  Each planned poll keeps `STAGGER_GAP_S` from the other accounts' (core/stagger.py), so
  accounts that share a network never fire in the same second.
- `view-refresh` shows every account's view again when it next changes by time alone
  ("resets in 3 h" becoming "2 h", the balance becoming outdated while a poll is stuck on the
  network): the tray board says when (`plan_view`, core/view_clock.py), and at the latest
  after `pacing.view_refresh`. Not a fixed tick: an idle tray does not wake to find nothing
  changed (issue 20).
- `clock-watchdog` compares the wall clock with `time.monotonic()` once a minute and polls
  every account at once after a jump of more than a minute: APScheduler does not notice sleep
  or clock changes. It runs in APScheduler's own thread (it only compares two clocks and
  plans jobs), so its minute wakes one thread, not two.

"Refresh now" joins a poll already in flight instead of starting a second one, and never
polls before a 429's Retry-After has passed. Accounts come and go with reloads (`add`,
`remove`): a poll of a removed account that is still in flight finishes, and is not re-armed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from tray_app.core.pacing import PRODUCTION, PacingProfile
from tray_app.core.stagger import STAGGER_GAP_S, spaced
from tray_app.runtime.jobs import ApschedulerJobs, Jobs
from tray_app.runtime.monitor import Monitor, PollReport

log = logging.getLogger(__name__)

VIEW_JOB = "view-refresh"
WATCHDOG_JOB = "clock-watchdog"
WATCHDOG_INTERVAL_S = 60.0
CLOCK_JUMP_S = 60.0
#: How long stop() and remove() wait for a poll in flight (the monitor has cut its request
#: by then).
STOP_WAIT_S = 1.0
#: The soonest the view is re-presented again (a burst of changes costs one wake-up).
MIN_VIEW_GAP_S = 1.0


def poll_job(name: str) -> str:
    """The job id of `name`'s polls."""
    return f"poll:{name}"


class AccountPolls:
    """One account's polls: run one at a time, joined by "Refresh now"."""

    def __init__(self, scheduler: PollScheduler, name: str, monitor: Monitor) -> None:
        self._scheduler = scheduler
        self.name = name
        self.monitor = monitor
        self._lock = threading.Lock()  # held while a poll runs
        self._done = threading.Condition()
        self._finished = 0
        self.last_report: PollReport | None = None
        #: A poll handed to a worker and not started yet (set under the scheduler's lock).
        self.soon_queued = False

    @property
    def next_poll_at(self) -> float | None:
        return self._scheduler.next_run(poll_job(self.name))

    def refresh_now(self, wait: bool = False, timeout: float = 60.0) -> None:
        """Poll now. If a poll is already running, join it instead of starting another."""
        if self._lock.locked():
            log.debug("refresh requested while a poll is in flight: joining it")
            if wait:
                self._wait_for_next_finish(timeout)
            return
        # Not even a user's click may poll before a 429's Retry-After has passed.
        hold = self.monitor.refresh_delay(self._scheduler.clock())
        if hold > 0:
            log.info("refresh requested: the server asked to wait %.0f s more", hold)
            self._scheduler.arm(self, hold)
        elif wait:
            self.run_poll()
        else:
            self._scheduler.arm(self, 0.0, refresh=True)

    def run_queued_poll(self) -> None:
        """`run_poll`, handed to a worker by `PollScheduler.arm` (see `soon_queued`)."""
        self.soon_queued = False
        self.run_poll()

    def run_poll(self) -> None:
        if not self._lock.acquire(blocking=False):
            return
        pacing = self._scheduler.pacing
        try:
            report: PollReport | None = self.monitor.poll_once(self._scheduler.clock())
            self.last_report = report
        except Exception:
            # poll_once guards its own steps; this is the last line so the loop never dies.
            log.exception("poll crashed; retrying in %.0f s", pacing.crash_retry)
            report = None
        finally:
            self._lock.release()
            with self._done:
                self._finished += 1
                self._done.notify_all()
        delay = pacing.crash_retry if report is None else report.next_poll.delay
        if delay is None:
            self._scheduler.disarm(self)
        else:
            self._scheduler.arm(self, delay)

    def wait_idle(self, timeout: float) -> bool:
        """True once no poll of this account runs (waits up to `timeout`)."""
        if self._lock.acquire(timeout=timeout):
            self._lock.release()
            return True
        return False

    def _wait_for_next_finish(self, timeout: float) -> None:
        with self._done:
            seen = self._finished
            self._done.wait_for(lambda: self._finished > seen, timeout)


class PollScheduler:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        jobs: Jobs | None = None,
        pacing: PacingProfile = PRODUCTION,
        gap: float = STAGGER_GAP_S,
    ) -> None:
        self.clock = clock
        self._monotonic = monotonic
        self._jobs: Jobs = jobs if jobs is not None else ApschedulerJobs()
        self.pacing = pacing
        self._gap = gap
        self._lock = threading.Lock()  # guards the fields below
        self._accounts: dict[str, AccountPolls] = {}
        #: When each account's next poll is planned, to keep the others' `gap` away.
        self._planned: dict[str, float] = {}
        #: When the view refresh is planned (None: not planned).
        self._view_at: float | None = None
        self._last_wall = clock()
        self._last_mono = monotonic()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, first_delay: float = 0.0) -> None:
        """Start the jobs; every account added so far polls `first_delay` seconds from now
        (spaced apart), every account added later at once."""
        self._jobs.start()
        self._jobs.run_every(WATCHDOG_JOB, WATCHDOG_INTERVAL_S, self._check_clock, inline=True)
        self.plan_view(None)
        for account in self.accounts():
            self.arm(account, first_delay)

    def stop(self, timeout: float = STOP_WAIT_S) -> bool:
        """Stop scheduling. Wait up to `timeout` for the polls in flight (the caller closes
        the monitors first, which cuts their requests short); True when none is left."""
        self._jobs.shutdown()
        deadline = time.monotonic() + timeout
        idle = all(
            account.wait_idle(max(deadline - time.monotonic(), 0.0)) for account in self.accounts()
        )
        if not idle:
            log.warning("a poll was still running at stop; its result will be dropped")
        return idle

    # -- the accounts --------------------------------------------------------------------------
    def add(self, name: str, monitor: Monitor) -> AccountPolls:
        """Poll `name` with `monitor` from now on (at once when the scheduler runs)."""
        account = AccountPolls(self, name, monitor)
        with self._lock:
            self._accounts[name] = account
        self.arm(account, 0.0)
        return account

    def remove(self, name: str, timeout: float = STOP_WAIT_S) -> bool:
        """Stop polling `name`; wait up to `timeout` for its poll in flight (whose result the
        closed monitor drops). True when none is left running."""
        with self._lock:
            account = self._accounts.pop(name, None)
            self._planned.pop(name, None)
            self._jobs.cancel(poll_job(name))
        if account is None or account.wait_idle(timeout):
            return True
        log.warning("a poll was still running when its account was removed")
        return False

    def account(self, name: str) -> AccountPolls | None:
        with self._lock:
            return self._accounts.get(name)

    def accounts(self) -> list[AccountPolls]:
        with self._lock:
            return list(self._accounts.values())

    def refresh_now(self) -> None:
        """ "Refresh now" for every account."""
        for account in self.accounts():
            account.refresh_now()

    # -- arming --------------------------------------------------------------------------------
    def arm(self, account: AccountPolls, delay: float, *, refresh: bool = False) -> None:
        """Plan `account`'s next poll `delay` seconds from now, kept apart from the others'.
        An account removed meanwhile (its last poll just finished) is not planned again.
        `refresh`: a "Refresh now", which goes straight to a worker when it is due at once."""
        with self._lock:
            if not self._jobs.running or self._accounts.get(account.name) is not account:
                return
            now = self.clock()
            when = now + max(delay, 0.0)
            others = (t for other, t in self._planned.items() if other != account.name)
            self._planned[account.name] = when = spaced(when, others, self._gap)
            if refresh and when <= now:
                # Due now and no other account's poll near: straight to a worker. The poll
                # re-arms itself when it ends, replacing the run planned before. A second
                # "Refresh now" before it starts joins it (two clicks, one request).
                if not account.soon_queued:
                    account.soon_queued = True
                    self._jobs.run_soon(poll_job(account.name), account.run_queued_poll)
            else:
                self._jobs.run_at(poll_job(account.name), when, account.run_poll)

    def disarm(self, account: AccountPolls) -> None:
        with self._lock:
            if self._accounts.get(account.name) is account:
                self._planned.pop(account.name, None)
                self._jobs.cancel(poll_job(account.name))

    def next_run(self, job_id: str) -> float | None:
        return self._jobs.next_run(job_id) if self._jobs.running else None

    def plan_view(self, when: float | None) -> None:
        """Re-present every account's view at `when` (None: nothing changes by time alone),
        at the latest after `pacing.view_refresh`, never sooner than `MIN_VIEW_GAP_S` away."""
        now = self.clock()
        latest = now + self.pacing.view_refresh
        at = latest if when is None else max(min(when, latest), now + MIN_VIEW_GAP_S)
        with self._lock:
            if not self._jobs.running:
                return
            if self._view_at is not None and now < self._view_at <= at:
                # A refresh planned sooner stays: it re-plans when it runs. Each poll moves the
                # moment its balance becomes outdated; re-planning for that would cost every
                # poll a job change and a wake of APScheduler's thread (issue 20).
                return
            self._view_at = at
            self._jobs.run_at(VIEW_JOB, at, self._refresh_views)

    def _refresh_views(self) -> None:
        # The fallback first: the board plans an earlier time as the views are shown.
        with self._lock:
            self._view_at = None
        self.plan_view(None)
        now = self.clock()
        for account in self.accounts():
            try:
                account.monitor.refresh_view(now)
            except Exception:  # the periodic job must survive a broken tray adapter
                log.exception("could not refresh the tray view")

    # -- wake from sleep / clock jumps ---------------------------------------------------------
    def _check_clock(self) -> None:
        if self.clock_jumped():
            log.info("the clock jumped (sleep/wake or a time change): polling now")
            self.refresh_now()

    def clock_jumped(self) -> bool:
        """True when wall time and monotonic time drifted apart by more than CLOCK_JUMP_S since
        the last check (a suspend pauses monotonic on Linux; a clock change moves wall time)."""
        wall, mono = self.clock(), self._monotonic()
        drift = (wall - self._last_wall) - (mono - self._last_mono)
        self._last_wall, self._last_mono = wall, mono
        return abs(drift) > CLOCK_JUMP_S
