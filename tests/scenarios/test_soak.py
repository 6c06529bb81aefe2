"""Soak: thirty simulated days through the real Monitor loop at the pace it chooses.

The monitor runs against the real simulated API over loopback with the clock injected; the
API is scripted with working-hours spending (4,000 credits a day, enough to run dry twice), a
reset, a gift, a rate-limit storm from the user's own scripts and a 3-hour outage. The
app's own PollScheduler drives the polls, on the manual job clock (tests/support/manual_jobs.py)
instead of APScheduler's wall clock: the same re-arming with the delay the monitor chose, the
same view refreshes, thirty days in seconds (tests/unit/runtime/test_scheduler.py covers the
APScheduler side).

Asserted: no duplicate notification, none missed (each scripted crossing and reset notified
exactly once), a constant thread count, flat memory (the RSS growth is printed and bounded),
and a history file within its size budget.
"""

from __future__ import annotations

import collections
import logging
import threading
from pathlib import Path

import pytest

from tests.support.manual_jobs import ManualJobs
from tests.support.rig import DAY, START, Rig
from tray_app.core.state import Problem
from tray_app.demo.server import DEMO_KEY, Fault
from tray_app.runtime.monitor import PollReport
from tray_app.runtime.scheduler import PollScheduler

HOUR = 3600.0
SPEND_PER_WORKING_HOUR = 400
RESET_DAY = 12
GIFT_DAY = 15
STORM = (22 * DAY + 10 * HOUR, 22 * DAY + 12 * HOUR)
OUTAGE = (25 * DAY + 9 * HOUR, 25 * DAY + 12 * HOUR)
HISTORY_BUDGET_BYTES = 1_000_000
RSS_BUDGET_KIB = 20_000


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")  # pragma: no cover - Linux always has it


def apply_script(rig: Rig, t0: float, t1: float) -> None:
    """Apply every scripted event with a time in (t0, t1], hour by hour."""
    hour = (t0 - START) // HOUR + 1
    while START + hour * HOUR <= t1:
        at = hour * HOUR
        hour_of_day = at % DAY
        if 8 * HOUR <= hour_of_day < 18 * HOUR:
            available = int(rig.account.snapshot()["totalBalance"] or 0)
            if available:
                rig.account.spend(min(SPEND_PER_WORKING_HOUR, available))
        if at == RESET_DAY * DAY:
            rig.account.reset()
        if at == GIFT_DAY * DAY + 12 * HOUR:
            rig.account.gift(5000)
        if at == OUTAGE[0]:
            rig.account.inject(Fault.status(503), times=10_000)  # cleared when it ends
        if at == OUTAGE[1]:
            rig.account.clear_faults()
        hour += 1


@pytest.mark.slow
def test_thirty_days_no_duplicates_no_misses_flat_threads_and_memory(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    # Only the app's memory is of interest: keep pytest's log capture and the test doubles
    # (the server's request log, the recorded views) from growing with every poll.
    caplog.set_level(logging.ERROR, logger="tray_app")
    rig.account.set_balance(
        subscriptionAmount=35_000,
        subscriptionBalance=35_000,
        giftAmount=0,
        giftBalance=0,
        resetAt=int((START + RESET_DAY * DAY) * 1000),
    )
    monitor = rig.start()
    real_poll_once = monitor.poll_once
    problems: collections.Counter[Problem | None] = collections.Counter()

    def poll_once(now: float) -> PollReport:
        if STORM[0] <= now - START < STORM[1]:
            while rig.account.take_token(DEMO_KEY).allowed:  # the user's scripts drain it
                pass
        report = real_poll_once(now)
        assert len(report.alerts) <= 1, "one notification per poll at most"
        rig.events += [part for alert in report.alerts for part in alert.parts()]
        problems[report.state.problem] += 1
        delay = report.next_poll.delay
        assert delay is not None
        assert delay > 0
        return report

    monitor.poll_once = poll_once  # type: ignore[method-assign]
    jobs = ManualJobs(rig.clock)
    scheduler = PollScheduler(clock=rig.clock, jobs=jobs)
    scheduler.add("default", monitor)
    scheduler.start()
    jobs.advance(0)  # the first poll
    # The threads this run starts and leaves running; one an earlier test left behind that
    # ends meanwhile (an APScheduler worker after shutdown(wait=False)) must not count.
    threads_at_start = set(threading.enumerate())
    rss_at_start = rss_kib()
    thread_counts = []
    rss_by_day: list[int] = []
    next_day = START + DAY
    end = START + 30 * DAY
    while rig.clock.now < end:
        hour_end = rig.clock.now + HOUR
        apply_script(rig, rig.clock.now, hour_end)
        jobs.advance(hour_end - rig.clock.now)
        rig.clock.now = hour_end
        if rig.clock.now >= next_day:
            rig.account.clear_requests()
            del rig.tray.views[:-1]
            thread_counts.append(len(set(threading.enumerate()) - threads_at_start))
            rss_by_day.append(rss_kib())
            next_day += DAY
    scheduler.stop()
    rss_growth = rss_kib() - rss_at_start
    polls = sum(problems.values())
    print(f"\nsoak: {polls} polls, problems {dict(problems)}, RSS growth {rss_growth} KiB")
    print("soak RSS by day (KiB):", rss_by_day)

    keys = [alert.key for alert in rig.events]  # folded events included
    assert len(keys) == len(set(keys)), "a notification was repeated"
    kinds = collections.Counter(key.split(":")[0] for key in keys)
    titles = collections.Counter(alert.title for alert in rig.events)
    print("soak notifications:", dict(titles))
    # Each period runs dry once: low, critical and depleted once per period, never more.
    assert titles["Lensmor credits low"] == 2
    assert titles["Lensmor credits critically low"] == 2
    assert titles["Lensmor credits used up"] == 2
    assert kinds["reset"] == 1
    assert kinds["top-up"] == 1
    # Two outages of an hour or more: the 2-hour rate-limit storm and the 3-hour 503 outage.
    assert kinds["offline"] == 2
    assert kinds["large-spend"] == 0
    assert kinds["runway"] <= 2  # at most once per period
    # A 2-hour storm costs a handful of requests (backoff), not one a second.
    assert 1 <= problems[Problem.RATE_LIMITED] <= 20
    assert problems[Problem.SERVER] >= 1

    assert thread_counts == [0] * len(thread_counts)  # no thread left running, ever
    assert rss_growth < RSS_BUDGET_KIB
    # Flat after the first day (caches warm): no growth per poll.
    assert rss_by_day[-1] - rss_by_day[0] < 2048
    assert rig.store is not None
    rig.store.compact(rig.clock.now)
    assert rig.store_path.stat().st_size < HISTORY_BUDGET_BYTES
