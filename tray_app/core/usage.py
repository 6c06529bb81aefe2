"""What counts as spending between two balance observations (pure; used by the history)."""

from __future__ import annotations

from tray_app.core.balance import Balance, Number

#: The menu's longer usage figure covers this many seconds back from now ("last 30 days": the
#: API gives the end of the period, not its length, and 30 days is what a monthly plan means).
USAGE_WINDOW_S = 30 * 86400.0


def spent_between(prev: Balance, cur: Balance, ts: float) -> Number:
    """Credits spent between two observations, `cur` taken at `ts`.

    Spending shows as a rise of *used* credits (totalAmount - totalBalance): a top-up or gift
    raises amount and balance together and leaves "used" unchanged, so spending during the same
    interval is still counted. An interval across a subscription boundary (resetAt changed, or
    the old resetAt has passed) counts nothing: there the drop is expiry and the rise a refill.
    """
    if prev.reset_at_ms != cur.reset_at_ms:
        return 0
    reset_s = prev.reset_at_s
    if reset_s is not None and ts >= reset_s:
        return 0
    used_prev = prev.total_amount - prev.total_balance
    used_cur = cur.total_amount - cur.total_balance
    return max(0, used_cur - used_prev)
