"""Faults the simulated API serves on demand, over HTTP, and their control JSON."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from tests.unit.demo.api_helpers import TIMEOUT, FakeClock, assert_api_error, get_balance
from tray_app.core.balance import parse_balance
from tray_app.demo.server import BALANCE_PATH, DEMO_KEY, Fault, SimulatedLensmorServer


def test_a_status_fault_is_served_the_given_number_of_times(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    server.account.inject(Fault.status(503), times=2)
    for _ in range(2):
        assert_api_error(get_balance(http, server), 503, "SERVICE_UNAVAILABLE")
    normal = get_balance(http, server)
    assert normal.status_code == 200
    # A fault stands in front of the API: it used no rate-limit token.
    assert normal.headers["X-RateLimit-Remaining"] == "119"


def test_a_status_fault_can_carry_its_own_body_and_headers(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    server.account.inject(Fault.status(429, body=b"slow down", headers={"Retry-After": "7"}))
    response = get_balance(http, server)
    assert response.status_code == 429
    assert response.content == b"slow down"
    assert response.headers["Retry-After"] == "7"
    assert "X-Request-ID" in response.headers


def test_a_204_fault_has_no_body_and_keeps_the_connection(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    server.account.inject(Fault.status(204))
    response = get_balance(http, server)
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Length" not in response.headers
    assert get_balance(http, server).status_code == 200
    assert len({req.client_port for req in server.account.requests}) == 1


def test_a_slow_fault_delays_then_answers(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    server.account.inject(Fault.slow(0.3))
    started = time.monotonic()
    response = get_balance(http, server)
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    assert response.json() == server.account.snapshot()


def test_a_trickle_fault_sends_the_body_slowly(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    size = len(json.dumps(server.account.snapshot(), separators=(",", ":")))
    server.account.inject(Fault.trickle(400))
    started = time.monotonic()
    # Each read gets data within 0.2 s, so a per-read timeout never fires...
    response = get_balance(http, server, timeout=(TIMEOUT, 0.2))
    elapsed = time.monotonic() - started
    # ...yet the whole body takes about size/400 s (the first piece goes out at once).
    assert elapsed >= (size - 20) / 400 * 0.9
    assert len(response.content) == size
    assert response.json() == server.account.snapshot()


def test_a_stall_fault_never_answers(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    server.account.inject(Fault.stall())
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        get_balance(http, server, timeout=(TIMEOUT, 0.3))
    assert time.monotonic() - started >= 0.3
    assert get_balance(http, server).status_code == 200


def test_a_drop_fault_closes_without_a_response(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    server.account.inject(Fault.drop())
    with pytest.raises(requests.ConnectionError):
        get_balance(http, server)
    assert get_balance(http, server).status_code == 200


@pytest.mark.parametrize(
    ("raw", "status", "content_type"),
    [
        (b'{"totalAmount": 35050, "totalBal', 200, "application/json"),
        (b"<html><body>502 Bad Gateway</body></html>", 502, "text/html"),
        (b"\xff\xfe not utf-8", 200, "application/json"),
        (b"", 200, "application/json"),
    ],
)
def test_a_body_fault_sends_exactly_those_bytes(
    server: SimulatedLensmorServer,
    http: requests.Session,
    raw: bytes,
    status: int,
    content_type: str,
) -> None:
    server.account.inject(Fault.body(raw, status=status, content_type=content_type))
    response = get_balance(http, server)
    assert response.status_code == status
    assert response.headers["Content-Type"] == content_type
    assert response.content == raw


@pytest.mark.parametrize("declare_length", [True, False])
def test_an_oversized_fault_is_a_valid_balance_of_exactly_n_bytes(
    server: SimulatedLensmorServer, http: requests.Session, declare_length: bool
) -> None:
    server.account.inject(Fault.oversized(200_000, declare_length=declare_length))
    response = get_balance(http, server)
    assert response.status_code == 200
    assert len(response.content) == 200_000
    assert response.headers.get("Content-Length") == ("200000" if declare_length else None)
    assert parse_balance(response.json()).to_api_dict() == server.account.snapshot()


def test_a_redirect_fault_and_where_the_key_goes(
    server: SimulatedLensmorServer, http: requests.Session, clock: FakeClock
) -> None:
    with SimulatedLensmorServer(clock=clock) as elsewhere:
        target = elsewhere.url + BALANCE_PATH
        server.account.inject(Fault.redirect(target))
        response = get_balance(http, server, allow_redirects=False)
        assert response.status_code == 302
        assert response.headers["Location"] == target
        assert response.content == b""

        server.account.inject(Fault.redirect(target, status=307))
        followed = get_balance(http, server)
        # requests drops Authorization when a redirect changes the port: the other server
        # sees the request without the key, and says so.
        assert_api_error(followed, 401, "MISSING_API_KEY")
        (arrived,) = elsewhere.account.requests
        assert arrived.header("authorization") is None
        assert server.account.requests[-1].header("Authorization") == f"Bearer {DEMO_KEY}"


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(503),
        Fault.status(429, body=b"x", headers={"Retry-After": "3"}),
        Fault.slow(1.5),
        Fault.trickle(10),
        Fault.stall(),
        Fault.drop(),
        Fault.body(b"{oops"),
        Fault.body(b"\x00\xff", status=500, content_type="application/octet-stream"),
        Fault.oversized(10, declare_length=False),
        Fault.redirect("https://example.com/", status=301),
    ],
)
def test_faults_round_trip_through_their_control_json(fault: Fault) -> None:
    assert Fault.from_json(json.loads(json.dumps(fault.to_json()))) == fault


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "explode"},
        {"kind": "status"},
        {"kind": "status", "status": 42},
        {"kind": "slow", "seconds": -1},
        {"kind": "trickle", "bytes_per_s": 0},
        {"kind": "body"},
        {"kind": "body", "body_base64": "not base64!"},
        {"kind": "redirect", "location": "/x", "status": 200},
    ],
)
def test_bad_fault_json_is_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        Fault.from_json(data)
