"""The Usage window's data: what the charts and the summary show, from recorded history. Pure.

Input is what the history store keeps (`store.HistoryStore.records`): one `Recorded` per
recorded change, with all seven balance fields for raw rows and only the last totalBalance plus
the credits spent for hourly/daily summaries (rows older than four weeks are summarised; rows
that add or expire credits are kept raw for good, so every renewal, top-up and gift stays
visible for the whole year). Spending per day comes from the store too (`daily_usage`, the one
definition of "spent": `core.usage.spent_between`, recorded at insert), and the pace from
`core.forecast.runway`; this module only arranges them:

- `steps`: the balance as a step line over the period, starting at the balance at its start;
- `events`: renewals, top-ups and gifts (and, in summaries, "credits added" of unknown kind);
- `daily`: spending per local day, for bars;
- `projection`: from now to the next reset at the current pace, and the run-out time if that
  comes first;
- `largest_drops`: the biggest recorded spends (one change, or one hour or day where only
  a summary is left);
- `totals`: spent, added (top-ups, gifts), renewals, the balance at the start and the end.

How a change is classified (`classify`), comparing a raw row with the previous raw row (every
change of resetAt or of an amount is kept raw, so no such change can hide in between):
a different resetAt, or the old resetAt passed: renewal; giftAmount rose: gift;
totalAmount rose otherwise (or the balance rose more than spending explains): top-up.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from tray_app.core.balance import Balance, Number, whole
from tray_app.core.forecast import DAY_S, Forecast
from tray_app.core.language import N_

PERIODS_DAYS = (7, 30, 90, 365)
DEFAULT_PERIOD_DAYS = 30
LARGEST_DROPS = 5
# Credits are whole numbers in practice; this only absorbs float noise from sums.
_EPS = 1e-6


class EventKind(str, enum.Enum):
    """A change that is not spending. The values are the CSV's `event` column."""

    RENEWAL = "reset"
    TOP_UP = "top-up"
    GIFT = "gift"
    #: A rise seen only in a summary written before renewals were kept raw: kind unknown.
    ADDED = "added"

    @property
    def label(self) -> str:
        """The English name (marked for translation: the chart shows `lang.gettext(label)`)."""
        return _LABELS[self]

    @property
    def word(self) -> str:
        """The English word within a sentence or a list ("renewal 7 Nov", `history`'s
        "(gift)"), marked for translation; the CSV's `event` column names the same kinds."""
        return _WORDS[self]


_WORDS = {
    EventKind.RENEWAL: N_("renewal"),
    EventKind.TOP_UP: N_("top-up"),
    EventKind.GIFT: N_("gift"),
    EventKind.ADDED: N_("credits added"),
}

_LABELS = {
    EventKind.RENEWAL: N_("Renewal"),
    EventKind.TOP_UP: N_("Top-up"),
    EventKind.GIFT: N_("Gift"),
    EventKind.ADDED: N_("Credits added"),
}


@dataclass(frozen=True)
class Recorded:
    """One row of the history, as the store reads it back.

    `balance` has all seven fields for a raw row and is None for a summary (`period` is then
    3600 or 86400 and `ts` the time of the last poll it summarises).
    """

    ts: float
    total_balance: Number
    spent: Number
    balance: Balance | None = None
    period: int = 0

    @property
    def is_summary(self) -> bool:
        return self.balance is None


@dataclass(frozen=True)
class Event:
    ts: float
    kind: EventKind
    amount: Number  # credits added (for a renewal: the subscription credits it starts with)
    balance: Number  # totalBalance after it


@dataclass(frozen=True)
class Drop:
    ts: float
    spent: Number
    #: 0 for a single recorded change; 3600/86400 when only an hourly/daily summary is left.
    period: int


@dataclass(frozen=True)
class Projection:
    """The balance from now on at the current pace, until the reset (or a horizon)."""

    start_ts: float
    start_balance: float
    end_ts: float
    end_balance: float
    burn_per_day: float
    #: When the balance reaches zero, if that comes before `end_ts`.
    runs_out_at: float | None
    #: The end is the next reset (else the end of a horizon as long as the period shown).
    ends_at_reset: bool


@dataclass(frozen=True)
class Totals:
    spent: float
    #: Top-ups and gifts (renewals are counted apart: they refill and expire at once).
    added: float
    renewals: int
    start_balance: float | None
    end_balance: float | None
    days: int
    busiest_day: dt.date | None
    busiest_day_spent: float


@dataclass(frozen=True)
class UsageSeries:
    start: float
    end: float
    steps: tuple[tuple[float, float], ...]
    events: tuple[Event, ...]
    daily: tuple[tuple[dt.date, float], ...]
    projection: Projection | None
    largest_drops: tuple[Drop, ...]
    totals: Totals
    reset_at_s: float | None

    @property
    def empty(self) -> bool:
        return not self.steps


def classify(prev: Balance | None, cur: Balance, ts: float, spent: Number) -> Event | None:
    """The event a raw row records relative to the previous raw row; None for spending only."""
    if prev is None:
        return None
    prev_reset = prev.reset_at_s
    if prev.reset_at_ms != cur.reset_at_ms or (prev_reset is not None and ts >= prev_reset):
        return Event(ts, EventKind.RENEWAL, cur.subscription_balance, cur.total_balance)
    gift_added = cur.gift_amount - prev.gift_amount
    if gift_added > _EPS:
        return Event(ts, EventKind.GIFT, gift_added, cur.total_balance)
    amount_added = cur.total_amount - prev.total_amount
    if amount_added > _EPS:
        return Event(ts, EventKind.TOP_UP, amount_added, cur.total_balance)
    unexplained = cur.total_balance - prev.total_balance + spent
    if unexplained > _EPS:  # a refund: credits came back without a new grant
        return Event(ts, EventKind.TOP_UP, whole(unexplained), cur.total_balance)
    return None


