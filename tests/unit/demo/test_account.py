"""One simulated account's balance story: spending order, resets, set_balance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.unit.demo.api_helpers import DAY_MS, FakeClock
from tray_app.core.balance import Number
from tray_app.demo.server import InsufficientCredits, SimulatedAccount


def test_spending_uses_subscription_credits_before_gift(clock: FakeClock) -> None:
    account = SimulatedAccount(total_subscription=1_000, gift=200, clock=clock)
    account.spend(900)
    assert _parts(account.snapshot()) == (1_200, 300, 100, 200)
    account.spend(150)
    assert _parts(account.snapshot()) == (1_200, 150, 0, 150)
    with pytest.raises(InsufficientCredits):
        account.spend(151)
    assert _parts(account.snapshot()) == (1_200, 150, 0, 150)
    account.spend(150)
    assert _parts(account.snapshot()) == (1_200, 0, 0, 0)


def _parts(snapshot: Mapping[str, Number | None]) -> tuple[Any, ...]:
    return (
        snapshot["totalAmount"],
        snapshot["totalBalance"],
        snapshot["subscriptionBalance"],
        snapshot["giftBalance"],
    )


def test_reset_refills_subscription_and_moves_reset_at_one_period(clock: FakeClock) -> None:
    account = SimulatedAccount(total_subscription=1_000, gift=0, period_days=30, clock=clock)
    first = account.snapshot()["resetAt"]
    assert first == round(clock.now * 1000) + 30 * DAY_MS
    account.spend(700)
    account.gift(40)
    account.spend(320)  # the last 300 subscription credits, then 20 gift credits
    account.reset()
    after = account.snapshot()
    assert after["resetAt"] == first + 30 * DAY_MS
    assert (after["subscriptionBalance"], after["giftBalance"], after["totalBalance"]) == (
        1_000,
        20,
        1_020,
    )

    # A resetAt long past moves to the first period end still ahead; null starts from now.
    account.set_balance(resetAt=round(clock.now * 1000) - 65 * DAY_MS)
    account.reset()
    assert account.snapshot()["resetAt"] == round(clock.now * 1000) + 25 * DAY_MS
    account.set_balance(resetAt=None)
    account.reset()
    assert account.snapshot()["resetAt"] == round(clock.now * 1000) + 30 * DAY_MS


def test_set_balance_recomputes_totals_unless_given(clock: FakeClock) -> None:
    account = SimulatedAccount(clock=clock)
    account.set_balance(giftAmount=1_000, giftBalance=400)
    assert _parts(account.snapshot()) == (36_000, 35_400, 35_000, 400)
    account.set_balance(totalBalance=99)  # stored as given, for inconsistent-body tests
    assert account.snapshot()["totalBalance"] == 99
    with pytest.raises(ValueError, match="unknown field"):
        account.set_balance(balance=1)
    with pytest.raises(ValueError, match="finite number"):
        account.set_balance(giftBalance=float("nan"))
