"""The status-bar feeds in the user's language (issue 15): what people read (the waybar
tooltip and a problem's bar text, the xbar menu rows and its Refresh row, the cached text's
age line) follows LANG; what programs read (waybar's class and percentage, the numbers on the
bar, JSON and Prometheus) is the same in every language."""

from __future__ import annotations

import json

from tests.project.test_catalogs import NNBSP
from tests.unit.core.test_feed import INTERVAL, NOW, balance
from tray_app.core import feed, fmt
from tray_app.core.balance import parse_balance
from tray_app.core.language import ENGLISH, Language
from tray_app.core.levels import DEFAULT_THRESHOLDS
from tray_app.core.state import MonitorState, PollResult, Problem, advance
from tray_app.support.i18n import language_from_environ

GERMAN = language_from_environ({"LANG": "de_DE.UTF-8"})
FRENCH = language_from_environ({"LANG": "fr_FR.UTF-8"})


def snapshot(lang: Language, problem: Problem | None = None) -> feed.BarAccount:
    state = advance(MonitorState(), PollResult(NOW - 10, balance=parse_balance(balance(30_050))))
    if problem is not None:
        state = advance(state, PollResult(NOW - 1, problem=problem, message="x"))
    return feed.snapshot_of(state, DEFAULT_THRESHOLDS, INTERVAL, NOW, lang=lang)


def test_waybar_tooltip_is_german_and_the_machine_fields_are_not() -> None:
    english = json.loads(feed.waybar([snapshot(ENGLISH)]))
    german = json.loads(feed.waybar([snapshot(GERMAN)]))
    assert german["tooltip"].startswith("Lensmor: 30.050 von 35.050 Credits (86\u00a0%)")
    assert english["tooltip"].startswith("Lensmor: 30,050 of 35,050 credits (86%)")
    for machine in ("class", "alt", "percentage", "text"):
        assert german[machine] == english[machine]  # "30k (86%)": the badge's compact form
    rejected = json.loads(feed.waybar([snapshot(GERMAN, Problem.KEY_REJECTED)]))
    assert rejected["text"] == "Schlüssel abgelehnt"
    assert rejected["class"] == "error"


def test_xbar_rows_and_refresh_are_french() -> None:
    out = feed.xbar([snapshot(FRENCH)], "PNG", ["lensmor-tray", "refresh"])
    lines = out.splitlines()
    assert lines[-1].startswith("Actualiser | shell=lensmor-tray param1=refresh")
    assert any(f"30{NNBSP}050" in line for line in lines[2:-2]), lines
    assert "credits" not in out.replace("crédits", "")


def test_the_age_line_is_german_and_says_out_of_date() -> None:
    stale = snapshot(GERMAN, Problem.OFFLINE)
    clock = fmt.clock(NOW - 10, lang=GERMAN)
    assert feed.age_line(stale, NOW) == (
        f"Aktualisiert um {clock} (10 Sek. her) · Lensmor nicht erreichbar · veraltet"
    )
