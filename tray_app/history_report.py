"""What `lensmor-tray history` prints: recent balance changes and spending per day.

Reads a `HistoryStore`; writes nothing. `history_report` is for people (numbers as "30,050",
local times), `history_json` for scripts (plain numbers, ISO 8601 UTC times and local dates).
"""

from __future__ import annotations

import datetime as dt

from tray_app.core import fmt
from tray_app.core.balance import Number
from tray_app.core.view import RECENT_ALERTS
from tray_app.store import BalanceChange, DailyUsage, HistoryStore

DEFAULT_DAYS = 14
DEFAULT_CHANGES = 20


def usage_today(store: HistoryStore, now: float, tz: dt.tzinfo | None) -> float:
    """Credits spent since local midnight (the menu's "Usage today" row)."""
    today = fmt.local_datetime(now, tz).date()
    if tz is None:
        midnight = dt.datetime.combine(today, dt.time()).astimezone().timestamp()
    else:
        midnight = dt.datetime.combine(today, dt.time(), tzinfo=tz).timestamp()
    return store.usage_between(midnight, now + 1)


def history_report(
    store: HistoryStore,
    now: float,
    tz: dt.tzinfo | None = None,
    *,
    days: int = DEFAULT_DAYS,
    limit: int = DEFAULT_CHANGES,
) -> str:
    changes = store.changes(limit)
    daily = store.daily_usage(days, tz, now)
    lines: list[str] = []
    if not store.persistent:
        lines += [
            f"Note: {store.path} could not be used; only this session's history is shown.",
            "",
        ]
    lines.append("Recent balance changes")
    if changes:
        lines += _change_lines(changes, now, tz)
    else:
        lines.append("  none recorded yet")
    lines += ["", "Recent alerts"]
    lines += [
        f"  {fmt.date(a.ts, tz)} {fmt.clock(a.ts, tz)}  {a.title}: {a.body}"
        for a in store.alerts(0.0, RECENT_ALERTS)
    ] or ["  none yet"]
    lines += ["", f"Daily usage (last {days} days)"]
    lines += _daily_lines(daily)
    total = sum(d.spent for d in daily)
    lines += [
        "",
        f"Usage today: {fmt.credits(_num(usage_today(store, now, tz)))} credits",
        f"Usage over {days} days: {fmt.credits(_num(total))} credits",
    ]
    return "\n".join(lines) + "\n"


def history_json(
    store: HistoryStore,
    now: float,
    tz: dt.tzinfo | None = None,
    *,
    days: int = DEFAULT_DAYS,
    limit: int = DEFAULT_CHANGES,
) -> dict[str, object]:
    return {
        "generated_at": fmt.iso_utc(now),
        "persistent": store.persistent,
        "usage_today": _num(usage_today(store, now, tz)),
        "changes": [
            {
                "time": fmt.iso_utc(c.ts),
                "ts": c.ts,
                "delta": c.delta,
                "balance": c.balance,
                "spent": c.spent,
            }
            for c in store.changes(limit)
        ],
        "alerts": [
            {
                "time": fmt.iso_utc(a.ts),
                "ts": a.ts,
                "kind": a.kind,
                "title": a.title,
                "body": a.body,
            }
            for a in store.alerts(0.0, RECENT_ALERTS)
        ],
        "daily": [
            {"date": d.day.isoformat(), "spent": d.spent, "balance": d.balance}
            for d in store.daily_usage(days, tz, now)
        ],
    }


def _change_lines(changes: list[BalanceChange], now: float, tz: dt.tzinfo | None) -> list[str]:
    this_year = fmt.local_datetime(now, tz).year
    rows = []
    for c in changes:
        when = fmt.local_datetime(c.ts, tz)
        day = fmt.short_date(c.ts, tz) if when.year == this_year else fmt.date(c.ts, tz)
        sign = "+" if c.delta > 0 else ""
        note = ""
        if c.delta > 0:
            note = "  (reset or top-up)"
        elif not c.spent:
            note = "  (expired, not spent)"
        rows.append(
            f"  {day:>6} {fmt.clock(c.ts, tz)}  {sign + fmt.credits(c.delta):>9}"
            f"  -> {fmt.credits(c.balance):>9}{note}"
        )
    return rows


def _daily_lines(daily: list[DailyUsage]) -> list[str]:
    rows = []
    for d in reversed(daily):  # newest first, like the changes above
        balance = "" if d.balance is None else f"  balance {fmt.credits(d.balance)}"
        rows.append(
            f"  {d.day:%a} {d.day.day:>2} {d.day:%b %Y}  {fmt.credits(d.spent):>9}{balance}"
        )
    return rows


def _num(value: float) -> Number:
    return int(value) if float(value).is_integer() else value
