"""When an account's tray view next changes by time alone, with no poll and no click.

The view writes a few things relative to `now`: "resets in 3 h" (the title and the reset
row), the balance's age once it is outdated ("Updated 09:12 · 2 h"), whether it is outdated
at all (the badge's stale mark), "Notifications paused until 14:00" until then, a problem's
"since" when its start is unknown, and "today" in the recent alerts' times. `changes_at`
gives the earliest moment any of them writes something else, so the scheduler re-presents
the view then, once, instead of waking every 30 seconds to find nothing changed (issue 20).
"""

from __future__ import annotations

import datetime as dt
import math

from tray_app.core import fmt
from tray_app.core.state import STALE_AFTER_INTERVALS
from tray_app.core.view import AccountSnapshot


def changes_at(snapshot: AccountSnapshot, tz: dt.tzinfo | None = None) -> float | None:
    """The earliest time after `snapshot.now` at which presenting it again could show
    something else; None when nothing in it depends on time."""
    now, state, extras = snapshot.now, snapshot.state, snapshot.extras
    times: list[float] = []
    balance = state.balance
    if balance is not None and balance.reset_at_s is not None and balance.reset_at_s > now:
        # "resets in …" counts down; at the reset itself the row says "Reset due".
        left = balance.reset_at_s - now
        times.append(now + min(fmt.duration_changes_in(left, counting_down=True), left))
    if extras.poll_interval is not None and balance is not None and state.fetched_at is not None:
        stale_from = state.fetched_at + STALE_AFTER_INTERVALS * extras.poll_interval
        if now <= stale_from:
            times.append(stale_from + 1e-3)  # `is_outdated` is strictly after
        else:  # outdated: the age is written out and grows
            age = now - state.fetched_at
            times.append(now + fmt.duration_changes_in(age, counting_down=False))
    if extras.paused_until is not None and extras.paused_until > now:
        times.append(extras.paused_until)
    if state.problem is not None and state.problem_since is None:
        times.append(_next_minute(now))  # "… since {now's clock}"
    today = fmt.local_datetime(now, tz).date()
    if any(fmt.local_datetime(at, tz).date() == today for at, _ in extras.recent_alerts):
        # Today's alerts show their time only ("22:45 …"); tomorrow "7 Dec 22:45 …".
        times.append(fmt.local_midnight(today + dt.timedelta(days=1), tz))
    return min(times) if times else None


def _next_minute(now: float) -> float:
    return (math.floor(now / 60) + 1) * 60.0
