"""The two simulated accounts of the multi-account demo, each with its own key and story.

"Work" plays the original demo story (spending fast: low, critical, empty, a gift, a reset)
with `DEMO_KEY`; "Personal" plays `CALM_STEPS` (small spends and a gift, never low) with
`PERSONAL_DEMO_KEY`. `lensmor-tray demo` and `python -m tray_app.demo.server --demo-accounts`
serve both from one simulated server; the keys tell the accounts apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tray_app.demo.account import DEMO_KEY, SimulatedAccount
from tray_app.demo.scenario import (
    CALM_START,
    CALM_STEPS,
    DEMO_LENGTH_S,
    DEMO_START,
    DEMO_STEPS,
    ScenarioRunner,
    StartState,
    Step,
)

#: The Personal demo account's key. Not a secret: it only opens this simulator.
PERSONAL_DEMO_KEY = "uak_demo_personal_fedcba98765"


@dataclass(frozen=True)
class DemoAccount:
    """One simulated demo account: its name, the key that opens it and the story it plays."""

    name: str
    key: str
    steps: tuple[Step, ...]
    start: StartState
    length_s: float = DEMO_LENGTH_S


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("Work", DEMO_KEY, DEMO_STEPS, DEMO_START),
    DemoAccount("Personal", PERSONAL_DEMO_KEY, CALM_STEPS, CALM_START),
)


def simulated_demo_accounts(
    demo_accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS,
    *,
    clock: Callable[[], float] = time.time,
) -> dict[str, SimulatedAccount]:
    """A fresh SimulatedAccount per demo account, opened by its key only, in story order."""
    return {
        demo.name: SimulatedAccount(
            total_subscription=demo.start.subscription_amount,
            gift=demo.start.gift_amount,
            valid_keys=(demo.key,),
            clock=clock,
        )
        for demo in demo_accounts
    }


def demo_runners(
    accounts: Mapping[str, SimulatedAccount],
    demo_accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS,
    *,
    loop: bool = True,
) -> list[ScenarioRunner]:
    """One runner per demo account, playing its story on the account of the same name."""
    return [
        ScenarioRunner(
            accounts[demo.name], demo.steps, start=demo.start, length_s=demo.length_s, loop=loop
        )
        for demo in demo_accounts
    ]
