"""The Usage window's summary beside the chart, in words, pure (no Tk, no I/O): the period's
totals, the forecast and the largest drops, written like the menu in the window's language;
and the name offered for an exported CSV.

Its own module so the wording can be tested (tests/unit/windows/test_usage_window.py)
without a display, and so `usage_window` keeps to the window.
"""

from __future__ import annotations

import datetime as dt

from tray_app.core import fmt
from tray_app.core.balance import tenths
from tray_app.core.language import ENGLISH, Language
from tray_app.core.usage_series import UsageSeries


def summary_lines(
    series: UsageSeries, tz: dt.tzinfo | None = None, lang: Language = ENGLISH
) -> list[tuple[str, str]]:
    """The summary beside the chart, as (label, text) rows, written like the menu."""
    _ = lang.gettext
    if series.empty:
        return [("", _("No history in this period yet."))]
    t = series.totals
    rows = [
        (
            _("Period"),
            _("{start} to {end}").format(
                start=fmt.date(series.start, tz, lang), end=fmt.date(series.end, tz, lang)
            ),
        ),
        (_("Spent"), _("{credits} credits").format(credits=fmt.credits(tenths(t.spent), lang))),
    ]
    added = []
    if t.added:
        added.append(
            _("{credits} (top-ups, gifts)").format(credits=fmt.credits(tenths(t.added), lang))
        )
    if t.renewals:
        added.append(
            lang.ngettext("{count} renewal", "{count} renewals", t.renewals).format(
                count=t.renewals
            )
        )
    rows.append((_("Added"), ", ".join(added) if added else _("nothing")))
    if t.start_balance is not None and t.end_balance is not None:
        start, end = (
            fmt.credits(tenths(t.start_balance), lang),
            fmt.credits(tenths(t.end_balance), lang),
        )
        rows.append((_("Balance"), f"{start} → {end}"))
    if t.busiest_day is not None:
        day = t.busiest_day
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc).timestamp()
        rows.append(
            (
                _("Busiest day"),
                _("{day}: {credits}").format(
                    day=fmt.short_date(noon, dt.timezone.utc, lang),
                    credits=fmt.credits(tenths(t.busiest_day_spent), lang),
                ),
            )
        )
    rows.append((_("Forecast"), forecast_text(series, tz, lang)))
    for i, drop in enumerate(series.largest_drops):
        when = f"{fmt.short_date(drop.ts, tz, lang)} {fmt.clock(drop.ts, tz, lang)}"
        if drop.period == 3600:  # an hourly summary: the spending of that hour, in all
            hour = drop.ts - drop.ts % 3600
            when = (
                f"{fmt.short_date(hour, tz, lang)} "
                f"{fmt.clock(hour, tz, lang)}-{fmt.clock(hour + 3600, tz, lang)}"
            )
        elif drop.period:
            when = _("{day}, whole day").format(day=fmt.short_date(drop.ts, tz, lang))
        rows.append(
            (_("Largest drops") if i == 0 else "", f"-{fmt.credits(drop.spent, lang)}  {when}")
        )
    return rows


def forecast_text(
    series: UsageSeries, tz: dt.tzinfo | None = None, lang: Language = ENGLISH
) -> str:
    _ = lang.gettext
    proj = series.projection
    if proj is None:
        return _("needs a day of history")
    pace = fmt.credits(tenths(round(proj.burn_per_day)), lang)
    if proj.runs_out_at is not None:
        runs_out = fmt.short_date(proj.runs_out_at, tz, lang)
        if proj.ends_at_reset:
            return _("at {pace} a day, runs out ~{date}, before the reset on {reset}").format(
                pace=pace, date=runs_out, reset=fmt.short_date(proj.end_ts, tz, lang)
            )
        return _("at {pace} a day, runs out ~{date}").format(pace=pace, date=runs_out)
    if proj.burn_per_day <= 0:
        return _("no credits used lately")
    if proj.ends_at_reset:
        return _("at {pace} a day, lasts until the reset on {reset}").format(
            pace=pace, reset=fmt.short_date(proj.end_ts, tz, lang)
        )
    return _("at {pace} a day").format(pace=pace)


def default_export_name(now: float, tz: dt.tzinfo | None = None) -> str:
    return f"lensmor-usage-{fmt.local_datetime(now, tz):%Y-%m-%d}.csv"
