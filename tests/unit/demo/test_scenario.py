"""The demo scenario: the story, its documented timeline, the runner, step validation."""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from tests.unit.demo.api_helpers import DAY_MS, TIMEOUT, FakeClock
from tray_app.core.balance import parse_balance
from tray_app.core.levels import DEFAULT_THRESHOLDS, Level, level_for
from tray_app.demo import scenario as scenario_module
from tray_app.demo.scenario import (
    DEMO_LENGTH_S,
    DEMO_STEPS,
    ScenarioRunner,
    Step,
    apply_step,
    validate_steps,
)
from tray_app.demo.server import SimulatedAccount


class FakeTime:
    """A monotonic clock and a sleep that only advances it: the story plays instantly."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _play(loop: bool = False) -> tuple[list[tuple[float, Step, dict[str, Any]]], FakeTime]:
    fake = FakeTime()
    account = SimulatedAccount(clock=FakeClock())
    applied: list[tuple[float, Step, dict[str, Any]]] = []
    runner = ScenarioRunner(
        account,
        loop=loop,
        clock=fake.clock,
        sleep=fake.sleep,
        on_step=lambda step, snap: applied.append((fake.now - 1_000.0, step, dict(snap))),
    )
    runner.run()
    return applied, fake


def test_the_story_crosses_20_then_5_percent_then_gift_then_reset() -> None:
    applied, fake = _play()
    assert [step for _, step, _ in applied] == list(DEMO_STEPS)
    assert [at for at, _, _ in applied] == [step.at_s for step in DEMO_STEPS]
    assert fake.now - 1_000.0 == DEMO_LENGTH_S <= 130  # about two minutes

    first = parse_balance(applied[0][2])
    assert first.fraction_remaining is not None
    assert 0.84 <= first.fraction_remaining <= 0.88
    assert first.reset_at_ms is not None
    assert 2 * DAY_MS <= first.reset_at_ms - 1_800_000_000_000 <= 5 * DAY_MS

    levels = [level_for(parse_balance(snap), DEFAULT_THRESHOLDS) for _, _, snap in applied]
    changes = [lvl for i, lvl in enumerate(levels) if i == 0 or lvl != levels[i - 1]]
    assert changes == [Level.OK, Level.LOW, Level.CRITICAL, Level.DEPLETED, Level.LOW, Level.OK]

    def index(predicate: Any) -> int:
        return next(i for i, (_, _, snap) in enumerate(applied) if predicate(i, snap))

    low = levels.index(Level.LOW)
    critical = levels.index(Level.CRITICAL)
    gift = index(lambda i, s: i and s["giftAmount"] > applied[i - 1][2]["giftAmount"])
    reset = index(
        lambda i, s: i and s["subscriptionBalance"] > applied[i - 1][2]["subscriptionBalance"]
    )
    assert low < critical < gift < reset == len(applied) - 1
    before, after = applied[reset - 1][2], applied[reset][2]
    assert after["resetAt"] == before["resetAt"] + 30 * DAY_MS
    assert after["subscriptionBalance"] == after["subscriptionAmount"]
    drops = [
        prev["totalBalance"] - snap["totalBalance"]
        for (_, _, prev), (_, _, snap) in itertools.pairwise(applied)
    ]
    assert drops.count(2_000) >= 3  # event unlocks


def test_the_documented_timeline_matches_what_the_story_does() -> None:
    applied, _ = _play()
    total_amount = {int(at): snap["totalAmount"] for at, _, snap in applied}
    rows = re.findall(
        r"^\s+(\d+)\s+(start|spend|drain|gift|reset)\b.*?\s([\d,]+)\s+(\d+)%",
        scenario_module.__doc__ or "",
        flags=re.MULTILINE,
    )
    assert len(rows) == len(DEMO_STEPS)
    for (at, action, balance, share), (_, step, snap) in zip(rows, applied, strict=True):
        assert (int(at), action) == (step.at_s, step.action)
        assert int(balance.replace(",", "")) == snap["totalBalance"]
        assert int(share) == round(100 * snap["totalBalance"] / total_amount[int(at)])


def test_the_runner_loops_from_the_start_until_stopped() -> None:
    fake = FakeTime()
    account = SimulatedAccount(clock=FakeClock())
    starts: list[dict[str, Any]] = []
    runner: ScenarioRunner

    def on_step(step: Step, snap: Mapping[str, Any]) -> None:
        if step.action == "start":
            starts.append(dict(snap))
            if len(starts) == 2:
                runner.stop()

    runner = ScenarioRunner(account, clock=fake.clock, sleep=fake.sleep, on_step=on_step)
    runner.run()
    assert runner.rounds_completed == 1
    assert fake.now - 1_000.0 == DEMO_LENGTH_S
    assert starts[0]["totalBalance"] == starts[1]["totalBalance"] == 30_050


def test_the_runner_thread_stops_promptly_and_speed_compresses_time() -> None:
    account = SimulatedAccount()
    first_spend = threading.Event()

    def on_step(step: Step, snap: Mapping[str, Any]) -> None:
        if step.action == "spend":
            first_spend.set()

    runner = ScenarioRunner(account, speed=50.0, on_step=on_step)  # 5 s -> 0.1 s
    started = time.monotonic()
    runner.start()
    assert first_spend.wait(TIMEOUT)
    assert 0.08 <= time.monotonic() - started < 2.0
    stopping = time.monotonic()
    runner.stop()
    assert time.monotonic() - stopping < 0.5
    assert runner.stopped


def test_a_step_the_account_refuses_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    account = SimulatedAccount(clock=FakeClock())
    steps = [Step(0, "spend", 10**9, "too much"), Step(1, "gift", 5)]
    fake = FakeTime()
    runner = ScenarioRunner(
        account, steps, length_s=2, loop=False, clock=fake.clock, sleep=fake.sleep
    )
    with caplog.at_level("WARNING", logger=scenario_module.__name__):
        runner.run()
    assert account.snapshot()["giftBalance"] == 55
    assert "skipped" in caplog.text


@pytest.mark.parametrize(
    "steps",
    [
        [Step(5, "spend", 1), Step(1, "spend", 1)],
        [Step(0, "explode")],
        [Step(0, "gift")],
        [Step(500, "reset")],
    ],
)
def test_invalid_steps_are_refused(steps: list[Step]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        validate_steps(steps, DEMO_LENGTH_S)


def test_apply_step_start_sets_reset_at_from_the_account_clock() -> None:
    clock = FakeClock(1_900_000_000.0)
    account = SimulatedAccount(clock=clock)
    account.advance(100)
    apply_step(account, Step(0, "start"))
    assert account.snapshot()["resetAt"] == (1_900_000_100 + 3 * 86_400) * 1000
