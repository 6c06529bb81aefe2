"""The Usage… window: where the credits went, and whether they last until the reset.

It runs as its own process (`lensmor-tray usage`, started by the tray's "Usage…" row like
Settings…), because tkinter must not share the tray's main loop and because matplotlib
(~40 MB, half a second to import) must never be loaded into the tray: only this module,
`plotting` and `usage_chart` import it. It reads the history the tray records (SQLite
in WAL mode, so reading while the tray writes is safe) and writes nothing but the CSV the user
asks for.

Shown: a period selector (7, 30, 90 days, a year), the balance and daily spending charts
(`usage_chart`), and a summary: totals, the forecast in words, the largest drops (worded by
`usage_summary`). The scaffolding it shares with the Settings window is `tk_base`'s.
Keyboard: Tab moves between the period buttons and the buttons (Space/Return presses), 1-4
pick a period, Ctrl+S exports, Escape closes.

Exit codes: 0 closed; 2 it could not open (no display or no tkinter: a one-line message says
what to do, e.g. use `lensmor-tray history --chart`). Without matplotlib the window still opens
with its summary, and says in place of the chart why it is missing. With
LENSMOR_TRAY_DIALOG_ECHO=1 it prints `kind: text` lines (shown, ready, period, exported, exit) on
stdout for the desktop tests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app.config.loading import load_settings
from tray_app.config.model import DEFAULT_ACCOUNT, ConfigError
from tray_app.config.paths import AppPaths
from tray_app.core import fmt
from tray_app.core.balance import Balance
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.core.levels import DEFAULT_THRESHOLDS, Threshold
from tray_app.core.usage_series import DEFAULT_PERIOD_DAYS, PERIODS_DAYS, UsageSeries
from tray_app.support.i18n import language_from_environ
from tray_app.windows.palette import LIGHT, Palette, apply_palette, desktop_palette
from tray_app.windows.tk_base import TkWindow, echo_requested, main_loop, open_root
from tray_app.windows.usage_summary import default_export_name, summary_lines

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk

    from matplotlib.backends.backend_tkagg import FigureCanvasTkAgg
    from matplotlib.figure import Figure

    from tray_app.history.store import HistoryStore

EXIT_CLOSED = 0
EXIT_CANNOT_OPEN = 2
# Words are marked with N_ and translated where they are shown, in the window's `lang`.
TITLE = N_("Lensmor tray — Usage")
PERIOD_LABELS = {7: N_("7 days"), 30: N_("30 days"), 90: N_("90 days"), 365: N_("1 year")}
CHART_PX = (730, 500)
NO_MATPLOTLIB = N_(
    "The charts need matplotlib, which this installation does not include "
    "(pip install matplotlib). The summary is on the right; "
    "`lensmor-tray history --chart` draws the balance and daily spending in a terminal."
)
NO_CHART_HINT = "use `lensmor-tray history --chart` in a terminal instead"


# -- the window ----------------------------------------------------------------------------


class UsageWindow(TkWindow):
    """Build it on a fresh `tk.Tk`, run `root.mainloop()`; `exit_code` says how it ended."""

    ECHO_REPEATS = True  # the tests wait for each "period" line, the same period again too

    def __init__(
        self,
        root: tk.Tk,
        store: HistoryStore | None,
        *,
        thresholds: tuple[Threshold, ...],
        echo: bool = False,
        now: float | None = None,
        lang: Language = ENGLISH,
        account: str = DEFAULT_ACCOUNT,
        palette: Palette = LIGHT,
    ) -> None:
        super().__init__(root, lang, echo=echo)
        self.palette = palette  # light or dark, as the desktop prefers (see `palette`)
        self.account = account  # named in every exported row
        self.store = store
        self.thresholds = thresholds
        self.now = time.time() if now is None else now
        self.exit_code = EXIT_CLOSED
        self._series: dict[int, UsageSeries] = {}
        self._build()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        import tkinter as tk
        from tkinter import ttk

        _ = self.lang.gettext
        root = self.root
        root.title(_(TITLE))
        self._style(root)
        self.say("colours", "dark" if self.palette.dark else "light")
        outer = ttk.Frame(root, padding=12, style="Usage.TFrame")
        outer.pack(fill="both", expand=True)
        outer.columnconfigure(0, weight=1)
        outer.rowconfigure(1, weight=1)

        bar = ttk.Frame(outer, style="Usage.TFrame")
        bar.grid(row=0, column=0, columnspan=2, sticky="ew", pady=(0, 8))
        ttk.Label(bar, text=_("Show the last:"), style="Usage.TLabel").pack(
            side="left", padx=(0, 8)
        )
        self.period = tk.IntVar(root, value=DEFAULT_PERIOD_DAYS)
        self.period_buttons: dict[int, ttk.Radiobutton] = {}
        for days in PERIODS_DAYS:
            button = ttk.Radiobutton(
                bar,
                text=_(PERIOD_LABELS[days]),
                value=days,
                variable=self.period,
                command=self._show_period,
                style="Usage.Toolbutton",
            )
            button.pack(side="left", padx=2)
            self.period_buttons[days] = button

        # The chart's place, with a note until matplotlib is loaded: the window shows the
        # summary at once and the chart about half a second later (see _make_chart).
        # As large as CHART_PX, smaller on a small screen (the summary takes ~340 px beside it).
        width = max(360, min(CHART_PX[0], root.winfo_screenwidth() - 380))
        height = max(260, min(CHART_PX[1], root.winfo_screenheight() - 150))
        self.chart_size = (width, height)
        self.chart_area = tk.Frame(
            outer, width=width, height=height, background=self.palette.background
        )
        self.chart_area.grid(row=1, column=0, sticky="nsew")
        self.chart_area.grid_propagate(False)
        self.chart_area.pack_propagate(False)
        self.placeholder = ttk.Label(
            self.chart_area, text=_("Drawing the chart…"), style="Muted.TLabel", anchor="center"
        )
        self.placeholder.pack(fill="both", expand=True)
        self.figure: Figure | None = None
        self.canvas: FigureCanvasTkAgg | None = None

        side = ttk.Frame(outer, padding=(14, 0, 0, 0), style="Usage.TFrame")
        side.grid(row=1, column=1, sticky="ns")
        self.summary = ttk.Frame(side, style="Usage.TFrame")
        self.summary.pack(fill="x", anchor="n")

        self._build_buttons(outer)
        self.bind_common_keys()
        root.bind("<Control-s>", lambda _e: self.export())
        for index, days in enumerate(PERIODS_DAYS, start=1):
            root.bind(f"<Key-{index}>", self._period_key(days))  # plain "4" means Button-4
        self.echo_focus(
            {
                **{f"period {d}": b for d, b in self.period_buttons.items()},
                "export": self.export_button,
                "close": self.close_button,
            }
        )
        self._show_period()
        root.minsize(min(760, root.winfo_screenwidth()), min(440, root.winfo_screenheight()))

    def _build_buttons(self, outer: ttk.Frame) -> None:
        from tkinter import ttk

        _ = self.lang.gettext
        buttons = ttk.Frame(outer, style="Usage.TFrame")
        buttons.grid(row=2, column=0, columnspan=2, sticky="e", pady=(10, 0))
        self.status = ttk.Label(buttons, text="", style="Muted.TLabel")
        self.status.pack(side="left", padx=(0, 12))
        self.export_button = ttk.Button(buttons, text=_("Export CSV…"), command=self.export)
        self.export_button.pack(side="left", padx=(0, 8))
        self.close_button = ttk.Button(buttons, text=_("Close"), command=self.close)
        self.close_button.pack(side="left")
        if self.store is None:
            self.export_button.state(["disabled"])

    def _style(self, root: tk.Tk) -> None:
        p = self.palette
        style = apply_palette(root, p)
        style.configure("Usage.TFrame", background=p.background)
        style.configure("Usage.TLabel", background=p.background, foreground=p.text)
        style.configure("Muted.TLabel", background=p.background, foreground=p.muted)
        style.configure("Value.TLabel", background=p.background, foreground=p.text)
        style.configure("Error.TLabel", background=p.background, foreground=p.error)
        style.configure("Usage.Toolbutton", focuscolor=p.accent)

    # -- showing -----------------------------------------------------------------------------

    def series(self, days: int) -> UsageSeries:
        if days not in self._series:
            from tray_app.core.usage_series import build
            from tray_app.history.usage_data import load_series

            if self.store is None:
                self._series[days] = build([], [], None, now=self.now, days=days, reset_at_s=None)
            else:
                self._series[days] = load_series(self.store, self.now, days)
        return self._series[days]

    def _show_period(self) -> None:
        days = int(self.period.get())
        series = self.series(days)
        self._fill_summary(series)
        if self.canvas is not None:
            self._draw_chart(series)
            self.root.update_idletasks()
            # Said once the new chart is painted (a period picked before the chart exists is
            # said by _make_chart).
            self.say("period", f"{days} ({len(series.steps)} steps, {len(series.events)} events)")

    def _draw_chart(self, series: UsageSeries) -> None:
        from tray_app.windows import usage_chart as chart

        if self.figure is None or self.canvas is None:
            return  # not made yet: _make_chart draws the current period
        balance = self._latest()
        total_amount = balance.total_amount if balance is not None else 0
        chart.draw(
            self.figure,
            series,
            total_amount=total_amount,
            thresholds=self.thresholds,
            lang=self.lang,
            palette=self.palette,
        )
        # Margins in pixels, so tick labels fit whatever size the chart has.
        width, height = self.chart_size
        self.figure.subplots_adjust(
            left=66 / width, right=1 - 12 / width, top=1 - 40 / height, bottom=34 / height
        )
        self.canvas.draw()  # type: ignore[no-untyped-call]

    def _make_chart(self) -> None:
        """Load matplotlib and draw the chart in place of the note (after the window shows).

        Without matplotlib (a build or a distribution package that left it out) the window
        keeps its summary and says so where the chart would be."""
        from tray_app.windows.plotting import import_plotting

        try:
            import_plotting()
        except ImportError:
            self.placeholder.configure(
                text=self.lang.gettext(NO_MATPLOTLIB), wraplength=self.chart_size[0] - 40
            )
            self.announce_ready(" (no chart)")
            return

        from matplotlib.backends.backend_tkagg import FigureCanvasTkAgg
        from matplotlib.figure import Figure

        width, height = self.chart_size
        background = self.palette.background
        self.figure = Figure(figsize=(width / 96, height / 96), dpi=96, facecolor=background)
        canvas = FigureCanvasTkAgg(self.figure, master=self.chart_area)  # type: ignore[no-untyped-call]
        widget = canvas.get_tk_widget()  # type: ignore[no-untyped-call]
        widget.configure(background=background, highlightthickness=0, takefocus=0)
        self.canvas = canvas
        # Place the canvas and let it take its size first: a resize after drawing would render
        # the whole chart a second time.
        self.placeholder.destroy()
        widget.pack(fill="both", expand=True)
        self.root.update_idletasks()
        days = int(self.period.get())
        series = self.series(days)
        self._draw_chart(series)
        self.root.update_idletasks()
        self.say("period", f"{days} ({len(series.steps)} steps, {len(series.events)} events)")
        self.announce_ready()

    def _latest(self) -> Balance | None:
        if self.store is None:
            return None
        latest = self.store.last_recorded()
        return None if latest is None else latest[1]

    def _fill_summary(self, series: UsageSeries) -> None:
        from tkinter import ttk

        for child in self.summary.winfo_children():
            child.destroy()
        for row, (label, text) in enumerate(summary_lines(series, lang=self.lang)):
            ttk.Label(self.summary, text=label, style="Muted.TLabel").grid(
                row=row, column=0, sticky="nw", padx=(0, 10), pady=1
            )
            ttk.Label(self.summary, text=text, style="Value.TLabel", wraplength=220).grid(
                row=row, column=1, sticky="nw", pady=1
            )

    def _period_key(self, days: int) -> Callable[[tk.Event[tk.Misc]], None]:
        def pick(_event: tk.Event[tk.Misc]) -> None:
            self.period.set(days)
            self._show_period()

        return pick

    # -- actions -----------------------------------------------------------------------------

    def export(self) -> None:
        from tkinter import filedialog

        if self.store is None:
            return
        target = filedialog.asksaveasfilename(
            parent=self.root,
            title=self.lang.gettext("Export the history as CSV"),
            defaultextension=".csv",
            filetypes=[
                (self.lang.gettext("CSV files"), "*.csv"),
                (self.lang.gettext("All files"), "*"),
            ],
            initialfile=default_export_name(self.now),
        )
        if not target:
            self.say("exported", "cancelled")
            return
        self.say("exported", self.write_csv(Path(target)))

    def write_csv(self, target: Path) -> str:
        """Write the CSV to `target`; return what the status line says."""
        from tray_app.history.export import write_csv

        assert self.store is not None  # noqa: S101 - export is disabled without a store
        try:
            with target.open("w", encoding="utf-8", newline="") as stream:
                rows = write_csv(stream, self.store.records(0), self.account)
        except OSError as exc:
            text = self.lang.gettext("Not exported: {reason} ({path})").format(
                reason=exc.strerror or exc, path=target
            )
            self.status.configure(text=text, style="Error.TLabel")
            return text
        text = self.lang.ngettext(
            "Exported {rows} row to {file}", "Exported {rows} rows to {file}", rows
        ).format(rows=fmt.credits(rows, self.lang), file=target.name)
        self.status.configure(text=text)
        return text

    # -- readiness ----------------------------------------------------------------------------

    def _shown(self) -> None:
        self.period_buttons[int(self.period.get())].focus_set()
        self.say("shown", "window mapped, chart painting")
        # Let Tk paint the window first; a short timer, since idle callbacks run before the
        # X server has drawn anything.
        self.root.after(20, self._make_chart)


# -- entry point -----------------------------------------------------------------------------


def run_window(paths: AppPaths, environ: Mapping[str, str], account: str = DEFAULT_ACCOUNT) -> int:
    """Show `account`'s history until the window is closed. 0 closed, 2 could not open (see
    the module)."""
    root = open_root("Usage", no_tkinter=NO_CHART_HINT, no_display="; " + NO_CHART_HINT)
    if root is None:
        return EXIT_CANNOT_OPEN
    from tray_app.windows.plotting import default_cache_dir, keep_font_cache

    try:
        thresholds = load_settings(paths.config_file).alerts_for(account).thresholds
    except ConfigError:
        thresholds = DEFAULT_THRESHOLDS  # the chart still helps; Settings… reports the file
    keep_font_cache(os.environ, default_cache_dir())
    store = _open_store(paths, account)
    try:
        window = UsageWindow(
            root,
            store,
            thresholds=thresholds,
            echo=echo_requested(environ),
            lang=language_from_environ(environ),
            account=account,
            palette=desktop_palette(),
        )
        main_loop(root)
    finally:
        if store is not None:
            store.close()
    return window.exit_code


def _open_store(paths: AppPaths, account: str) -> HistoryStore | None:
    from tray_app.history.store import HistoryStore

    # Never create a history here: without one the window says there is nothing yet.
    path = paths.history_db_for(account)
    if not path.exists():
        return None
    return HistoryStore.open(path)
