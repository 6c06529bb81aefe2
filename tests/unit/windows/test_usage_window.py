"""The Usage window without a display: the tray never loads matplotlib, the summary beside the
chart is worded like the menu, and the chart draws the series (rendered with Agg, read back)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, Home, run_cli
from tests.support.usage_history import K0, KNOWN_NOW, known_history
from tray_app.core.levels import DEFAULT_THRESHOLDS, Level
from tray_app.history.retention import DAY
from tray_app.history.store import HistoryStore
from tray_app.history.usage_data import load_series
from tray_app.windows.usage_summary import default_export_name, forecast_text, summary_lines

UTC = dt.timezone.utc


def test_the_tray_process_never_imports_matplotlib() -> None:
    # Everything the tray process imports on its way to running, in a fresh interpreter.
    code = (
        "import sys\n"
        "import tray_app.app.tray_app, tray_app.cli.main, tray_app.runtime.monitor\n"
        "import tray_app.tray.pystray_tray, tray_app.history.store\n"
        "import tray_app.history.export, tray_app.history.usage_data, tray_app.core.usage_series\n"
        "from tray_app.core.view import Action\n"
        "assert Action.USAGE\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'numpy')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_a_display_the_window_says_what_to_use_instead(home: Home) -> None:
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": ""}
    done = run_cli(home, "usage", env=env)
    assert done.code == 2
    assert done.err.startswith("lensmor-tray: cannot open the Usage window: ")
    assert "`lensmor-tray history --chart`" in done.err
    assert len(done.err.strip().splitlines()) == 1
    assert not (home.data_dir / "history.sqlite3").exists()  # never creates a history


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    opened = HistoryStore.open(tmp_path / "history.sqlite3")
    opened.record_balances(known_history())
    return opened


def test_the_summary_of_a_known_month(store: HistoryStore) -> None:
    with store:
        series = load_series(store, KNOWN_NOW, 30, UTC)
    rows = summary_lines(series, UTC)
    assert rows == [
        ("Period", "15 Oct 2026 to 13 Nov 2026"),
        ("Spent", "470 credits"),
        ("Added", "700 (top-ups, gifts), 1 renewal"),
        ("Balance", "1,000 → 1,680"),
        ("Busiest day", "5 Nov: 300"),
        ("Forecast", forecast_text(series, UTC)),
        ("Largest drops", "-300  5 Nov 12:00"),
        ("", "-100  2 Nov 10:00"),
        ("", "-50  2 Nov 15:00"),
        ("", "-20  13 Nov 13:00"),
    ]
    assert forecast_text(series, UTC).endswith("lasts until the reset on 11 Dec")


def test_summaries_name_the_hour_they_cover(store: HistoryStore) -> None:
    with store:
        store.compact(KNOWN_NOW + 40 * DAY)
        series = load_series(store, KNOWN_NOW, 30, UTC)
    drops = [text for label, text in summary_lines(series, UTC) if "Largest" in label or
             text.startswith("-")]  # fmt: skip
    assert drops == ["-300  5 Nov 12:00-13:00", "-100  2 Nov 10:00-11:00",
                     "-50  2 Nov 15:00-16:00", "-20  13 Nov 13:00"]  # fmt: skip


def test_the_export_file_name_is_dated() -> None:
    assert default_export_name(K0, UTC) == "lensmor-usage-2026-11-01.csv"


def test_the_chart_draws_the_balance_in_the_level_colours(store: HistoryStore) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from tray_app.windows import usage_chart

    with store:
        series = load_series(store, KNOWN_NOW, 30, UTC)
    figure = Figure(figsize=(8, 5), dpi=80)
    top, bottom = usage_chart.draw(
        figure, series, total_amount=1_700, thresholds=DEFAULT_THRESHOLDS, tz=UTC
    )
    (balance_line,) = [line for line in top.get_lines() if line.get_label() == "Balance"]
    assert list(balance_line.get_ydata()) == [s[1] for s in series.steps]
    labels = {line.get_label() for line in top.get_lines()}
    assert {"Gift", "Renewal", "Top-up", "At this pace"} <= labels
    (bars,) = bottom.collections
    heights = [max(y for _, y in path.vertices) for path in bars.get_paths()]
    assert heights == [v for _, v in series.daily]
    # 750 of 1,700 is 44 %: above both default thresholds (20 %, 5 %), so every bar is "ok".
    ok = usage_chart.level_colour(Level.OK)
    assert {matplotlib.colors.to_hex(c) for c in bars.get_facecolors()} == {ok}
    # The tick labels are written by core.fmt: "1,000", "2 Nov".
    figure.canvas.draw()
    assert any("," in t.get_text() for t in top.get_yticklabels())
    assert all(
        t.get_text() == "" or t.get_text().split()[1] in ("Oct", "Nov", "Dec")
        for t in bottom.get_xticklabels()
    )
    # Below 20 % of the allowance the same balance is "low": the bars turn amber.
    usage_chart.draw(figure, series, total_amount=10_000, thresholds=DEFAULT_THRESHOLDS, tz=UTC)
    (bars,) = figure.axes[1].collections
    low = usage_chart.level_colour(Level.LOW)
    assert {matplotlib.colors.to_hex(c) for c in bars.get_facecolors()} == {low}


def test_the_chart_speaks_the_window_language(store: HistoryStore) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from tray_app.support.i18n import language_for
    from tray_app.windows import usage_chart

    french = language_for("fr_FR")
    with store:
        series = load_series(store, KNOWN_NOW, 30, UTC)
    figure = Figure(figsize=(8, 5), dpi=80)
    top, bottom = usage_chart.draw(
        figure, series, total_amount=10_000, thresholds=DEFAULT_THRESHOLDS, tz=UTC, lang=french
    )
    assert bottom.get_title(loc="left") == "Dépensé par jour"
    labels = {line.get_label() for line in top.get_lines()}
    assert {"Cadeau", "Renouvellement", "Recharge", "À ce rythme"} <= labels
    # The threshold lines: words from the catalog, the number in French ("2 000", a narrow
    # no-break space as the group separator).
    notes = [t.get_text() for t in top.texts]
    assert any(n.startswith("bas sous 2") and "000" in n for n in notes), notes
    figure.canvas.draw()
    months = {t.get_text().split()[-1] for t in bottom.get_xticklabels() if t.get_text()}
    assert months
    assert months <= {"oct.", "nov.", "déc."}, months
    assert any("\u202f" in t.get_text() for t in top.get_yticklabels())
