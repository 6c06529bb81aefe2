"""What the output seam tests share (tests/scenarios/test_seams_outputs_*.py): the saved
state the app writes after a poll, `status --cached`, and readers that read each output the
way its program reads it: Pango's own markup parser, prometheus_client's parser, and small
ports of xbar's and polybar's line parsers.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Home, run_cli
from tray_app.config.paths import AppPaths
from tray_app.core.balance import parse_balance
from tray_app.core.state import MonitorState, PollResult, Problem, advance
from tray_app.history.store import HistoryStore

BALANCE = {
    "totalAmount": 35050,
    "totalBalance": 5050,
    "subscriptionAmount": 35000,
    "subscriptionBalance": 5000,
    "giftAmount": 50,
    "giftBalance": 50,
    "resetAt": None,
}
#: Every ASCII punctuation character in one account name (40 characters at most), "-" first:
#: a leading "-" is xbar's submenu marker.
EVERY_SPECIAL = "-!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}~"


def paths_of(home: Home) -> AppPaths:
    return AppPaths(home.config_file, home.data_dir, home.root / "log")


def write_accounts(home: Home, names: Sequence[str], extra: str = "") -> None:
    home.write_config(extra + "".join(f"[[accounts]]\nname = {json.dumps(n)}\n" for n in names))
    home.config_file.chmod(0o600)


def save_state(
    home: Home,
    name: str,
    *,
    age: float = 20,
    balance: dict[str, Any] | None = None,
    problem: Problem | None = None,
    monitor: dict[str, Any] | None = None,
) -> Path:
    """The state the app saves after a poll, in `name`'s own history file."""
    now = time.time()
    state = advance(
        MonitorState(), PollResult(now - age, balance=parse_balance(balance or BALANCE))
    )
    if problem is not None:
        state = advance(state, PollResult(now - 1, problem=problem, message="x"))
    db = paths_of(home).history_db_for(name)
    db.parent.mkdir(parents=True, exist_ok=True)
    with HistoryStore.open(db) as store:
        store.save_state({"monitor": state.to_json() if monitor is None else monitor})
    return db


def cached(home: Home, *args: str) -> str:
    result = run_cli(home, "status", "--cached", *args)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    return result.out


# -- readers: each output read the way its program reads it --------------------------------------


def pango_text(markup: str) -> str:
    """The text waybar shows for `markup` (it fails, and the module goes blank, on bad markup)."""
    gi = pytest.importorskip("gi")
    gi.require_version("Pango", "1.0")
    from gi.repository import Pango

    _ok, _attrs, text, _accel = Pango.parse_markup(markup, -1, "\0")
    return str(text)


def polybar_parts(line: str) -> tuple[list[str], str]:
    """(the formatting tags, the text shown) as polybar's parser splits a line: "%{" opens a
    tag that runs to the next "}"."""
    tags: list[str] = []
    shown: list[str] = []
    i = 0
    while i < len(line):
        if line.startswith("%{", i):
            end = line.index("}", i)
            tags.append(line[i + 2 : end])
            i = end + 1
        else:
            shown.append(line[i])
            i += 1
    return tags, "".join(shown)


XBAR_PARAMS = {
    "disabled", "key", "href", "color", "font", "size", "shell", "bash", "templateImage",
    "image", "terminal", "refresh", "dropdown", "length", "trim", "alternate", "emojize", "ansi",
}  # fmt: skip


def xbar_menu(output: str) -> tuple[list[str], list[tuple[int, str]]]:
    """(the menu bar titles, the dropdown as (depth, text) with depth -1 for a separator), as
    xbar's parseOutput reads plugin output (matryer/xbar pkg/plugins/parse.go): the first "|"
    starts the parameters, a line that is "---" is a separator (the first ends the titles), a
    leading "--" per level makes a submenu row of the row before. Raises on what xbar rejects
    (an unknown parameter, a submenu row with no row before it) and on text xbar would change
    (backslash sequences unless ansi=false, :emoji: codes unless emojize=false)."""
    titles: list[str] = []
    dropdown: list[tuple[int, str]] = []
    depth = 0
    expanded = False
    previous = False
    for line in output.split("\n"):
        text, _, param_text = line.partition("|")
        params = dict(re.findall(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S+)", param_text))
        assert all(k in XBAR_PARAMS or re.fullmatch(r"param\d+", k) for k in params), params
        if line.strip() == "---":
            if expanded:
                dropdown.append((-1, "---"))
            expanded = True
            continue
        while not text.startswith("--" * depth):
            depth -= 1
        if text.startswith("--" * (depth + 1)):
            assert previous, f"a submenu row with no row before it: {line!r}"
            depth += 1
        text = text[2 * depth :].strip()
        if params.get("ansi") != "false":
            assert "\\" not in text, line
        if params.get("emojize") != "false":
            assert not re.search(r":\w+:", text), line
        if expanded:
            dropdown.append((depth, text))
        else:
            titles.append(text)
        previous = True
    return titles, dropdown


def metrics(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    return {
        family.name: [(s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


def shown(text: str) -> str:
    """What a person sees: the zero-width space that keeps a leading "-" text is invisible."""
    return text.replace("\u200b", "")
