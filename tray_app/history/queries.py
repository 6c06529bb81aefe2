"""The history's read queries, as functions over a connection, and the records they return.

Separate from `store` because reading is the larger half of the history and needs none of
its locking or fault handling: `HistoryStore` runs each of these under its lock and turns a
read error into an empty answer (see `HistoryStore._read`). Raw rows and hourly/daily
aggregates are read together here, so callers never see which of them a figure came from.
"""

from __future__ import annotations

import bisect
import datetime as dt
import sqlite3
from dataclasses import dataclass

from tray_app.core import fmt
from tray_app.core.balance import Balance, Number, whole
from tray_app.core.usage_series import Recorded
from tray_app.history.opening import EXPECTED_COLUMNS

_SELECT_LAST_RAW = (
    "SELECT ts, total_balance, total_amount, subscription_balance, subscription_amount, "
    "gift_balance, gift_amount, reset_at_ms FROM balance_raw ORDER BY id DESC LIMIT 1"
)


@dataclass(frozen=True)
class BalanceChange:
    """A recorded change of totalBalance."""

    ts: float
    balance: Number  # totalBalance after the change
    delta: Number  # change of totalBalance (negative: spent or expired; positive: reset/top-up)
    spent: Number  # the part of the change counted as spending (>= 0)


@dataclass(frozen=True)
class DailyUsage:
    day: dt.date  # a local calendar day
    spent: Number  # credits spent that day (resets, top-ups and expiry are not spending)
    balance: Number | None  # the last known totalBalance that day, None if nothing was recorded


@dataclass(frozen=True)
class AlertRecord:
    ts: float
    kind: str
    key: str
    title: str
    body: str


def last_raw(conn: sqlite3.Connection) -> tuple[float, Balance] | None:
    """The last raw row written (time, balance), or None if there is none or it cannot be read."""
    try:
        row = conn.execute(_SELECT_LAST_RAW).fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    ts, total_b, total_a, sub_b, sub_a, gift_b, gift_a, reset_at = row
    balance = Balance(
        total_amount=whole(total_a),
        total_balance=whole(total_b),
        subscription_amount=whole(sub_a),
        subscription_balance=whole(sub_b),
        gift_amount=whole(gift_a),
        gift_balance=whole(gift_b),
        reset_at_ms=reset_at,
    )
    return float(ts), balance


def latest_ts(conn: sqlite3.Connection) -> float | None:
    """The time of the latest record, raw or aggregated; None for an empty history."""
    row = conn.execute(
        "SELECT max(m) FROM (SELECT max(ts) AS m FROM balance_raw "
        "UNION ALL SELECT max(last_ts) FROM balance_agg)"
    ).fetchone()
    return None if row[0] is None else float(row[0])


def samples(conn: sqlite3.Connection, since: float) -> list[tuple[float, float]]:
    """See `HistoryStore.samples`."""
    rows = conn.execute(
        "SELECT last_ts, last_balance FROM balance_agg WHERE last_ts >= ? "
        "UNION ALL SELECT ts, total_balance FROM balance_raw WHERE ts >= ? "
        "ORDER BY 1",
        (since, since),
    ).fetchall()
    return [(float(ts), float(value)) for ts, value in rows]


def records(conn: sqlite3.Connection, since: float) -> list[Recorded]:
    """See `HistoryStore.records`."""
    raw = conn.execute(
        "SELECT ts, spent, total_amount, total_balance, subscription_amount, "
        "subscription_balance, gift_amount, gift_balance, reset_at_ms "
        "FROM balance_raw ORDER BY ts, id"
    ).fetchall()
    agg = conn.execute(
        "SELECT last_ts, last_balance, spent, period FROM balance_agg ORDER BY last_ts"
    ).fetchall()
    rows = []
    for ts, spent, t_a, t_b, s_a, s_b, g_a, g_b, reset_at in raw:
        balance = Balance(
            whole(t_a), whole(t_b), whole(s_a), whole(s_b), whole(g_a), whole(g_b), reset_at
        )
        rows.append(Recorded(float(ts), balance.total_balance, whole(spent), balance))
    rows += [Recorded(float(ts), whole(b), whole(sp), None, int(p)) for ts, b, sp, p in agg]
    rows.sort(key=lambda r: r.ts)
    start = max(0, bisect.bisect_left([r.ts for r in rows], since) - 1)
    # Also the last raw row before that: the first change in the range is classified
    # against the seven fields it had (core.usage_series.events_of).
    raw_before = next((i for i in range(start - 1, -1, -1) if not rows[i].is_summary), None)
    return ([] if raw_before is None else [rows[raw_before]]) + rows[start:]


