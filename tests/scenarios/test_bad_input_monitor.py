"""Bad input (issue 6), what the tray shows: the real `Monitor`, after a good poll, never
raises on a bad answer; the tray keeps exactly the last good numbers, marked stale, and no
notification carries a number that only the bad answer had.

- The named corpus (tests/corpus/responses/cases.py) served by the simulated API over loopback.
- 300 generated bodies (bad_answers.py's strategies) through the in-memory transport: a body
  is shown exactly when the API contract allows it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings

from tests.corpus.responses.cases import CASES, Case
from tests.scenarios.bad_answers import (
    FAST,
    FIELDS,
    UNKNOWN,
    Body,
    bodies,
    contract_problems,
    corpus_params,
    in_memory_client,
)
from tests.scenarios.bad_input_rig import REPRODUCIBLE
from tests.support.rig import RecordingNotifier, RecordingTray, Rig
from tray_app.api.client import (
    MAX_RATE_LIMIT_WAIT_S,
    BadResponse,
    NetworkError,
    RateLimited,
    ServerError,
)
from tray_app.config.model import AlertSettings, Settings
from tray_app.core import fmt
from tray_app.core.badge import BadgeKind
from tray_app.core.state import Problem
from tray_app.core.view import MenuRow, TrayView
from tray_app.history.store import HistoryStore
from tray_app.runtime.monitor import Monitor, PollReport

PROBLEM_OF = {
    BadResponse: Problem.BAD_RESPONSE,
    ServerError: Problem.SERVER,
    NetworkError: Problem.OFFLINE,
    RateLimited: Problem.RATE_LIMITED,
}


# --- the named corpus: the monitor and what the tray shows ---------------------------------

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")


def numbers(text: str) -> set[str]:
    """The numbers written in `text`, normalised ("30,050" and "30050.0" -> "30050").

    Clock times ("14:02") are left out: they come from the injected clock, not from a body.
    """
    found = set()
    for token in NUMBER.findall(CLOCK.sub(" ", text)):
        plain = token.replace(",", "")
        if plain.count(".") > 1:
            found.update(part.lstrip("0") or "0" for part in plain.split("."))
            continue
        whole, _, fraction = plain.partition(".")
        fraction = fraction.rstrip("0")
        found.add((whole.lstrip("0") or "0") + (f".{fraction}" if fraction else ""))
    return found


def view_texts(view: TrayView) -> list[str]:
    texts = [view.badge.text, view.title]
    stack = list(view.rows)
    while stack:
        row = stack.pop()
        texts.append(row.text)
        stack.extend(row.children)
    return texts


def assert_last_good_kept(
    good: PollReport, bad: PollReport, now: float, problems: set[Problem]
) -> None:
    """The tray shows exactly the last good numbers, marked stale, plus one status line whose
    only numbers are times from the clock."""
    state = bad.state
    assert state.problem in problems
    assert state.balance == good.state.balance
    rate_limited = state.problem is Problem.RATE_LIMITED
    assert bad.view.badge.kind is (BadgeKind.RATE_LIMITED if rate_limited else BadgeKind.STALE)
    assert bad.view.badge.text == good.view.badge.text
    assert bad.view.badge.fraction == good.view.badge.fraction
    # Notifications are listed under "Recent alerts", whose times are no balance numbers:
    # the rows are compared without it.
    bad_rows = tuple(row for row in bad.view.rows if row.text != "Recent alerts")
    good_rows = tuple(row for row in good.view.rows if row.text != "Recent alerts")
    i = next(n for n, row in enumerate(good_rows) if row.separator) - 1
    status = bad_rows[i].text
    times = [fmt.clock(now)]
    if state.retry_at is not None:
        assert now + 1 <= state.retry_at <= now + MAX_RATE_LIMIT_WAIT_S
        times.append(fmt.clock(state.retry_at))
    without_times = status
    for t in times:
        without_times = without_times.replace(t, "")
    assert not re.search(r"\d", without_times), status
    expected_rows = (*good_rows[:i], MenuRow(status), *good_rows[i + 1 :])
    assert bad_rows == expected_rows
    assert bad.view.title == f"{good.view.title} · {status}"


@pytest.fixture
def watched(rig: Rig) -> Rig:
    """The rig after one good poll, with outage alerts due at once (so every bad answer
    produces a notification whose text can be checked)."""
    rig.client_options = dict(FAST)
    rig.settings = Settings(alerts=AlertSettings(offline_minutes=0))
    rig.start()
    first = rig.poll()
    assert first.state.problem is None
    assert first.view.badge.kind is BadgeKind.LEVEL
    return rig


@pytest.mark.parametrize("case", corpus_params(CASES, "monitor"))
def test_the_monitor_keeps_the_last_good_numbers_marked_stale(watched: Rig, case: Case) -> None:
    rig = watched
    assert rig.monitor is not None
    assert rig.store is not None
    good = rig.poll()
    good_body = json.dumps(rig.account.snapshot())
    # Numbers only the bad answer had: nothing shown or notified may contain one of them.
    foreign = numbers(case.body.decode("utf-8", "replace")) - numbers(good_body)
    foreign -= set().union(*(numbers(t) for t in view_texts(good.view)))
    sent_before = len(rig.notifier.sent)

    rig.clock.now += 60
    rig.account.inject(case.fault)
    bad = rig.poll()  # never raises

    assert_last_good_kept(good, bad, rig.clock.now, {PROBLEM_OF[e] for e in case.raises})
    for text in view_texts(bad.view):
        assert not numbers(text) & foreign, text
    new = rig.notifier.sent[sent_before:]
    assert [n.key.split(":", 1)[0] for n in new] == ["offline"]
    for n in new:
        assert not numbers(f"{n.title} {n.body}") & foreign, n
    saved = rig.store.load_state()
    assert saved is not None
    assert saved["monitor"]["balance"] == rig.account.snapshot()

    # The fault is over: the next poll is fresh again, by itself.
    rig.clock.now += 60
    after = rig.poll()
    assert after.state.problem is None
    assert after.view.badge.kind is BadgeKind.LEVEL
    assert after.view.title == good.view.title


# --- generated bodies through the monitor -------------------------------------------------

GOOD = {
    "totalAmount": 30000,
    "totalBalance": 30000,
    "subscriptionAmount": 30000,
    "subscriptionBalance": 30000,
    "giftAmount": 0,
    "giftBalance": 0,
    "resetAt": 1_800_864_000_000,
}


def test_generated_bodies_through_the_monitor_show_only_numbers_sent(tmp_path: Path) -> None:
    client, transport = in_memory_client()
    tray, notifier = RecordingTray(), RecordingNotifier()
    clock = [1_800_000_000.0]
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        monitor = Monitor(
            source=client,
            store=store,
            notifier=notifier,
            tray=tray,
            settings=Settings(),
            jitter=lambda: 0.5,
        )

        def poll(raw: bytes) -> PollReport:
            transport.answer = (200, {"Content-Type": "application/json"}, raw)
            return monitor.poll_once(clock[0])

        @settings(REPRODUCIBLE, max_examples=300)
        @given(body=bodies)
        def check(body: Body) -> None:
            # The good and the bad answer arrive at the same instant, so that every text that
            # depends on the time ("resets in 9 days", usage today) is comparable word for word.
            clock[0] += 300
            good = poll(json.dumps(GOOD).encode())
            assert good.state.problem is None
            sent_before = len(notifier.sent)
            report = poll(body.raw)
            acceptable = isinstance(body.data, dict) and not contract_problems(body.data)
            if report.state.problem is None:
                assert body.data is UNKNOWN or acceptable
                assert report.state.balance is not None
                shown = report.state.balance.to_api_dict()
                assert shown == {name: body.data[name] for name in FIELDS}
                assert report.view.badge.text == fmt.compact(shown["totalBalance"])
                assert report.view.rows[0].text.startswith(
                    f"{fmt.credits(shown['totalBalance'])} of {fmt.credits(shown['totalAmount'])}"
                )
            else:
                assert not acceptable
                assert_last_good_kept(good, report, clock[0], {Problem.BAD_RESPONSE})
                # A single bad answer is not an outage yet: nothing to notify.
                assert notifier.sent[sent_before:] == []

        check()
