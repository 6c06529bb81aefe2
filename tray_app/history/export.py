"""`lensmor-tray history --csv` (also the Usage window's "Export CSV…") and `--chart`.

CSV: one row per recorded change, oldest first, in the columns of `CSV_COLUMNS`: the account
(always "default" until several accounts are supported), the time in ISO 8601 UTC, the seven
balance fields under their API names (resetAt in Unix milliseconds, as the API sends it), the
event (start, spend, reset, top-up, gift, added, change), the credits spent in that change and
its resolution. Changes older than four weeks are kept as hourly, then daily summaries: such
a row has only totalBalance (its last value) and what was spent in it, and `resolution` says
"hour" or "day" instead of "change". Renewals, top-ups and gifts are never summarised.
A text cell that a spreadsheet would run as a formula (an account named `=HYPERLINK(…)` or
`-2+3`) is written with a leading `'` (`spreadsheet_text`).

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
from tray_app.core.balance import API_FIELDS, Number, tenths
from tray_app.core.language import ENGLISH, Language
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
#: What makes a spreadsheet read a cell as a formula: OWASP's "CSV Injection" rule.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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
            account=spreadsheet_text(account),
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


def spreadsheet_text(text: str) -> str:
    """`text` as a CSV cell that spreadsheets show and never run: one that begins with a
    formula character gets a leading `'` (Excel, LibreOffice and Sheets then take it as text).
    Only for text: the numbers are written by us, and "-5" is a number, not a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


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
        end = min(series.end, fmt.local_midnight(group[-1][0] + dt.timedelta(days=1), tz))
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


def chart_text(
    series: UsageSeries,
    width: int = CHART_WIDTH,
    tz: dt.tzinfo | None = None,
    lang: Language = ENGLISH,
) -> str:
    """The `history --chart` output (see the module docstring), its words in `lang`."""
    _ = lang.gettext
    cols = columns(series, width, tz)
    if not cols or series.empty:
        return _("No history in this period yet: start the tray app and it records changes.") + "\n"
    first, last = cols[0][0], cols[-1][1]
    balances = [c[2] for c in cols]
    spends = [c[3] for c in cols]
    per = (cols[0][1] - cols[0][0]).days + 1
    unit = (
        _("day")
        if per == 1
        else lang.ngettext("{count} day", "{count} days", per).format(count=per)
    )
    top_balance = max(balances)
    top_spend = max(spends)

    def money(value: float) -> str:
        return fmt.credits(tenths(value), lang)

    # The labels in one column (display width: wide characters take two).
    rows = [
        (
            _("Balance"),
            f"{sparkline(balances, top_balance)}  "
            + _("now {now}, top {top}").format(now=money(balances[-1]), top=money(top_balance)),
        ),
        (
            _("Spent"),
            f"{sparkline(spends, top_spend)}  "
            + _("total {total}, busiest {unit} {busiest}").format(
                total=money(series.totals.spent), unit=unit, busiest=money(top_spend)
            ),
        ),
    ]
    if series.events:
        rows.append((_("Events"), events_line(series, tz, lang=lang)))
    proj = series.projection
    if proj is not None and proj.runs_out_at is not None:
        rows.append(
            (
                _("Forecast"),
                _("at this pace the credits run out on {date}").format(
                    date=fmt.date(proj.runs_out_at, tz, lang)
                ),
            )
        )
    elif proj is not None and proj.ends_at_reset:
        rows.append(
            (
                _("Forecast"),
                _("at this pace they last until the reset ({date})").format(
                    date=fmt.date(proj.end_ts, tz, lang)
                ),
            )
        )
    width_of_labels = max(8, *(fmt.display_width(label) for label, _text in rows))
    heading = lang.ngettext(
        "Last {days} day, {first} to {last} (one column per {unit})",
        "Last {days} days, {first} to {last} (one column per {unit})",
        series.totals.days,
    ).format(
        days=series.totals.days,
        first=_day(first, lang),
        last=_day(last, lang),
        unit=unit,
    )
    lines = [heading, ""]
    for label, text in rows:
        pad = " " * (width_of_labels - fmt.display_width(label))
        lines.append(f"{label}{pad}  {text}")
    return "\n".join(lines) + "\n"


def events_line(
    series: UsageSeries, tz: dt.tzinfo | None = None, most: int = 6, lang: Language = ENGLISH
) -> str:
    """Each event with its day; beyond `most`, a count per kind and the latest three."""

    def named(events: Sequence[Event]) -> str:
        return ", ".join(
            lang.gettext("{event} {date}").format(
                event=lang.gettext(e.kind.word), date=fmt.short_date(e.ts, tz, lang)
            )
            for e in events
        )

    events = series.events
    if len(events) <= most:
        return named(events)
    counts: dict[EventKind, int] = {}
    for e in events:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    parts = [_counted(kind, n, lang) for kind, n in counts.items()]
    return lang.gettext("{counts}; latest: {events}").format(
        counts=", ".join(parts), events=named(events[-3:])
    )


def _counted(kind: EventKind, n: int, lang: Language) -> str:
    """ "3 renewals" (each written out, so that the catalogs get every plural)."""
    if kind is EventKind.RENEWAL:
        text = lang.ngettext("{count} renewal", "{count} renewals", n)
    elif kind is EventKind.TOP_UP:
        text = lang.ngettext("{count} top-up", "{count} top-ups", n)
    elif kind is EventKind.GIFT:
        text = lang.ngettext("{count} gift", "{count} gifts", n)
    else:
        text = lang.ngettext("{count} addition of credits", "{count} additions of credits", n)
    return text.format(count=n)


def _day(day: dt.date, lang: Language = ENGLISH) -> str:
    if lang.locale is None:
        return f"{day.day} {day:%b %Y}"
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc).timestamp()
    return fmt.date(noon, dt.timezone.utc, lang)
