"""What the monitor knows after each poll, as one frozen value (pure; no I/O).

`MonitorState` is the input of the pacing decision and of the tray view. `advance()` folds one
poll result into it, so the rules about "stale", "offline since" and "key rejected" live here
and not in the UI.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any

from tray_app.core.balance import Balance, BalanceFormatError, parse_balance
from tray_app.core.saved import opt_float

#: The balance on screen is "out of date" once it is older than this many poll intervals, even
#: while no poll has failed (one may be stuck on a server that never answers).
STALE_AFTER_INTERVALS = 2


class Problem(str, enum.Enum):
    """Why the last poll did not give a fresh balance (None in the state when it did)."""

    NO_KEY = "no_key"
    KEY_REJECTED = "key_rejected"
    OFFLINE = "offline"  # DNS, connect, timeout, TLS
    SERVER = "server"  # 5xx
    BAD_RESPONSE = "bad_response"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class PollResult:
    """The outcome of one fetch, as plain data (the Monitor maps API errors to it)."""

    at: float
    balance: Balance | None = None
    problem: Problem | None = None
    message: str = ""
    trace_id: str | None = None
    retry_after: float | None = None
    rate_limit_limit: int | None = None
    rate_limit_remaining: int | None = None
    rate_limit_reset: float | None = None


@dataclass(frozen=True)
class MonitorState:
    balance: Balance | None = None
    #: When `balance` was fetched. None while only a saved value from a previous run is known.
    fetched_at: float | None = None
    #: True while `balance` comes from the saved state and this run has not refreshed it yet.
    from_previous_run: bool = False
    problem: Problem | None = None
    problem_message: str = ""
    problem_since: float | None = None
    trace_id: str | None = None
    consecutive_failures: int = 0
    last_change_at: float | None = None
    retry_at: float | None = None
    rate_limit_limit: int | None = None
    rate_limit_remaining: int | None = None
    rate_limit_reset: float | None = None
    polls: int = 0
    #: When the last poll result came in, good or not (None: none this run).
    last_poll_at: float | None = None

    @property
    def is_stale(self) -> bool:
        """The balance on screen is not known to be current."""
        return self.balance is not None and (self.problem is not None or self.from_previous_run)

    def is_outdated(self, now: float, interval: float | None) -> bool:
        """The last good balance is older than `STALE_AFTER_INTERVALS` poll intervals at `now`
        (time alone decides: a poll in flight that never returns cannot hide it). `interval`
        None: only the poll results decide (`is_stale`)."""
        if interval is None or self.balance is None or self.fetched_at is None:
            return False
        return now - self.fetched_at > STALE_AFTER_INTERVALS * interval

    def to_json(self) -> dict[str, Any]:
        """The part worth keeping across restarts (never anything secret)."""
        return {
            "version": 1,
            "balance": self.balance.to_api_dict() if self.balance else None,
            "fetchedAt": self.fetched_at,
            "lastChangeAt": self.last_change_at,
            # For readers of the saved state (`status --cached`, `doctor`); not restored.
            "lastPollAt": self.last_poll_at,
            "problem": self.problem.value if self.problem else None,
            "problemSince": self.problem_since,
        }

    @classmethod
    def from_json(cls, data: Any) -> MonitorState:
        """Restore a saved state; anything unreadable gives an empty state, never an error."""
        if not isinstance(data, dict) or data.get("version") != 1:
            return cls()
        try:
            balance = parse_balance(data["balance"]) if data.get("balance") else None
        except BalanceFormatError:
            return cls()
        fetched_at = opt_float(data.get("fetchedAt"))
        return cls(
            balance=balance,
            fetched_at=fetched_at if balance else None,
            from_previous_run=balance is not None,
            last_change_at=opt_float(data.get("lastChangeAt")),
        )


def advance(state: MonitorState, result: PollResult) -> MonitorState:
    """Fold one poll result into the state."""
    polls = state.polls + 1
    if result.balance is not None:
        changed = state.balance is not None and state.balance != result.balance
        return MonitorState(
            balance=result.balance,
            fetched_at=result.at,
            from_previous_run=False,
            last_change_at=result.at if changed else state.last_change_at,
            trace_id=result.trace_id,
            rate_limit_limit=result.rate_limit_limit,
            rate_limit_remaining=result.rate_limit_remaining,
            rate_limit_reset=result.rate_limit_reset,
            polls=polls,
            last_poll_at=result.at,
        )
    same_problem = state.problem is result.problem
    retry_at = None
    if result.problem is Problem.RATE_LIMITED and result.retry_after is not None:
        retry_at = result.at + result.retry_after
    return replace(
        state,
        problem=result.problem,
        problem_message=result.message,
        problem_since=state.problem_since if same_problem and state.problem_since else result.at,
        trace_id=result.trace_id,
        consecutive_failures=state.consecutive_failures + 1,
        retry_at=retry_at,
        polls=polls,
        last_poll_at=result.at,
    )


def with_no_key(state: MonitorState, now: float) -> MonitorState:
    return replace(
        state,
        problem=Problem.NO_KEY,
        problem_message="No API key set",
        problem_since=state.problem_since if state.problem is Problem.NO_KEY else now,
    )
