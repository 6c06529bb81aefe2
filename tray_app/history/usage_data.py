"""Reads the history store's spending: today's for the menu, and the Usage window's series
(`core.usage_series`).

The series is shared by the Usage window and `lensmor-tray history --chart`: what the store
recorded, its spending per local day (`HistoryStore.daily_usage`) and the pace
(`core.forecast.runway`, fed the same trailing samples as the tray's menu), arranged by the
pure core.
"""

from __future__ import annotations

import datetime as dt

from tray_app.core import fmt
from tray_app.core.balance import Balance
from tray_app.core.forecast import runway
from tray_app.core.usage_series import UsageSeries, build
from tray_app.history.retention import DAY
from tray_app.history.store import HistoryStore

#: The samples the forecast sees, as each poll reads them (FORECAST_WINDOW_S in
#: runtime/history_reads.py): the forecast's own window plus room for the anchor before it.
FORECAST_SAMPLES_S = 14 * DAY


def usage_today(store: HistoryStore, now: float, tz: dt.tzinfo | None) -> float:
    """Credits spent since local midnight (the menu's "Usage today" row, `history` too)."""
    midnight = fmt.local_midnight(fmt.local_datetime(now, tz).date(), tz)
    return store.usage_between(midnight, now + 1)


def load_series(
    store: HistoryStore, now: float, days: int, tz: dt.tzinfo | None = None
) -> UsageSeries:
    """The series for the `days` days up to `now` (local days unless `tz` is given)."""
    latest = store.last_recorded()
    balance: Balance | None = latest[1] if latest is not None else None
    reset_at_s = balance.reset_at_s if balance is not None else None
    daily = [(d.day, d.spent) for d in store.daily_usage(days, tz, now)]
    start = fmt.local_midnight(daily[0][0], tz) if daily else now - days * DAY
    samples = store.spending_samples(now - FORECAST_SAMPLES_S)
    forecast = runway(samples, now, reset_at_s) if samples else None
    return build(
        store.records(start),
        daily,
        forecast,
        now=now,
        days=days,
        reset_at_s=reset_at_s,
        start=start,
    )
