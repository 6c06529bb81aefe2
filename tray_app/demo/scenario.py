"""The demo story: a whole credits cycle in two minutes, played on a simulated account.

A new user without a key runs the demo and, within about two minutes, sees the balance start
healthy, fall steadily (with a few 2,000-credit event unlocks), cross 20% and then 5%, run
out, get a gift top-up, and come back after a subscription reset.

The story is data: `DEMO_STEPS`, a tuple of `Step(at_s, action, credits, note)`, applied by
`apply_step`. `ScenarioRunner` plays the steps on a thread at their times (its clock and sleep
are injectable, so tests play the whole story instantly) and loops or stops at the end.
Steps are 5 s apart: a monitor polling every 5 s or faster sees each one separately.

Timeline (totalAmount 35,050 until the gift, 40,050 after; balance after each step)::

    at_s  action  credits  note                           totalBalance  share
       0  start        -   30,000 subscription + 50 gift        30,050    86%
       5  spend    1,500   30 exhibitor searches                28,550    81%
      10  spend    2,000   event unlock                         26,550    76%
      15  spend    1,500   100 contact emails                   25,050    71%
      20  spend    1,500   30 exhibitor searches                23,550    67%
      25  spend    1,500   100 contact emails                   22,050    63%
      30  spend    2,000   event unlock                         20,050    57%
      35  spend    1,500   30 exhibitor searches                18,550    53%
      40  spend    1,500   100 contact emails                   17,050    49%
      45  spend    1,500   30 exhibitor searches                15,550    44%
      50  spend    1,500   100 contact emails                   14,050    40%
      55  spend    2,000   event unlock                         12,050    34%
      60  spend    1,500   30 exhibitor searches                10,550    30%
      65  spend    1,500   100 contact emails                    9,050    26%
      70  spend    1,500   30 exhibitor searches                 7,550    22%
      75  spend    1,500   100 contact emails                    6,050    17%  < 20%: low
      80  spend    2,000   event unlock                          4,050    12%
      85  spend    1,500   30 exhibitor searches                 2,550     7%
      90  spend    1,000   20 reverse event searches             1,550     4%  < 5%: critical
      95  drain        -   the last 1,500 subscription, then 50 gift 0     0%  depleted
     100  gift     5,000   top-up (giftAmount 5,050)             5,000    12%  low
     105  spend      600   12 exhibitor searches, from gift      4,400    11%
     110  reset        -   subscription refilled to 35,000      39,400    98%  ok
     120  (end: with loop=True the story starts again at 0)

`start` sets the account to `DEMO_START`, with resetAt 3 days ahead of the account's clock;
`reset` moves resetAt one period (30 days) further. When the story loops, `start` puts the
balance, gift and resetAt back, which a real account never does: it is a demo.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from tray_app.core.balance import Number

log = logging.getLogger(__name__)

ACTIONS = ("start", "spend", "drain", "gift", "reset")


@dataclass(frozen=True)
class Step:
    """At `at_s` seconds into the story, do `action` (with `credits` for spend and gift)."""

    at_s: float
    action: str
    credits: int | None = None
    note: str = ""


@dataclass(frozen=True)
class StartState:
    """The account at the start of the story."""

    subscription_amount: int = 35_000
    subscription_balance: int = 30_000
    gift_amount: int = 50
    gift_balance: int = 50
    reset_in_s: float = 3 * 86_400


class Account(Protocol):
    """What the story needs from an account (SimulatedAccount provides it)."""

    def now(self) -> float: ...
    def snapshot(self) -> dict[str, Number | None]: ...
    def set_balance(self, **api_fields: Number | None) -> None: ...
    def spend(self, credits: int) -> None: ...
    def gift(self, credits: int) -> None: ...
    def reset(self) -> None: ...


_SEARCHES = "30 exhibitor searches"
_EMAILS = "100 contact emails"
_UNLOCK = "event unlock"

DEMO_START = StartState()
DEMO_STEPS: tuple[Step, ...] = (
    Step(0, "start", None, "30,000 subscription + 50 gift credits, reset in 3 days"),
    Step(5, "spend", 1_500, _SEARCHES),
    Step(10, "spend", 2_000, _UNLOCK),
    Step(15, "spend", 1_500, _EMAILS),
    Step(20, "spend", 1_500, _SEARCHES),
    Step(25, "spend", 1_500, _EMAILS),
    Step(30, "spend", 2_000, _UNLOCK),
    Step(35, "spend", 1_500, _SEARCHES),
    Step(40, "spend", 1_500, _EMAILS),
    Step(45, "spend", 1_500, _SEARCHES),
    Step(50, "spend", 1_500, _EMAILS),
    Step(55, "spend", 2_000, _UNLOCK),
    Step(60, "spend", 1_500, _SEARCHES),
    Step(65, "spend", 1_500, _EMAILS),
    Step(70, "spend", 1_500, _SEARCHES),
    Step(75, "spend", 1_500, _EMAILS),
    Step(80, "spend", 2_000, _UNLOCK),
    Step(85, "spend", 1_500, _SEARCHES),
    Step(90, "spend", 1_000, "20 reverse event searches"),
    Step(95, "drain", None, "the last credits: subscription first, then gift"),
    Step(100, "gift", 5_000, "gift top-up"),
    Step(105, "spend", 600, "12 exhibitor searches, paid from gift credits"),
    Step(110, "reset", None, "new subscription period"),
)
#: The story's length: the final state shows for 10 s before a loop starts again.
DEMO_LENGTH_S = 120.0

#: A calm second account for the two-account demo: small spends, a gift half way, never low.
#: (10,000 subscription; 8,000 -> 7,300, gift 1,000 -> 8,300 of 11,000, ends at 7,600 = 69%.)
CALM_START = StartState(
    subscription_amount=10_000,
    subscription_balance=8_000,
    gift_amount=0,
    gift_balance=0,
    reset_in_s=12 * 86_400,
)
CALM_STEPS: tuple[Step, ...] = (
    Step(0, "start", None, "8,000 of 10,000 subscription credits, reset in 12 days"),
    Step(15, "spend", 200, "4 exhibitor searches"),
    Step(30, "spend", 300, "30 contact emails"),
    Step(45, "spend", 200, "4 exhibitor searches"),
    Step(60, "gift", 1_000, "a gift of 1,000 credits"),
    Step(75, "spend", 200, "4 exhibitor searches"),
    Step(90, "spend", 300, "30 contact emails"),
    Step(105, "spend", 200, "4 exhibitor searches"),
)


def validate_steps(steps: Sequence[Step], length_s: float) -> None:
    """Raise ValueError unless the steps are in time order, known, and fit in `length_s`."""
    previous = 0.0
    for step in steps:
        if step.action not in ACTIONS:
            raise ValueError(f"unknown action {step.action!r}; actions are {', '.join(ACTIONS)}")
        if step.action in ("spend", "gift") and (step.credits is None or step.credits < 0):
            raise ValueError(f"{step.action} at {step.at_s}s needs credits >= 0")
        if step.at_s < previous:
            raise ValueError(f"step at {step.at_s}s comes after one at {previous}s")
        previous = step.at_s
    if previous > length_s:
        raise ValueError(f"the last step ({previous}s) is after the end ({length_s}s)")


def apply_step(account: Account, step: Step, start: StartState = DEMO_START) -> None:
    """Do one step to `account`. A spend larger than the balance raises (ValueError)."""
    if step.action == "start":
        reset_at_ms = round((account.now() + start.reset_in_s) * 1000)
        account.set_balance(
            subscriptionAmount=start.subscription_amount,
            subscriptionBalance=start.subscription_balance,
            giftAmount=start.gift_amount,
            giftBalance=start.gift_balance,
            resetAt=reset_at_ms,
        )
    elif step.action == "spend":
        account.spend(step.credits or 0)
    elif step.action == "drain":
        left = account.snapshot()["totalBalance"] or 0
        account.spend(int(left))
    elif step.action == "gift":
        account.gift(step.credits or 0)
    elif step.action == "reset":
        account.reset()
    else:
        raise ValueError(f"unknown action {step.action!r}")


class ScenarioRunner:
    """Plays steps on an account at their times, on a daemon thread (`start`) or inline (`run`).

    `clock` and `sleep` are injectable: with a fake pair the whole story runs instantly. The
    default sleep waits on the stop event, so `stop()` interrupts it at once; with an injected
    sleep, stop is noticed after the current sleep. `speed` > 1 plays the story faster.
    `on_step(step, snapshot)` is called after each step is applied. A step the account refuses
    (someone spent the credits through the control API) is logged and skipped.
    """

    def __init__(
        self,
        account: Account,
        steps: Sequence[Step] = DEMO_STEPS,
        *,
        start: StartState = DEMO_START,
        length_s: float = DEMO_LENGTH_S,
        loop: bool = True,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        on_step: Callable[[Step, Mapping[str, Number | None]], None] | None = None,
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be > 0")
        validate_steps(steps, length_s)
        self._account = account
        self._steps = tuple(steps)
        self._start_state = start
        self._length_s = length_s
        self._loop = loop
        self._speed = speed
        self._clock = clock
        self._stop = threading.Event()
        self._sleep = sleep if sleep is not None else self._interruptible_sleep
        self._on_step = on_step
        self._thread: threading.Thread | None = None
        self.rounds_completed = 0

    def _interruptible_sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def start(self) -> None:
        """Play on a daemon thread (once)."""
        if self._thread is not None:
            raise RuntimeError("already started")
        self._thread = threading.Thread(target=self.run, name="demo-scenario", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop playing; wait up to `timeout` for the thread to end."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """Play until the end (loop=False) or until stop()."""
        while not self._stop.is_set():
            if not self._play_once():
                return
            self.rounds_completed += 1
            if not self._loop:
                return

    def _play_once(self) -> bool:
        """One pass through the story; False if stopped part way."""
        t0 = self._clock()
        for step in self._steps:
            if not self._wait_until(t0 + step.at_s / self._speed):
                return False
            self._apply(step)
        return self._wait_until(t0 + self._length_s / self._speed)

    def _wait_until(self, when: float) -> bool:
        if self._stop.is_set():
            return False
        delay = when - self._clock()
        if delay > 0:
            self._sleep(delay)
        return not self._stop.is_set()

    def _apply(self, step: Step) -> None:
        try:
            apply_step(self._account, step, self._start_state)
        except ValueError as exc:
            log.warning("demo step at %ss (%s) skipped: %s", step.at_s, step.action, exc)
            return
        log.info("demo: %s %s (%s)", step.action, step.credits or "", step.note)
        if self._on_step is not None:
            self._on_step(step, self._account.snapshot())
