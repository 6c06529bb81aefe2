"""Balance histories for the Usage window's tests, the desktop test and its benchmark.

`known_history`: a fortnight written out by hand (spend days, a gift, a renewal, a top-up), so
tests can check every value of the chart's series. `simulated_year`: a year of 15-minute polls
of a 35,000-credit monthly plan with bursty weekday spending, gifts, one top-up and a renewal
every 30 days, ending at a given time; `year_store` records it and compacts it the way the
running app's daily compaction keeps it.
"""

from __future__ import annotations

import random
from pathlib import Path

from tray_app.core.balance import Balance
from tray_app.history.retention import DAY, HOUR
from tray_app.history.store import HistoryStore

# 2026-11-01T00:00:00Z, a Sunday.
K0 = 1_793_491_200.0
RESET_1 = K0 + 10 * DAY
RESET_2 = RESET_1 + 30 * DAY


def _b(sub: int, gift: int, *, plan: int = 1_000, gift_amount: int = 0, reset: float) -> Balance:
    return Balance(
        total_amount=plan + gift_amount,
        total_balance=sub + gift,
        subscription_amount=plan,
        subscription_balance=sub,
        gift_amount=gift_amount,
        gift_balance=gift,
        reset_at_ms=int(reset * 1000),
    )


def known_history() -> list[tuple[float, Balance]]:
    """(time, balance) polls, each a change; the comments say what happened."""
    return [
        (K0 + 8 * HOUR, _b(1_000, 0, reset=RESET_1)),  # first poll: 1,000
        (K0 + 1 * DAY + 10 * HOUR, _b(900, 0, reset=RESET_1)),  # spent 100
        (K0 + 1 * DAY + 15 * HOUR, _b(850, 0, reset=RESET_1)),  # spent 50
        (K0 + 3 * DAY + 9 * HOUR, _b(850, 200, gift_amount=200, reset=RESET_1)),  # gift 200
        (K0 + 4 * DAY + 12 * HOUR, _b(550, 200, gift_amount=200, reset=RESET_1)),  # spent 300
        # Renewal: 550 unused subscription credits expire, the plan refills to 1,000.
        (K0 + 10 * DAY + 5 * 60, _b(1_000, 200, gift_amount=200, reset=RESET_2)),
        # Top-up: the plan grows by 500 credits, available at once.
        (K0 + 11 * DAY + 9 * HOUR, _b(1_500, 200, plan=1_500, gift_amount=200, reset=RESET_2)),
        (K0 + 12 * DAY + 13 * HOUR, _b(1_480, 200, plan=1_500, gift_amount=200, reset=RESET_2)),
    ]


KNOWN_NOW = K0 + 12 * DAY + 18 * HOUR


def simulated_year(end: float, *, seed: int = 14, step: int = 900) -> list[tuple[float, Balance]]:
    rng = random.Random(seed)
    start = end - 365 * DAY
    plan, sub, gift_amount, gift = 35_000, 35_000, 0, 0
    reset = start + 20 * DAY
    topped_up = False
    out: list[tuple[float, Balance]] = []
    ts = start
    while ts <= end:
        if ts >= reset:
            sub, reset = plan, reset + 30 * DAY
        else:
            weekday = int((ts // DAY + 4) % 7) < 5  # 1970-01-01 was a Thursday
            gifted = rng.random() < 0.001
            if not topped_up and ts >= end - 50 * DAY:
                # A poll of its own: with a gift in the same poll both amounts grow, and the
                # pair reads as a gift (one `end` in ~200 made a year with no top-up at all).
                plan, sub, topped_up = plan + 5_000, sub + 5_000, True
            elif gifted:
                gift_amount, gift = gift_amount + 500, gift + 500
            if weekday and rng.random() < 0.25:
                cost = rng.choice((15, 15, 50, 50, 50, 2_000) if rng.random() < 0.05 else (15, 50))
                if cost <= sub + gift:
                    from_sub = min(cost, sub)
                    sub, gift = sub - from_sub, gift - (cost - from_sub)
        out.append(
            (
                ts,
                Balance(
                    plan + gift_amount, sub + gift, plan, sub, gift_amount, gift, int(reset * 1000)
                ),
            )
        )
        ts += step
    return out


def year_store(path: Path, end: float) -> Path:
    """A compacted year of history ending at `end`, in a new store at `path`."""
    with HistoryStore.open(path) as store:
        store.record_balances(simulated_year(end))
        store.compact(end)
    return path
