"""The simulated API's per-key token buckets, seen over HTTP."""

from __future__ import annotations

import requests

from tests.unit.demo.api_helpers import OTHER_KEY, FakeClock, assert_api_error, get_balance
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer


def test_the_bucket_counts_down_then_429_with_retry_after(
    server: SimulatedLensmorServer, http: requests.Session, clock: FakeClock
) -> None:
    server.account.set_rate_limit(3, 60)  # one token per 20 s
    start = int(clock.now)
    seen = []
    for _ in range(3):
        response = get_balance(http, server)
        assert response.status_code == 200
        seen.append(
            (response.headers["X-RateLimit-Remaining"], response.headers["X-RateLimit-Reset"])
        )
    assert seen == [("2", str(start + 20)), ("1", str(start + 40)), ("0", str(start + 60))]

    limited = get_balance(http, server)
    assert_api_error(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert limited.headers["Retry-After"] == "20"
    assert limited.headers["X-RateLimit-Remaining"] == "0"

    clock.advance(19)
    still = get_balance(http, server)
    assert still.status_code == 429
    assert still.headers["Retry-After"] == "1"

    clock.advance(1)
    allowed = get_balance(http, server)
    assert allowed.status_code == 200
    assert allowed.headers["X-RateLimit-Remaining"] == "0"

    clock.advance(60)  # a whole window refills the bucket, and never beyond its limit
    assert get_balance(http, server).headers["X-RateLimit-Remaining"] == "2"


def test_each_key_has_its_own_bucket(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    server.account.set_valid_keys([DEMO_KEY, OTHER_KEY])
    server.account.set_rate_limit(1, 60)
    assert get_balance(http, server).status_code == 200
    assert get_balance(http, server).status_code == 429
    other = get_balance(http, server, headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert other.status_code == 200
