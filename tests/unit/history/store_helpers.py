"""Shared by the history store's tests: the times they use, a consistent balance, and an
independent look at the SQLite file."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tray_app.core.balance import Balance
from tray_app.history.retention import DAY

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
RESET_S = T0 + 30 * DAY
UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))


def bal(
    total: int,
    *,
    amount: int = 35_050,
    gift: int = 50,
    reset_s: float | None = RESET_S,
) -> Balance:
    """A consistent balance: subscription credits are spent before gift credits."""
    gift_balance = min(gift, total)
    return Balance(
        total_amount=amount,
        total_balance=total,
        subscription_amount=amount - gift,
        subscription_balance=total - gift_balance,
        gift_amount=gift,
        gift_balance=gift_balance,
        reset_at_ms=None if reset_s is None else int(reset_s * 1000),
    )


@contextmanager
def sql(path: Path) -> Iterator[sqlite3.Connection]:
    """An independent autocommit connection: what is really on disk, closed afterwards."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def raw_rows(path: Path) -> list[tuple[float, float]]:
    with sql(path) as conn:
        return conn.execute("SELECT ts, total_balance FROM balance_raw ORDER BY id").fetchall()
