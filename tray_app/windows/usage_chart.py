"""Draws a `UsageSeries` on a matplotlib Figure: the balance as a step line over bands of the
badge's level colours, renewals/top-ups/gifts marked, the forecast to the reset, and daily
spending as bars. No Tk here: the window embeds the figure, tests render it with Agg.

Only the Usage window's process imports this module (matplotlib costs ~40 MB and half a second);
the tray never does. Colours are the badge's (`tray.badge_palette.LEVEL_FILL`) on the windows'
`palette`, light or dark as the desktop prefers, and numbers, dates and words are written by
`core.fmt` and the catalogs in the window's language, as in the menu.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tray_app.core import fmt
from tray_app.core.balance import Balance, Number
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.core.levels import Level, Threshold, level_for
from tray_app.core.usage_series import EventKind, UsageSeries
from tray_app.tray.badge_palette import LEVEL_FILL
from tray_app.windows.palette import LIGHT, Palette

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

EVENT_MARKERS = {
    EventKind.RENEWAL: "o",
    EventKind.TOP_UP: "^",
    EventKind.GIFT: "*",
    EventKind.ADDED: "^",
}
#: The label of a threshold's line, by the level below it (whole sentences for translators).
THRESHOLD_LABELS = {
    Level.LOW: N_("low below {credits}"),
    Level.CRITICAL: N_("critical below {credits}"),
    Level.DEPLETED: N_("used up below {credits}"),
}


def hex_colour(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def event_colour(kind: EventKind, palette: Palette) -> str:
    return {
        EventKind.RENEWAL: palette.renewal,
        EventKind.TOP_UP: palette.top_up,
        EventKind.GIFT: palette.gift,
        EventKind.ADDED: palette.top_up,
    }[kind]


def level_colour(level: Level) -> str:
    return hex_colour(LEVEL_FILL[level])


def level_of(value: float, total_amount: Number, thresholds: tuple[Threshold, ...]) -> Level:
    """The badge's level for a balance of `value` out of `total_amount` (core.levels)."""
    probe = Balance(total_amount, value, 0, 0, 0, 0, None)
    return level_for(probe, thresholds)


def _x(ts: float) -> float:
    """Unix seconds -> matplotlib's date number (days since its 1970 epoch, UTC). The axis
    formatter turns it back into Unix seconds and writes it in the local zone with core.fmt."""
    return ts / 86_400.0


def draw(
    figure: Figure,
    series: UsageSeries,
    *,
    total_amount: Number,
    thresholds: tuple[Threshold, ...],
    tz: dt.tzinfo | None = None,
    lang: Language = ENGLISH,
    palette: Palette = LIGHT,
) -> tuple[Axes, Axes]:
    """Draw `series` on `figure` (cleared first) in `palette`; return the (balance, spending)
    axes."""
    from matplotlib import dates as mdates
    from matplotlib import ticker

    figure.clear()
    p = palette
    figure.set_facecolor(p.background)
    grid = figure.add_gridspec(2, 1, height_ratios=(3, 2), hspace=0.12)
    top = figure.add_subplot(grid[0])
    bottom = figure.add_subplot(grid[1], sharex=top)
    for ax in (top, bottom):
        _style_axes(ax, p)
    _ = lang.gettext
    credits_formatter = ticker.FuncFormatter(lambda v, _pos: fmt.credits(round(v), lang))
    top.yaxis.set_major_formatter(credits_formatter)
    bottom.yaxis.set_major_formatter(credits_formatter)
    top.yaxis.set_major_locator(ticker.MaxNLocator(5, integer=True, min_n_ticks=3))
    bottom.yaxis.set_major_locator(ticker.MaxNLocator(4, integer=True, min_n_ticks=2))

    if series.empty:
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
        top.text(0.5, 0.5, _("No history yet: the tray app records every change while it runs"),
                 color=p.muted, ha="center", va="center", transform=top.transAxes)  # fmt: skip
        return top, bottom

    _draw_balance(top, series, total_amount, thresholds, tz, lang=lang, palette=p)
    _draw_spending(bottom, series, total_amount, thresholds, tz, lang=lang)

    locator = mdates.AutoDateLocator(minticks=4, maxticks=9, tz=tz)  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(
        ticker.FuncFormatter(lambda v, _pos: fmt.short_date(v * 86_400.0, tz, lang))
    )
    top.tick_params(labelbottom=False)
    right = series.end
    if series.projection is not None:
        right = max(right, series.projection.end_ts)
    top.set_xlim(_x(series.start), _x(right + (right - series.start) * 0.01))
    top.set_ylim(bottom=0)
    if figure.get_figwidth() * figure.dpi >= 640:  # narrower, the legend needs the room
        top.set_title(_("Balance"), color=p.text, loc="left", fontsize=10)
    bottom.set_title(_("Spent per day"), color=p.text, loc="left", fontsize=10)
    return top, bottom


def _style_axes(ax: Axes, palette: Palette) -> None:
    ax.set_facecolor(palette.panel)
    ax.tick_params(colors=palette.muted, labelsize=8)
    for spine in ax.spines.values():
        spine.set_color(palette.border)
    ax.grid(True, color=palette.border, linewidth=0.6)
    ax.set_axisbelow(True)
    # Fixed places for the titles (on the top edge: nothing is drawn above the axes) and the
    # axis labels (there are none): otherwise every draw measures the tick labels to place
    # them, 12 % of a draw's function calls. Giving one title a y turns it off for all three.
    ax.set_title("", y=1.0)
    ax.xaxis.set_label_coords(0.5, -0.1)
    ax.yaxis.set_label_coords(-0.1, 0.5)


