"""What `lensmor-tray history` prints: recent balance changes and spending per day.

Reads a `HistoryStore`; writes nothing. `history_report` is for people (numbers as "30,050",
local times, in the user's language: "30.050", "Mo., 30. Nov. 2026" in German),
`history_json` for scripts (plain numbers, ISO 8601 UTC times and local dates, in every
language). Recorded alerts are shown as they were worded when they were sent.
"""

from __future__ import annotations

import datetime as dt

from tray_app.core import fmt
from tray_app.core.balance import whole
from tray_app.core.language import ENGLISH, Language
from tray_app.core.usage_series import EventKind, events_of
from tray_app.core.view import RECENT_ALERTS
from tray_app.history.queries import BalanceChange, DailyUsage
from tray_app.history.store import HistoryStore
from tray_app.history.usage_data import usage_today

DEFAULT_DAYS = 14
DEFAULT_CHANGES = 20


def history_report(
    store: HistoryStore,
    now: float,
    tz: dt.tzinfo | None = None,
    *,
    days: int = DEFAULT_DAYS,
    limit: int = DEFAULT_CHANGES,
    lang: Language = ENGLISH,
) -> str:
    _ = lang.gettext
    changes = store.changes(limit)
    daily = store.daily_usage(days, tz, now)
    lines: list[str] = []
    if not store.persistent:
        lines += [
            _("Note: {path} could not be used; only this session's history is shown.").format(
                path=store.path
            ),
            "",
        ]
    lines.append(_("Recent balance changes"))
    if changes:
        lines += _change_lines(changes, _events_at(store, changes), now, tz, lang)
    else:
        lines.append("  " + _("none recorded yet"))
    lines += ["", _("Recent alerts")]
    lines += [
        f"  {fmt.date(a.ts, tz, lang)} {fmt.clock(a.ts, tz, lang)}  {a.title}: {a.body}"
        for a in store.alerts(0.0, RECENT_ALERTS)
    ] or ["  " + _("none yet")]
    lines += [
        "",
        lang.ngettext(
            "Daily usage (last {days} day)", "Daily usage (last {days} days)", days
        ).format(days=days),
    ]
    lines += _daily_lines(daily, lang)
    total = sum(d.spent for d in daily)
    lines += [
        "",
        _("Usage today: {credits} credits").format(
            credits=fmt.credits(whole(usage_today(store, now, tz)), lang)
        ),
        lang.ngettext(
            "Usage over {days} day: {credits} credits",
            "Usage over {days} days: {credits} credits",
            days,
        ).format(days=days, credits=fmt.credits(whole(total), lang)),
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
    changes = store.changes(limit)
    events = _events_at(store, changes) if changes else {}
    return {
        "generated_at": fmt.iso_utc(now),
        "persistent": store.persistent,
        "usage_today": whole(usage_today(store, now, tz)),
        "changes": [
            {
                "time": fmt.iso_utc(c.ts),
                "ts": c.ts,
                "delta": c.delta,
                "balance": c.balance,
                "spent": c.spent,
                # The CSV's `event` column: reset, top-up, gift, added; null for spending.
                "event": events[c.ts].value if c.ts in events else None,
            }
            for c in changes
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


def _events_at(store: HistoryStore, changes: list[BalanceChange]) -> dict[float, EventKind]:
    """What each change that is not spending was (renewal, top-up, gift), by its time: the
    classification the CSV's `event` column and the Usage window show (core.usage_series)."""
    records = store.records(min(c.ts for c in changes))
    return {r.ts: e.kind for r, e in zip(records, events_of(records), strict=True) if e is not None}


def _change_lines(
    changes: list[BalanceChange],
    events: dict[float, EventKind],
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
) -> list[str]:
    _ = lang.gettext
    this_year = fmt.local_datetime(now, tz).year
    days = []
    for c in changes:
        when = fmt.local_datetime(c.ts, tz)
        same_year = when.year == this_year
        days.append(fmt.short_date(c.ts, tz, lang) if same_year else fmt.date(c.ts, tz, lang))
    width = max(6, *(fmt.display_width(day) for day in days))
    rows = []
    for c, day in zip(changes, days, strict=True):
        sign = "+" if c.delta > 0 else ""
        note = ""
        kind = events.get(c.ts)
        if kind is None and c.delta > 0:
            kind = EventKind.ADDED  # a rise the history cannot tell apart
        if kind is not None:
            note = "  " + _("({event})").format(event=_(kind.word))
        elif not c.spent:
            note = "  " + _("(expired, not spent)")
        pad = " " * (width - fmt.display_width(day))
        rows.append(
            f"  {pad}{day} {fmt.clock(c.ts, tz, lang)}  {sign + fmt.credits(c.delta, lang):>9}"
            f"  -> {fmt.credits(c.balance, lang):>9}{note}"
        )
    return rows


def _daily_lines(daily: list[DailyUsage], lang: Language) -> list[str]:
    _ = lang.gettext
    rows = []
    days = [fmt.day_with_weekday(d.day, lang) for d in daily]
    width = max((fmt.display_width(day) for day in days), default=0)
    for d, day in reversed(
        list(zip(daily, days, strict=True))
    ):  # newest first, like the changes above
        balance = (
            ""
            if d.balance is None
            else "  " + _("balance {credits}").format(credits=fmt.credits(d.balance, lang))
        )
        pad = " " * (width - fmt.display_width(day))
        rows.append(f"  {day}{pad}  {fmt.credits(d.spent, lang):>9}{balance}")
    return rows
