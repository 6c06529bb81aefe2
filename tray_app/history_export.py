"""`lensmor-tray history --csv` (also the Usage window's "Export CSV…") and `--chart`.

CSV: one row per recorded change, oldest first, in the columns of `CSV_COLUMNS`: the account
(always "default" until several accounts are supported), the time in ISO 8601 UTC, the seven
balance fields under their API names (resetAt in Unix milliseconds, as the API sends it), the
event (start, spend, reset, top-up, gift, added, change), the credits spent in that change and
its resolution. Changes older than four weeks are kept as hourly, then daily summaries: such
a row has only totalBalance (its last value) and what was spent in it, and `resolution` says
"hour" or "day" instead of "change". Renewals, top-ups and gifts are never summarised.

Chart: the balance and the daily spending as two lines of unicode block sparklines (no
dependency), one column per day or per group of days, with their scales and totals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from typing import TextIO

from tray_app.core import fmt
from tray_app.core.balance import API_FIELDS, Number
from tray_app.core.usage_series import Event, EventKind, Recorded, UsageSeries, events_of

DEFAULT_ACCOUNT = "default"
CSV_COLUMNS = (
    "account",
    "time",
    *(api for api, _ in API_FIELDS),
    "event",
    "spent",
    "resolution",
)
_RESOLUTION = {0: "change", 3600: "hour", 86400: "day"}
SPARK = " ▁▂▃▄▅▆▇█"
CHART_WIDTH = 60


def csv_rows(
    records: Sequence[Recorded], account: str = DEFAULT_ACCOUNT
) -> Iterator[dict[str, str]]:
    """The CSV rows for `records` (oldest first): changes only, heartbeats left out."""
    prev_total: Number | None = None
    for record, event in zip(records, events_of(records), strict=True):
        kind = _event_name(record, event.kind if event else None, prev_total)
        prev_total = record.total_balance
        if kind is None:
            continue
        row = dict.fromkeys(CSV_COLUMNS, "")
        row.update(
            account=account,
            time=fmt.iso_utc(record.ts),
            event=kind,
            spent=_plain(record.spent),
            resolution=_RESOLUTION.get(record.period, f"{record.period} s"),
        )
        if record.balance is not None:
            for api, value in record.balance.to_api_dict().items():
                row[api] = "" if value is None else _plain(value)
        else:
            row["totalBalance"] = _plain(record.total_balance)
        yield row


def write_csv(stream: TextIO, records: Sequence[Recorded], account: str = DEFAULT_ACCOUNT) -> int:
    """Write the header and the rows; return the number of rows."""
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in csv_rows(records, account):
        writer.writerow(row)
        count += 1
    return count


def csv_text(records: Sequence[Recorded], account: str = DEFAULT_ACCOUNT) -> str:
    buffer = io.StringIO()
    write_csv(buffer, records, account)
    return buffer.getvalue()


def _event_name(record: Recorded, kind: EventKind | None, prev_total: Number | None) -> str | None:
    if kind is not None:
        return kind.value
    if prev_total is None:
        return "start"
    if record.spent > 0:
        return "spend"
    if record.total_balance != prev_total:
        return "change"  # neither spending nor credits added (e.g. an amount corrected)
    return None  # a heartbeat: nothing changed


def _plain(value: Number) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- the terminal chart ----------------------------------------------------------------------


def sparkline(values: Sequence[float], top: float) -> str:
    """One block per value, scaled to `top`; only an exact 0 is blank."""
    out = []
    for value in values:
        if value <= 0 or top <= 0:
            out.append(SPARK[0])
            continue
        level = round(value / top * (len(SPARK) - 1))
        out.append(SPARK[max(1, min(len(SPARK) - 1, level))])
    return "".join(out)


def columns(
    series: UsageSeries, width: int, tz: dt.tzinfo | None = None
) -> list[tuple[dt.date, dt.date, float, float]]:
    """(first day, last day, balance at its end, spent) per column, grouping days to fit."""
    days = list(series.daily)
    if not days:
        return []
    per = -(-len(days) // max(1, width))  # ceil
    out = []
    for i in range(0, len(days), per):
        group = days[i : i + per]
        end = min(series.end, _local_midnight(group[-1][0] + dt.timedelta(days=1), tz))
        out.append((group[0][0], group[-1][0], balance_at(series, end), sum(s for _, s in group)))
    return out


def balance_at(series: UsageSeries, ts: float) -> float:
    """The step line's value at `ts` (0 before the first step)."""
    value = 0.0
    for at, balance in series.steps:
        if at > ts:
            break
        value = balance
    return value


def _local_midnight(day: dt.date, tz: dt.tzinfo | None) -> float:
    if tz is None:
        return dt.datetime.combine(day, dt.time()).astimezone().timestamp()
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).timestamp()


def chart_text(series: UsageSeries, width: int = CHART_WIDTH, tz: dt.tzinfo | None = None) -> str:
    """The `history --chart` output (see the module docstring)."""
    cols = columns(series, width, tz)
    if not cols or series.empty:
        return "No history in this period yet: start the tray app and it records changes.\n"
    first, last = cols[0][0], cols[-1][1]
    balances = [c[2] for c in cols]
    spends = [c[3] for c in cols]
    per = (cols[0][1] - cols[0][0]).days + 1
    unit = "day" if per == 1 else f"{per} days"
    top_balance = max(balances)
    top_spend = max(spends)
    lines = [
        f"Last {series.totals.days} days, {_day(first)} to {_day(last)} (one column per {unit})",
        "",
        f"Balance   {sparkline(balances, top_balance)}  "
        f"now {fmt.credits(_num(balances[-1]))}, top {fmt.credits(_num(top_balance))}",
        f"Spent     {sparkline(spends, top_spend)}  "
        f"total {fmt.credits(_num(series.totals.spent))}, busiest {unit} "
        f"{fmt.credits(_num(top_spend))}",
    ]
    if series.events:
        lines.append(f"Events    {events_line(series, tz)}")
    proj = series.projection
    if proj is not None and proj.runs_out_at is not None:
        lines.append(
            f"Forecast  at this pace the credits run out on {fmt.date(proj.runs_out_at, tz)}"
        )
    elif proj is not None and proj.ends_at_reset:
        lines.append(
            f"Forecast  at this pace they last until the reset ({fmt.date(proj.end_ts, tz)})"
        )
    return "\n".join(lines) + "\n"


def events_line(series: UsageSeries, tz: dt.tzinfo | None = None, most: int = 6) -> str:
    """Each event with its day; beyond `most`, a count per kind and the latest three."""

    def named(events: Sequence[Event]) -> str:
        return ", ".join(f"{e.kind.label.lower()} {fmt.short_date(e.ts, tz)}" for e in events)

    events = series.events
    if len(events) <= most:
        return named(events)
    counts: dict[EventKind, int] = {}
    for e in events:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    parts = [f"{n} {_PLURAL[k] if n > 1 else k.label.lower()}" for k, n in counts.items()]
    return f"{', '.join(parts)}; latest: {named(events[-3:])}"


_PLURAL = {
    EventKind.RENEWAL: "renewals",
    EventKind.TOP_UP: "top-ups",
    EventKind.GIFT: "gifts",
    EventKind.ADDED: "credits added",
}


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _num(value: float) -> Number:
    return int(value) if float(value).is_integer() else round(value, 1)
