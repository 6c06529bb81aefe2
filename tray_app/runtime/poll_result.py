"""Step 1 of a poll (runtime/monitor.py): fetch the balance and turn the answer, or the
client's error, into plain data (`PollResult`) that the core folds into the state; the core
never sees an exception."""

from __future__ import annotations

import logging
from typing import Protocol

from tray_app.api.client import ApiError, BalanceResponse, RateLimited, problem_of
from tray_app.core.alerts import PollOutcome
from tray_app.core.state import PollResult, Problem

log = logging.getLogger("tray_app.runtime.monitor")  # the poll's log lines, as before


class BalanceSource(Protocol):
    def fetch_balance(self) -> BalanceResponse: ...


def fetch_result(source: BalanceSource | None, now: float) -> PollResult | None:
    """The outcome of one fetch at `now` (None: no source, i.e. no key)."""
    if source is None:
        return None
    try:
        response = source.fetch_balance()
    except ApiError as exc:
        log.warning("poll failed: %s", exc)
        return result_from_error(exc, now)
    rl = response.rate_limit
    return PollResult(
        now,
        balance=response.balance,
        trace_id=response.trace_id,
        rate_limit_limit=rl.limit,
        rate_limit_remaining=rl.remaining,
        rate_limit_reset=rl.reset_at,
    )


def result_from_error(exc: ApiError, now: float) -> PollResult:
    """Map a client error to plain data (the core never sees exceptions)."""
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    return PollResult(
        now,
        problem=problem_of(exc),
        message=exc.message,
        trace_id=exc.trace_id,
        retry_after=retry_after,
    )


def outcome_of(result: PollResult) -> PollOutcome:
    """What the alert rules are given: the balance, or why there is none."""
    if result.balance is not None:
        return result.balance
    return result.problem or Problem.BAD_RESPONSE


def close_source(source: BalanceSource | None) -> None:
    """Close a client's keep-alive connection (cuts a request of it in flight)."""
    close = getattr(source, "close", None)
    if callable(close):
        close()
