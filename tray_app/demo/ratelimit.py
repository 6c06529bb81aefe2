"""The simulated API's per-key token buckets (limit requests per window, refilled continuously)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    """The outcome of taking one token from a key's bucket."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int
    retry_after_s: int


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Per-key token buckets: `limit` tokens, refilled continuously at limit/window_s per second.

    Not thread-safe by itself; SimulatedAccount calls it under its lock.
    """

    # Float refill arithmetic (0.05 tokens/s * 20 s) must count as a whole token.
    _EPS = 1e-9

    def __init__(self, limit: int, window_s: float) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("limit must be a whole number >= 1")
        if not (isinstance(window_s, int | float) and window_s > 0 and math.isfinite(window_s)):
            raise ValueError("window_s must be a number > 0")
        self.limit = limit
        self.window_s = float(window_s)
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, now: float) -> RateDecision:
        rate = self.limit / self.window_s
        bucket = self._buckets.setdefault(key, _Bucket(float(self.limit), now))
        # A clock that goes backwards refills nothing rather than draining the bucket.
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(float(self.limit), bucket.tokens + elapsed * rate)
        bucket.updated = now
        allowed = bucket.tokens >= 1 - self._EPS
        if allowed:
            bucket.tokens = max(0.0, bucket.tokens - 1)
        remaining = math.floor(bucket.tokens + self._EPS)
        reset_s = math.ceil(now + (self.limit - bucket.tokens) / rate - self._EPS)
        retry_after = 0 if allowed else max(1, math.ceil((1 - bucket.tokens) / rate - self._EPS))
        return RateDecision(allowed, self.limit, remaining, reset_s, retry_after)
