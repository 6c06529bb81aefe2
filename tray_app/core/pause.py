"""How long "Pause notifications" lasts, for each choice in the menu (pure)."""

from __future__ import annotations

import datetime as dt

from tray_app.core import fmt

PAUSE_HOUR_S = 3600.0
#: "Until tomorrow" ends at this local hour of the next day.
TOMORROW_HOUR = 8


def for_an_hour(now: float) -> float:
    """When a one-hour pause that starts at `now` ends."""
    return now + PAUSE_HOUR_S


def tomorrow_morning(now: float, tz: dt.tzinfo | None = None) -> float:
    """08:00 local time on the next day: "until tomorrow" for the pause menu."""
    local = fmt.local_datetime(now, tz)
    next_day = (local + dt.timedelta(days=1)).replace(
        hour=TOMORROW_HOUR, minute=0, second=0, microsecond=0
    )
    return next_day.timestamp()