def spending_samples(conn: sqlite3.Connection, since: float) -> list[tuple[float, float, float]]:
    """See `HistoryStore.spending_samples`."""
    rows = conn.execute(
        "SELECT last_ts, last_balance, spent FROM balance_agg WHERE last_ts >= ? "
        "UNION ALL SELECT ts, total_balance, spent FROM balance_raw WHERE ts >= ? "
        "ORDER BY 1",
        (since, since),
    ).fetchall()
    return [(float(ts), float(value), float(spent)) for ts, value, spent in rows]


def changes(conn: sqlite3.Connection, limit: int) -> list[BalanceChange]:
    """See `HistoryStore.changes`."""
    rows = conn.execute(
        "SELECT ts, total_balance, delta, spent FROM balance_raw "
        "WHERE delta IS NOT NULL AND delta != 0 ORDER BY ts DESC, id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [BalanceChange(ts, whole(b), whole(d), whole(s)) for ts, b, d, s in rows]


def alerts(conn: sqlite3.Connection, since: float, limit: int) -> list[AlertRecord]:
    """See `HistoryStore.alerts`."""
    rows = conn.execute(
        "SELECT ts, kind, key, title, body FROM alert_event WHERE ts >= ? "
        "ORDER BY ts DESC, id DESC LIMIT ?",
        (since, limit),
    ).fetchall()
    return [AlertRecord(*row) for row in rows]


def usage_between(conn: sqlite3.Connection, start: float, end: float) -> float:
    """See `HistoryStore.usage_between`."""
    (raw,) = conn.execute(
        "SELECT total(spent) FROM balance_raw WHERE ts >= ? AND ts < ?", (start, end)
    ).fetchone()
    (agg,) = conn.execute(
        "SELECT total(spent) FROM balance_agg "
        "WHERE start + period / 2.0 >= ? AND start + period / 2.0 < ?",
        (start, end),
    ).fetchone()
    return float(raw + agg)


def day_edges(days: int, tz: dt.tzinfo | None, now: float) -> tuple[dt.date, list[float]]:
    """The first of the `days` local days ending with the day of `now`, and the local
    midnights of every day in the range (and the one after)."""
    last_day = fmt.local_datetime(now, tz).date()
    first_day = last_day - dt.timedelta(days=days - 1)
    # Bisecting the midnights is much cheaper than converting each row's time, and stays
    # right across DST changes.
    edges = [fmt.local_midnight(first_day + dt.timedelta(days=i), tz) for i in range(days + 1)]
    return first_day, edges


def rows_between(
    conn: sqlite3.Connection, start: float, end: float
) -> list[tuple[float, float, float]]:
    """(time, spent, totalBalance) of every record in [start, end), oldest first; an aggregate
    counts at its midpoint."""
    return conn.execute(
        "SELECT start + period / 2.0 AS at, spent, last_balance FROM balance_agg "
        "WHERE at >= ? AND at < ? "
        "UNION ALL SELECT ts, spent, total_balance FROM balance_raw "
        "WHERE ts >= ? AND ts < ? ORDER BY 1",
        (start, end, start, end),
    ).fetchall()


def per_day(
    first_day: dt.date, edges: list[float], rows: list[tuple[float, float, float]]
) -> list[DailyUsage]:
    """`rows_between`'s rows summed into the days `day_edges` gave, every day listed."""
    days = len(edges) - 1
    spent = [0.0] * days
    balance: list[float | None] = [None] * days
    for at, amount, value in rows:
        index = bisect.bisect_right(edges, at) - 1
        if 0 <= index < days:
            spent[index] += amount
            balance[index] = value  # rows come oldest first: the last one wins
    return [
        DailyUsage(
            first_day + dt.timedelta(days=i),
            whole(spent[i]),
            _num_or_none(balance[i]),
        )
        for i in range(days)
    ]


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """See `HistoryStore.row_counts`."""
    # Table names come from our own constant, never from input.
    return {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        for table in EXPECTED_COLUMNS
    }


def _num_or_none(value: float | None) -> Number | None:
    return None if value is None else whole(value)