def _draw_balance(
    ax: Axes,
    series: UsageSeries,
    total_amount: Number,
    thresholds: tuple[Threshold, ...],
    tz: dt.tzinfo | None,
    *,
    lang: Language,
    palette: Palette,
) -> None:
    _ = lang.gettext
    p = palette
    steps = series.steps
    times = [_x(ts) for ts, _ in steps]
    values = [value for _, value in steps]
    # Each flat stretch filled in the colour the badge had at that balance: one fill per level
    # (a year has thousands of steps; one artist each would take seconds to draw).
    levels = [level_of(v, total_amount, thresholds) for v in values]
    for level in set(levels):
        # `where` marks the steps at this level; with step="post" each covers up to the next.
        where = [lv is level for lv in levels]
        ax.fill_between(times, values, step="post", where=where, color=level_colour(level),
                        alpha=0.45, linewidth=0)  # fmt: skip
    ax.step(times, values, where="post", color=p.text, linewidth=1.4, label=_("Balance"))
    for threshold in thresholds:
        line = threshold.credits(total_amount)
        level = level_of(line - 1e-9, total_amount, thresholds)
        ax.axhline(line, color=level_colour(level), linewidth=0.8, linestyle=":", alpha=0.9)
        text = _(THRESHOLD_LABELS.get(level, N_("low below {credits}")))
        ax.annotate(text.format(credits=fmt.credits(round(line), lang)), (0, line),
                    xycoords=("axes fraction", "data"), textcoords="offset points",
                    xytext=(4, 2), color=level_colour(level), fontsize=7)  # fmt: skip
    # One artist per kind of event (a year has dozens): markers, and renewals as lines.
    for kind in EventKind:
        of_kind = [e for e in series.events if e.kind is kind]
        if not of_kind:
            continue
        marker, colour = EVENT_MARKERS[kind], event_colour(kind, p)
        ax.plot([_x(e.ts) for e in of_kind], [float(e.balance) for e in of_kind], marker=marker,
                color=colour, markersize=9 if marker == "*" else 7, linestyle="none",
                label=_(kind.label), markeredgecolor=p.background, zorder=5)  # fmt: skip
        if kind is EventKind.RENEWAL:
            ax.vlines([_x(e.ts) for e in of_kind], 0, 1, transform=ax.get_xaxis_transform(),
                      colors=colour, linewidth=0.8, linestyles="--", alpha=0.6)  # fmt: skip
    proj = series.projection
    if proj is not None:
        ax.plot([_x(proj.start_ts), _x(proj.end_ts)],
                [proj.start_balance, proj.end_balance], color=p.accent, linestyle="--",
                linewidth=1.4, label=_("At this pace"))  # fmt: skip
        if proj.runs_out_at is not None:
            colour = level_colour(Level.CRITICAL)
            ax.plot([_x(proj.runs_out_at)], [0], marker="X", color=colour, markersize=9,
                    linestyle="none", label=_("Runs out"), zorder=6, clip_on=False)  # fmt: skip
            runs_out = fmt.short_date(proj.runs_out_at, tz, lang)
            ax.annotate(_("Runs out ~{date}").format(date=runs_out),
                        (_x(proj.runs_out_at), 0), textcoords="offset points",
                        xytext=(0, 12), ha="center", color=p.text, fontsize=8)  # fmt: skip
        if proj.ends_at_reset:
            ax.axvline(_x(proj.end_ts), color=p.muted, linewidth=0.8, linestyle="--")
            reset = _("Reset {date}").format(date=fmt.short_date(proj.end_ts, tz, lang))
            ax.annotate(reset, (_x(proj.end_ts), 0),
                        xycoords=("data", "axes fraction"), textcoords="offset points",
                        xytext=(-4, 4), ha="right", va="bottom", color=p.muted, fontsize=8,
                        bbox={"facecolor": p.panel, "edgecolor": "none", "pad": 1})  # fmt: skip
    # Above the plot, right of the title: never over the line.
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
              labelcolor=p.text, ncols=6, borderaxespad=0.2, handletextpad=0.4,
              columnspacing=1.0)  # fmt: skip


def _draw_spending(
    ax: Axes,
    series: UsageSeries,
    total_amount: Number,
    thresholds: tuple[Threshold, ...],
    tz: dt.tzinfo | None,
    *,
    lang: Language,
) -> None:
    from matplotlib.collections import PolyCollection

    noons = [_noon(day, tz) for day, _ in series.daily]
    spent = [value for _, value in series.daily]
    # A bar takes the colour of the balance that day ended at: where the spending left you.
    step_times = [ts for ts, _ in series.steps]
    colours = []
    for noon in noons:
        end = min(series.end, noon + 12 * 3600)
        index = bisect.bisect_right(step_times, end) - 1
        value = series.steps[max(0, index)][1] if series.steps else 0.0
        colours.append(level_colour(level_of(value, total_amount, thresholds)))
    # One collection of rectangles, not one patch per bar (365 patches take a second).
    half = 0.4 if len(noons) <= 120 else 0.5
    bars = PolyCollection(
        [
            [(_x(n) - half, 0.0), (_x(n) - half, v), (_x(n) + half, v), (_x(n) + half, 0.0)]
            for n, v in zip(noons, spent, strict=True)
        ],
        facecolors=colours,
        linewidths=0,
        label=lang.gettext("Spent"),
    )
    ax.add_collection(bars)
    ax.set_ylim(0, max(spent, default=0) * 1.08 or 1)


def _noon(day: dt.date, tz: dt.tzinfo | None) -> float:
    if tz is None:
        return dt.datetime.combine(day, dt.time(12)).astimezone().timestamp()
    return dt.datetime.combine(day, dt.time(12), tzinfo=tz).timestamp()
