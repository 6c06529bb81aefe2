"""The control API under `/_control/`, over HTTP: steering the balance, keys, rate limit,
clock and faults, refusing bad input, and the request log with keys masked.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.unit.demo.api_helpers import OTHER_KEY, TIMEOUT, assert_api_error, control, get_balance
from tray_app.demo.server import BALANCE_PATH, DEMO_KEY, SimulatedLensmorServer


def test_control_changes_the_balance_the_api_serves(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    state = control(http, server, "POST", "balance", subscriptionBalance=100, resetAt=None)
    assert state.status_code == 200
    assert state.json()["balance"]["totalBalance"] == 150
    assert get_balance(http, server).json()["resetAt"] is None

    spent = control(http, server, "POST", "spend", credits=120).json()["balance"]
    assert (spent["subscriptionBalance"], spent["giftBalance"]) == (0, 30)
    gifted = control(http, server, "POST", "gift", credits=500).json()["balance"]
    assert (gifted["giftAmount"], gifted["giftBalance"], gifted["totalBalance"]) == (550, 530, 530)
    reset = control(http, server, "POST", "reset").json()["balance"]
    assert reset["subscriptionBalance"] == 35_000
    assert reset["resetAt"] is not None
    assert get_balance(http, server).json() == reset
    assert control(http, server, "GET", "state").json()["balance"] == reset


def test_control_refuses_bad_input_with_api_errors(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    before = server.account.snapshot()
    assert_api_error(
        control(http, server, "POST", "spend", credits=10**6), 409, "INSUFFICIENT_CREDITS"
    )
    assert_api_error(control(http, server, "POST", "balance", bogus=1), 400, "BAD_REQUEST")
    assert_api_error(control(http, server, "POST", "balance", giftBalance="9"), 400, "BAD_REQUEST")
    assert_api_error(control(http, server, "POST", "spend", credits=-5), 400, "BAD_REQUEST")
    assert_api_error(control(http, server, "POST", "keys", valid="uak_x"), 400, "BAD_REQUEST")
    not_json = http.post(f"{server.url}/_control/gift", data=b"{nope", timeout=TIMEOUT)
    assert_api_error(not_json, 400, "BAD_REQUEST")
    assert_api_error(control(http, server, "GET", "nothing"), 404, "NOT_FOUND")
    assert_api_error(control(http, server, "GET", "spend"), 405, "METHOD_NOT_ALLOWED")
    assert server.account.snapshot() == before


def test_control_keys_rate_limit_and_advance(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    state = control(http, server, "POST", "keys", valid=[OTHER_KEY]).json()
    assert state["valid_keys"] == ["uak_…0001"]
    assert OTHER_KEY not in json.dumps(state)
    assert get_balance(http, server).status_code == 401
    other = {"Authorization": f"Bearer {OTHER_KEY}"}

    control(http, server, "POST", "rate_limit", limit=2, window_s=10)
    assert get_balance(http, server, headers=other).headers["X-RateLimit-Limit"] == "2"
    assert get_balance(http, server, headers=other).status_code == 200
    limited = get_balance(http, server, headers=other)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "5"
    # Control calls are neither rate limited nor keyed.
    for _ in range(5):
        assert control(http, server, "GET", "state").status_code == 200

    control(http, server, "POST", "advance", seconds=5)
    assert get_balance(http, server, headers=other).status_code == 200


def test_control_faults_and_request_log(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    queued = control(http, server, "POST", "fault", kind="status", status=502, times=3).json()
    assert queued["pending_faults"] == [{"kind": "status", "status": 502}] * 3
    assert control(http, server, "DELETE", "fault").json()["pending_faults"] == []

    control(http, server, "POST", "fault", kind="body", body_base64="AAE=", status=500)
    raw = get_balance(http, server)
    assert (raw.status_code, raw.content) == (500, b"\x00\x01")
    control(http, server, "POST", "fault", kind="drop")
    with pytest.raises(requests.ConnectionError):
        get_balance(http, server)
    assert get_balance(http, server).status_code == 200

    log = control(http, server, "GET", "requests").json()["requests"]
    assert [entry["path"] for entry in log] == [BALANCE_PATH] * 3  # control calls not logged
    authorization = {k.lower(): v for k, v in log[0]["headers"].items()}["authorization"]
    assert authorization == "Bearer uak_…cdef"
    assert DEMO_KEY not in json.dumps(log)
    assert control(http, server, "DELETE", "requests").json()["request_count"] == 0
