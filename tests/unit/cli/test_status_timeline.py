"""`status_feed.cached_timeline`: what `status --cached` prints from now on, as long as the
saved states stay as they are (kept by cli/status_memo.py).

The memo prints, at a later moment, an output computed earlier; that is only right if nothing
the output shows can change between the moments the timeline names. So for random saved
states (balances, problems, reset times, outdated or not, several accounts, every format),
every output of the timeline is checked against `cached_output` itself at the start, the
middle and the very end of the span it claims. A part of an output that changes by time and
is not in `view_clock.changes_at` (or the text format's age line) fails here.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from tray_app.cli.args import STATUS_FORMATS
from tray_app.cli.status_feed import TIMELINE_EDGE_S, cached_output, cached_timeline
from tray_app.config.loading import read_settings
from tray_app.config.model import Settings
from tray_app.config.paths import AppPaths
from tray_app.core.balance import parse_balance
from tray_app.core.language import ENGLISH
from tray_app.core.state import MonitorState, PollResult, Problem, advance
from tray_app.history.store import HistoryStore

NOW = 1_796_650_000.0  # 2026-12-07 late morning UTC: a fixed moment, the test is exact
DAY = 86400.0
MAX_ENTRIES = 12
BALANCE = parse_balance(
    {
        "totalAmount": 100,
        "totalBalance": 40,
        "subscriptionAmount": 100,
        "subscriptionBalance": 40,
        "giftAmount": 0,
        "giftBalance": 0,
        "resetAt": None,
    }
)
PROBLEMS = [None, None, Problem.OFFLINE, Problem.KEY_REJECTED, Problem.RATE_LIMITED]


def random_state(rng: random.Random) -> MonitorState:
    total = rng.choice([35_050, 1000, 0])
    left = rng.randint(0, total) if total else 0
    reset = rng.choice(
        [None, NOW - 3600, NOW + 90, NOW + rng.uniform(60, 7200), NOW + rng.uniform(DAY, 30 * DAY)]
    )
    api = {
        "totalAmount": total,
        "totalBalance": left,
        "subscriptionAmount": total,
        "subscriptionBalance": left,
        "giftAmount": 0,
        "giftBalance": 0,
        "resetAt": None if reset is None else int(reset * 1000),
    }
    fetched = NOW - rng.choice([5.0, 50.0, 200.0, 650.0, 3 * 3600.0, 2.5 * DAY])
    state = advance(MonitorState(), PollResult(fetched, balance=parse_balance(api)))
    problem = rng.choice(PROBLEMS)
    if problem is not None:
        state = advance(state, PollResult(fetched + 30, problem=problem, message="x"))
    return state


def save(db: Path, state: MonitorState) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    with HistoryStore.open(db) as store:
        store.save_state({"monitor": state.to_json(), "alerts": {}})


def settings_for(tmp_path: Path, text: str) -> tuple[AppPaths, Settings]:
    config = tmp_path / "config.toml"
    config.write_text(text)
    config.chmod(0o600)
    paths = AppPaths(config_file=config, data_dir=tmp_path / "data", log_dir=tmp_path / "log")
    settings, warnings = read_settings(config)
    assert warnings == []
    return paths, settings


def moments(start: float, until: float | None) -> list[float]:
    if until == start:
        return [start]  # the first output, `now`'s, with a change due within ms
    if until is None:
        return [start, start + 3600, start + 40 * DAY]
    return [start, (start + until) / 2, until - 1e-6]


@pytest.mark.parametrize("seed", range(12))
def test_every_output_of_the_timeline_is_what_status_cached_prints_then(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    interval = rng.choice([60, 300, 3600, 86400])
    several = seed % 3 == 0
    config = f"poll_interval = {interval}\n"
    if several:
        config += '[[accounts]]\nname = "Work"\n[[accounts]]\nname = "Spare"\n'
        config += '[accounts.alerts]\nthresholds = ["90%", "5000"]\n'
    paths, settings = settings_for(tmp_path, config)
    for account in settings.accounts:
        if not several or rng.random() < 0.8:  # now and then an account never polled
            save(paths.history_db_for(account.name), random_state(rng))
    formats = [f for f in STATUS_FORMATS if f != "xbar" or seed < 3]  # xbar draws a PNG
    checked = 0
    for name in formats:
        timeline = cached_timeline(
            name,
            paths,
            settings,
            settings.accounts,
            config=None,
            now=NOW,
            lang=ENGLISH,
            max_entries=MAX_ENTRIES,
        )
        assert timeline is not None
        assert 1 <= len(timeline) <= MAX_ENTRIES
        assert timeline[0][0] == NOW
        for (start, until, output), following in zip(timeline, [*timeline[1:], None], strict=True):
            assert until is None or until > start or (until == start == NOW)
            if following is not None:  # in order, with at most a few ms between two
                assert until is not None
                assert until <= following[0] <= until + 2 * TIMELINE_EDGE_S
            for at in moments(start, until):
                printed = cached_output(
                    name, paths, settings, settings.accounts, config=None, now=at, lang=ENGLISH
                )
                assert printed == output, (name, start, until, at)
                checked += 1
        # Consecutive outputs differ: an unchanged one is one span, not two.
        outputs = [output for _start, _until, output in timeline]
        assert all(a != b for a, b in itertools.pairwise(outputs))
    assert checked >= len(formats) * 3


def test_the_text_format_follows_the_age_minute_by_minute(tmp_path: Path) -> None:
    paths, settings = settings_for(tmp_path, "poll_interval = 3600\n")
    save(paths.history_db, advance(MonitorState(), PollResult(NOW - 90, balance=BALANCE)))
    timeline = cached_timeline(
        "text", paths, settings, settings.accounts, config=None, now=NOW, lang=ENGLISH,
        max_entries=4,
    )  # fmt: skip
    assert timeline is not None
    ages = [output.rsplit("(", 1)[1] for _start, _until, output in timeline]
    assert ages == ["1 min ago)", "2 min ago)", "3 min ago)", "4 min ago)"]
    # The waybar line shows no age: one output until the balance is outdated (two hours).
    waybar = cached_timeline(
        "waybar", paths, settings, settings.accounts, config=None, now=NOW, lang=ENGLISH,
        max_entries=4,
    )  # fmt: skip
    assert waybar is not None
    assert waybar[0][1] == pytest.approx(NOW - 90 + 2 * 3600, abs=0.02)
    assert '"class": "stale"' in waybar[1][2]


def test_a_problem_without_a_start_does_not_loop_over_every_minute(tmp_path: Path) -> None:
    """A saved problem without its start is shown "since" the minute it is presented (the
    view's "… since 14:02"), which the json format does not show: the timeline looks at a
    bounded number of moments and stops with what it checked, not walking minutes forever."""
    paths, settings = settings_for(tmp_path, "poll_interval = 300\n")
    state = advance(MonitorState(), PollResult(NOW - 600, balance=BALANCE))
    state = advance(state, PollResult(NOW - 60, problem=Problem.OFFLINE, message="x"))
    saved = state.to_json()
    saved.pop("problemSince")
    paths.history_db.parent.mkdir(parents=True)
    with HistoryStore.open(paths.history_db) as store:
        store.save_state({"monitor": saved, "alerts": {}})
    timeline = cached_timeline(
        "json", paths, settings, settings.accounts, config=None, now=NOW, lang=ENGLISH,
        max_entries=2,
    )  # fmt: skip
    assert timeline is not None
    [(start, until, output)] = timeline
    # 2 x MOMENTS_PER_OUTPUT moments looked at (the minutes of "since" and of the age), the
    # output the same at each.
    assert start == NOW
    assert until is not None
    assert NOW + 5 * 60 < until < NOW + 20 * 60
    assert (
        cached_output(
            "json", paths, settings, settings.accounts, config=None, now=until - 1, lang=ENGLISH
        )
        == output
    )
