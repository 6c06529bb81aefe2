"""When to poll next: one pure function of the state, the settings and the time.

The rules, in order of precedence:
1. Key missing or rejected: do not poll at all (None) until the key or config changes.
2. Rate limited (429): wait exactly the server's Retry-After. If the next answer is a 429
   again (the user's own scripts are draining the shared bucket), wait the larger of
   Retry-After and the error backoff below: never sooner than the server said, and never a
   request a second for the length of someone else's burst.
3. Network, server or bad response: exponential backoff from 30 s, doubling per consecutive
   failure, capped at 30 min, with jitter (x0.5..x1.0, the "equal jitter" of the AWS
   architecture blog) so many clients do not retry in lockstep.
4. Otherwise the configured interval (default 300 s, never below 30 s), shortened to 60 s for
   10 minutes after the balance changed (spending shows up fast), and cut short to land
   5 s after `resetAt` so a renewal is seen at once.
5. When X-RateLimit-Remaining is low (the bucket is shared with the user's own scripts) the
   delay grows: x2 below 25 % of the limit, x4 below 10 %, and with 2 or fewer left we wait
   until the bucket resets.
"""

from __future__ import annotations

from dataclasses import dataclass

from tray_app.core.state import MonitorState, Problem

RESET_GRACE_S = 5.0


@dataclass(frozen=True)
class PacingProfile:
    """The timing constants. `PRODUCTION` is what users get; `DEMO` compresses minutes into
    seconds for `lensmor-tray demo` and the end-to-end tests (selected in the app wiring only)."""

    min_interval: float = 30.0
    active_interval: float = 60.0
    active_window: float = 600.0
    backoff_base: float = 30.0
    backoff_cap: float = 1800.0
    #: One request's limits: to connect, between two received bytes, and overall (connect,
    #: TLS, headers and body together; a dribbling server is cut off there).
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    request_deadline: float = 30.0
    #: After a poll that crashed (a bug, not a network error): try again this much later.
    crash_retry: float = 300.0
    #: The longest the tray view goes without being re-presented between polls. It is
    #: re-presented when it changes by time alone (core/view_clock.py); this is the safety net.
    view_refresh: float = 3600.0


PRODUCTION = PacingProfile()
DEMO = PacingProfile(
    min_interval=2.0,
    active_interval=2.0,
    active_window=60.0,
    backoff_base=2.0,
    backoff_cap=20.0,
    connect_timeout=2.0,
    read_timeout=3.0,
    request_deadline=4.0,
    crash_retry=10.0,
    view_refresh=1.0,
)


@dataclass(frozen=True)
class NextPoll:
    """`delay` seconds from now, or None for "not until something changes"; `reason` is for
    the log and the menu."""

    delay: float | None
    reason: str


def next_poll(
    state: MonitorState,
    interval: float,
    now: float,
    jitter: float,
    profile: PacingProfile = PRODUCTION,
) -> NextPoll:
    """Decide the delay before the next poll. `jitter` is a random number in [0, 1)."""
    if state.problem in (Problem.NO_KEY, Problem.KEY_REJECTED):
        return NextPoll(None, "waiting for a new key")
    if state.problem is Problem.RATE_LIMITED:
        asked = (state.retry_at - now) if state.retry_at is not None else profile.backoff_base
        failures = max(state.consecutive_failures, 1)
        if failures == 1:
            return NextPoll(max(asked, 0.0), "rate limited: waiting as the server asked")
        # 429 again right after waiting as asked: someone else (the user's own scripts) is
        # draining the shared bucket. Never sooner than the server said, but back off so the
        # monitor does not knock once a second for as long as their burst lasts.
        backoff = min(profile.backoff_cap, profile.backoff_base * 2 ** min(failures - 2, 16))
        return NextPoll(max(asked, backoff, 0.0), "rate limited again: backing off")
    if state.problem is not None:
        failures = max(state.consecutive_failures, 1)
        backoff = min(profile.backoff_cap, profile.backoff_base * 2 ** min(failures - 1, 16))
        return NextPoll(backoff * (0.5 + 0.5 * jitter), f"retrying after failure {failures}")
    return _steady(state, max(interval, profile.min_interval), now, profile)


def _steady(state: MonitorState, interval: float, now: float, profile: PacingProfile) -> NextPoll:
    delay, reason = interval, "regular interval"
    recently_changed = (
        state.last_change_at is not None and now - state.last_change_at < profile.active_window
    )
    if recently_changed and profile.active_interval < delay:
        delay, reason = profile.active_interval, "balance changed recently"
    delay, reason = _frugal(state, delay, reason, now)
    reset_at = state.balance.reset_at_s if state.balance is not None else None
    if reset_at is not None and reset_at > now and reset_at + RESET_GRACE_S - now < delay:
        delay, reason = reset_at + RESET_GRACE_S - now, "just after the reset"
    return NextPoll(delay, reason)


def _frugal(state: MonitorState, delay: float, reason: str, now: float) -> tuple[float, str]:
    remaining, limit = state.rate_limit_remaining, state.rate_limit_limit
    if remaining is None or not limit:
        return delay, reason
    if remaining <= 2 and state.rate_limit_reset is not None and state.rate_limit_reset > now:
        return max(delay, state.rate_limit_reset - now + 1), "rate-limit bucket nearly empty"
    share = remaining / limit
    if share < 0.10:
        return delay * 4, "rate-limit bucket low"
    if share < 0.25:
        return delay * 2, "rate-limit bucket low"
    return delay, reason


def refresh_delay(state: MonitorState, now: float) -> float:
    """How long a user's "Refresh now" (or a reload) must still wait: only a pending 429
    holds it back, because the server said not to ask before `retry_at`."""
    if state.problem is Problem.RATE_LIMITED and state.retry_at is not None:
        return max(0.0, state.retry_at - now)
    return 0.0
