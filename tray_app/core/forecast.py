"""The runway forecast: how fast credits are being spent and when the balance reaches zero.

Input is the balance history as `(unix_seconds, total_balance, spent)` samples (any order, any
spacing), the current time and the next reset. `spent` is what was spent between the sample
before and this one, by the one definition of spending, `core.usage.spent_between` (the store
computes it as it records; `samples_from_balances` computes it from observations). So the
runway and the menu's "Usage today" count the same credits. Pure: no clock, no storage.

How the burn rate is computed (documented here because the menu and a notification rely on it):

1. Only the trailing window counts: the last `window_days` (default 7) days before `now`, plus
   the last sample before the window as an anchor so that spending across the window's start
   is not lost. Samples after `now` are ignored.
2. Spending is the sum of each interval's `spent`: the rise of *used* credits (amount minus
   balance). A gift or top-up raises amount and balance together, so spending in the same
   interval still counts (counting balance drops missed it), and a reset refilling the
   subscription counts nothing: a refill never hides spending nor makes the rate negative.
3. Each interval's spending is spread evenly over the time between its two samples, then summed into
   whole days counted back from `now` (day 0 is the last 24 h). Spreading matters when the app
   was not running: a drop first seen after a weekend off is spread over the weekend instead of
   looking like a one-day burst.
4. Only whole days of history are used (a partial oldest day is left out). With less than one
   day of history there is no forecast: one early burst is not a pace.
5. The rate is a trimmed mean of the daily totals: with three days or more, the single busiest
   day is left out before averaging. One burst (an event unlock of 2,000 credits) therefore
   does not turn into "empty tomorrow", while steady daily use is counted in full (a median
   would read 0 for someone who spends on three days out of seven).

Time to empty is the latest balance divided by the rate. `runs_out_before_reset` is true when
that moment comes before the next reset; an account without a reset date (gift credits only)
never "runs out before the reset".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

from tray_app.core import fmt
from tray_app.core.balance import Balance
from tray_app.core.language import ENGLISH, Language
from tray_app.core.usage import spent_between

DAY_S = 86_400.0
DEFAULT_WINDOW_DAYS = 7
# From this many whole days on, the busiest day is left out of the average.
TRIM_FROM_DAYS = 3

#: (unix_seconds, total_balance, credits spent since the previous sample)
Sample = tuple[float, float, float]


@dataclass(frozen=True)
class Forecast:
    """The pace of spending and what it means for the balance."""

    burn_per_day: float
    seconds_to_empty: float | None
    runs_out_before_reset: bool
    balance: float
    reset_at_s: float | None
    days_of_history: int

    @property
    def enough_history(self) -> bool:
        return self.days_of_history >= 1

    def describe(self, lang: Language = ENGLISH) -> str:
        """The menu row, e.g. "At this pace: empty in ~3 days"."""
        _ = lang.gettext
        if not self.enough_history:
            return _("At this pace: needs a day of history")
        if self.balance <= 0:
            return _("At this pace: credits used up")
        if self.seconds_to_empty is None:
            return _("At this pace: no credits used lately")
        if self.reset_at_s is not None and not self.runs_out_before_reset:
            return _("At this pace: lasts until the reset")
        return _("At this pace: empty in ~{duration}").format(
            duration=fmt.duration(self.seconds_to_empty, lang)
        )


def runway(
    samples: Iterable[Sample],
    now: float,
    reset_at_s: float | None,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> Forecast:
    """Forecast from history `samples` of `(unix_seconds, total_balance, spent)` (see the module
    docstring)."""
    # List comprehensions and a C key: a year of history passes 4,000 samples here each poll.
    isfinite = math.isfinite
    points = [
        (float(t), float(b), float(spent))
        for t, b, spent in samples
        if t <= now and isfinite(t) and isfinite(b) and isfinite(spent)
    ]
    points.sort(key=itemgetter(0))
    if not points:
        return Forecast(0.0, None, False, 0.0, reset_at_s, 0)
    balance = points[-1][1]
    points = _trailing(points, now - window_days * DAY_S)
    history_s = now - max(points[0][0], now - window_days * DAY_S)
    days = min(window_days, int(history_s // DAY_S))
    if days < 1:
        return Forecast(0.0, None, False, balance, reset_at_s, 0)
    burn = _trimmed_mean(daily_spend(points, now, days))
    if burn <= 0:
        return Forecast(0.0, None, False, balance, reset_at_s, days)
    seconds = max(0.0, balance) / burn * DAY_S
    before_reset = reset_at_s is not None and now + seconds < reset_at_s
    return Forecast(burn, seconds, before_reset, balance, reset_at_s, days)


def daily_spend(points: list[Sample], now: float, days: int) -> list[float]:
    """Credits spent in each of the `days` whole days before `now` (index 0 = the last 24 h).

    `points` must be sorted by time. Each interval's `spent` is spread evenly over it.
    """
    totals = [0.0] * days
    window_start = now - days * DAY_S
    # A year of history passes about 2,000 intervals here on every poll (issue 20): only the
    # ones that spent anything are looked at, and each only for the days it overlaps (day
    # `index` is (now - (index + 1) DAY, now - index DAY]), with the same arithmetic as ever.
    previous = points[0][0] if points else 0.0
    for t1, _, drop in points[1:]:
        t0, previous = previous, t1
        if drop <= 0:
            continue
        if t1 <= t0:
            # Two readings at the same instant: the whole drop belongs to that instant.
            if window_start < t1 <= now:
                totals[_day_index(t1, now, days)] += drop
            continue
        index = int((now - t1) // DAY_S)  # the day t1 is in
        hi = now - index * DAY_S
        lo = hi - DAY_S
        if 0 <= index < days and t0 >= lo:  # the whole interval is in that day
            overlap = min(t1, hi) - max(t0, lo)
            if overlap > 0:
                totals[index] += drop * overlap / (t1 - t0)
            continue
        first = max(0, index - 1)
        last = min(days - 1, int((now - t0) // DAY_S) + 1)
        for index in range(first, last + 1):
            hi = now - index * DAY_S
            lo = hi - DAY_S
            overlap = min(t1, hi) - max(t0, lo)
            if overlap > 0:
                totals[index] += drop * overlap / (t1 - t0)
    return totals


def samples_from_balances(observations: Iterable[tuple[float, Balance]]) -> list[Sample]:
    """Forecast samples from balance observations `(unix_seconds, balance)`, in time order,
    each with what was spent since the one before (`core.usage.spent_between`)."""
    out: list[Sample] = []
    previous: Balance | None = None
    for ts, balance in sorted(observations, key=lambda o: o[0]):
        spent = 0.0 if previous is None else float(spent_between(previous, balance, ts))
        out.append((float(ts), float(balance.total_balance), spent))
        previous = balance
    return out


def _day_index(t: float, now: float, days: int) -> int:
    return min(days - 1, int((now - t) // DAY_S))


def _trailing(points: list[Sample], start: float) -> list[Sample]:
    """The samples from `start` on, plus the last one before it (the anchor)."""
    first_inside = next((i for i, (t, _, _) in enumerate(points) if t >= start), len(points))
    return points[max(0, first_inside - 1) :]


def _trimmed_mean(daily: list[float]) -> float:
    values = sorted(daily)
    if len(values) >= TRIM_FROM_DAYS:
        values = values[:-1]  # leave out the busiest day: one burst is not a pace
    return sum(values) / len(values)


def spent_since(samples: Iterable[Sample], start: float, now: float) -> float:
    """Credits spent between `start` and `now`: what the samples that fall in that span record
    as spent since the sample before (`core.usage.spent_between`, the one definition)."""
    return sum(spent for t, _, spent in samples if start < t <= now)