def events_of(records: Sequence[Recorded]) -> list[Event | None]:
    """`classify` for each record (oldest first), None where nothing but spending happened.

    A summary cannot tell renewal from top-up: a rise beyond its spending is `ADDED`.
    """
    out: list[Event | None] = []
    prev_full: Balance | None = None
    prev: Recorded | None = None
    for r in records:
        event: Event | None = None
        if r.balance is not None and (prev_full is not None or prev is None):
            event = classify(prev_full, r.balance, r.ts, r.spent)
        elif prev is not None and (prev.is_summary or r.balance is not None):
            # Two summaries in a row, or a raw row with only summaries before it (a history
            # compacted before such rows were kept raw): only the totals can be compared. A
            # summary right after a raw row may straddle it (its spending partly before it),
            # so it is not compared: that raw row carries the change itself.
            added = r.total_balance - prev.total_balance + r.spent
            if added > _EPS:
                event = Event(r.ts, EventKind.ADDED, whole(added), r.total_balance)
        if r.balance is not None:
            prev_full = r.balance
        prev = r
        out.append(event)
    return out


def build(
    records: Sequence[Recorded],
    daily: Sequence[tuple[dt.date, Number]],
    forecast: Forecast | None,
    *,
    now: float,
    days: int,
    reset_at_s: float | None,
    start: float | None = None,
) -> UsageSeries:
    """Everything the Usage window shows for the `days` days up to `now`.

    `records` oldest first, may start before the period (the last one before it gives the
    balance at its start); `daily` is `(local day, spent)` per day of the period, oldest first
    (`HistoryStore.daily_usage`); `forecast` is `core.forecast.runway` at `now`. `start`
    defaults to `days` times 24 h before `now`; the window passes the local midnight that
    begins the first day of `daily`, so the line and the bars cover the same days.
    """
    if start is None:
        start = now - days * DAY_S
    records = sorted((r for r in records if r.ts <= now), key=lambda r: r.ts)
    events = events_of(records)
    anchor_index = _last_before(records, start)
    shown = range(0 if anchor_index is None else anchor_index, len(records))

    steps: list[tuple[float, float]] = []
    for i in shown:
        steps.append((max(records[i].ts, start), float(records[i].total_balance)))
    if steps:
        steps.append((now, steps[-1][1]))  # the line runs on to now at the last known value

    inside = [i for i in shown if records[i].ts >= start]
    period_events = tuple(e for i in inside if (e := events[i]) is not None)
    drops = sorted(
        (
            Drop(records[i].ts, records[i].spent, records[i].period)
            for i in inside
            if records[i].spent > _EPS
        ),
        key=lambda d: (-d.spent, -d.ts),
    )[:LARGEST_DROPS]
    daily_pairs = tuple((day, float(spent)) for day, spent in daily)
    busiest = max(daily_pairs, key=lambda p: (p[1], p[0]), default=None)
    totals = Totals(
        spent=sum(spent for _, spent in daily_pairs),
        added=float(sum(e.amount for e in period_events if e.kind is not EventKind.RENEWAL)),
        renewals=sum(1 for e in period_events if e.kind is EventKind.RENEWAL),
        start_balance=steps[0][1] if steps else None,
        end_balance=steps[-1][1] if steps else None,
        days=days,
        busiest_day=busiest[0] if busiest and busiest[1] > 0 else None,
        busiest_day_spent=busiest[1] if busiest else 0.0,
    )
    projection = (
        project(forecast, now, reset_at_s, horizon_s=days * DAY_S)
        if forecast is not None and steps
        else None
    )
    return UsageSeries(
        start=start,
        end=now,
        steps=tuple(steps),
        events=period_events,
        daily=daily_pairs,
        projection=projection,
        largest_drops=tuple(drops),
        totals=totals,
        reset_at_s=reset_at_s,
    )


def project(
    forecast: Forecast, now: float, reset_at_s: float | None, *, horizon_s: float
) -> Projection | None:
    """The forecast as a line from now: to the next reset, or over `horizon_s` without one.

    None without a pace (less than a day of history). With no spending lately the line is flat.
    """
    if not forecast.enough_history:
        return None
    ends_at_reset = reset_at_s is not None and reset_at_s > now
    end = reset_at_s if ends_at_reset and reset_at_s is not None else now + horizon_s
    balance = max(0.0, forecast.balance)
    burn = forecast.burn_per_day
    runs_out_at: float | None = None
    if burn > 0:
        empty_at = now + balance / burn * DAY_S
        if empty_at < end:
            runs_out_at = empty_at
    end_balance = max(0.0, balance - burn * (end - now) / DAY_S)
    return Projection(now, balance, end, end_balance, burn, runs_out_at, ends_at_reset)


def _last_before(records: Sequence[Recorded], start: float) -> int | None:
    """Index of the last record before `start`, or of the first one if none is before it."""
    before = [i for i, r in enumerate(records) if r.ts < start]
    if before:
        return before[-1]
    return 0 if records else None
