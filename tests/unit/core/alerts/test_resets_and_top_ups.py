"""Table tests for the renewal and top-up rules
(see the docstring of tray_app/core/alerts/__init__.py).
"""

from __future__ import annotations

import pytest

from tests.unit.core.alerts.driver import PERIOD_MS, RESET_MS, SUB, Driver, K, acct
from tray_app.config.model import AlertSettings
from tray_app.core.alerts import RESET_MIN_ADVANCE_MS
from tray_app.core.balance import Balance
from tray_app.core.forecast import DAY_S


def test_reset_is_reported_once_and_rearms_thresholds() -> None:
    d = Driver(settings=AlertSettings(large_spend=2_000))
    d.poll(acct(sub=30_000))
    assert [a.kind for a in d.poll(acct(sub=6_000))] == [K.LOW, K.LARGE_SPEND]
    new_period = RESET_MS + PERIOD_MS
    [renewal] = d.poll(acct(sub=SUB, reset_ms=new_period))
    assert renewal.kind is K.RESET
    assert renewal.title == "Lensmor credits renewed"
    assert renewal.body == "Subscription credits renewed: 35,000 available; next reset on 31 Dec."
    assert renewal.key == f"reset:period={new_period}"
    assert d.poll(acct(sub=SUB, reset_ms=new_period)) == []
    assert [a.kind for a in d.poll(acct(sub=6_500, reset_ms=new_period))] == [K.LOW, K.LARGE_SPEND]


def test_no_top_up_or_large_spend_is_reported_at_a_reset() -> None:
    d = Driver()
    d.poll(acct(sub=20_000))
    # A bigger plan: totalAmount rises at the renewal; that is the renewal, not a top-up.
    alerts = d.poll(acct(sub=50_000, sub_amount=50_000, reset_ms=RESET_MS + PERIOD_MS))
    assert [a.kind for a in alerts] == [K.RESET]


def test_first_poll_reports_no_reset() -> None:
    assert Driver().poll(acct(sub=SUB)) == []


def test_reset_while_not_running_is_found_after_restart_once() -> None:
    d = Driver()
    d.poll(acct(sub=9_000))
    d.restart()
    # Two periods went by while the app was not running.
    later = RESET_MS + 2 * PERIOD_MS
    assert [a.kind for a in d.poll(acct(sub=SUB, reset_ms=later), after=40 * DAY_S)] == [K.RESET]
    d.restart()
    assert d.poll(acct(sub=SUB, reset_ms=later)) == []


@pytest.mark.parametrize(
    "reset_values",
    [
        pytest.param([RESET_MS + i * 1000 for i in range(1, 6)], id="jitter-of-seconds"),
        pytest.param([RESET_MS + RESET_MIN_ADVANCE_MS - 1] * 3, id="just-under-an-hour"),
        pytest.param([RESET_MS - 5 * 86_400_000] * 3, id="moved-back-plan-change"),
    ],
)
def test_reset_at_moves_that_are_not_renewals(reset_values: list[int]) -> None:
    d = Driver()
    d.poll(acct(sub=30_000))
    for value in reset_values:
        assert d.poll(acct(sub=30_000, reset_ms=value)) == []


def test_after_moving_back_the_next_forward_move_is_one_reset() -> None:
    d = Driver()
    d.poll(acct(sub=30_000))
    earlier = RESET_MS - 5 * 86_400_000
    assert d.poll(acct(sub=30_000, reset_ms=earlier)) == []
    assert [a.kind for a in d.poll(acct(sub=SUB, reset_ms=earlier + PERIOD_MS))] == [K.RESET]


def test_refill_without_a_date_is_a_reset_and_the_date_arriving_later_is_not() -> None:
    d = Driver()
    d.poll(acct(sub=1_000))
    renewal = d.poll(acct(sub=SUB, reset_ms=None))
    assert [a.kind for a in renewal] == [K.RESET]
    assert renewal[0].body == "Subscription credits renewed: 35,000 available."
    assert d.poll(acct(sub=SUB, reset_ms=RESET_MS + PERIOD_MS)) == []


def test_gift_only_account_subscribing_is_a_renewal() -> None:
    d = Driver()
    d.poll(acct(sub=0, gift=300, sub_amount=0, reset_ms=None))
    alerts = d.poll(acct(sub=SUB, gift=300, reset_ms=RESET_MS))
    assert [a.kind for a in alerts] == [K.RESET]


def test_a_refund_to_full_in_the_same_period_is_not_a_reset() -> None:
    d = Driver()
    d.poll(acct(sub=SUB))
    d.poll(acct(sub=SUB - 50))
    assert d.poll(acct(sub=SUB)) == []


# --- top-up ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "amount"),
    [
        pytest.param(acct(gift=50), acct(gift=5_050), "5,000", id="gift"),
        pytest.param(
            acct(sub=0, gift=0, gift_amount=100),
            acct(sub=0, gift=4_000, gift_amount=5_000),
            "4,900",
            id="gift-spent-meanwhile-amount-counts",
        ),
        pytest.param(acct(sub=30_000), acct(sub=45_000, sub_amount=50_000), "15,000", id="upgrade"),
    ],
)
def test_top_up_names_the_amount(before: Balance, after: Balance, amount: str) -> None:
    d = Driver()
    d.poll(before)
    top_ups = [a for a in d.poll(after) if a.kind is K.TOP_UP]
    assert len(top_ups) == 1
    assert top_ups[0].body.startswith(f"{amount} credits added; ")
    assert d.poll(after) == []


def test_subscription_refund_is_not_a_top_up() -> None:
    d = Driver()
    d.poll(acct(sub=30_000))
    d.poll(acct(sub=29_000))
    assert d.poll(acct(sub=29_500)) == []
