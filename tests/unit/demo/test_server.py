"""The simulated Lensmor API, exercised over real HTTP on loopback, and the demo scenario."""

from __future__ import annotations

import itertools
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.waiting import poll_until
from tray_app.core.balance import API_FIELDS, Number, parse_balance
from tray_app.core.levels import DEFAULT_THRESHOLDS, Level, level_for
from tray_app.demo import scenario as scenario_module
from tray_app.demo.scenario import (
    DEMO_LENGTH_S,
    DEMO_STEPS,
    ScenarioRunner,
    Step,
    apply_step,
    validate_steps,
)
from tray_app.demo.server import (
    BALANCE_PATH,
    DEMO_KEY,
    Fault,
    InsufficientCredits,
    SimulatedAccount,
    SimulatedLensmorServer,
)
from tray_app.demo.server import main as server_main

API_NAMES = {api for api, _ in API_FIELDS}
ERROR_FIELDS = {"code", "message", "errorKey", "traceId"}
AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
OTHER_KEY = "uak_other_key_000000000000001"
TIMEOUT = 5.0
DAY_MS = 86_400_000
REPO = Path(__file__).resolve().parents[3]


class FakeClock:
    """Unix seconds that move only when told to (a whole number, so header values are exact)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer(clock=clock) as srv:
        yield srv


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def get_balance(
    http: requests.Session, server: SimulatedLensmorServer, **kwargs: Any
) -> requests.Response:
    kwargs.setdefault("headers", AUTH)
    kwargs.setdefault("timeout", TIMEOUT)
    return http.get(server.url + BALANCE_PATH, **kwargs)


def control(
    http: requests.Session, server: SimulatedLensmorServer, method: str, path: str, **body: Any
) -> requests.Response:
    kwargs: dict[str, Any] = {"timeout": TIMEOUT}
    if body:
        kwargs["json"] = body
    return http.request(method, f"{server.url}/_control/{path}", **kwargs)


def assert_api_error(response: requests.Response, status: int, error_key: str) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == ERROR_FIELDS
    assert body["code"] == status
    assert body["errorKey"] == error_key
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["traceId"] == response.headers["X-Request-ID"]
    assert uuid.UUID(body["traceId"]).version == 4


# -- the endpoint ----------------------------------------------------------------------------


def test_balance_answers_the_seven_fields_with_rate_limit_headers(
    server: SimulatedLensmorServer, http: requests.Session, clock: FakeClock
) -> None:
    server.account.spend(5_000)
    response = get_balance(http, server)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert uuid.UUID(response.headers["X-Request-ID"]).version == 4
    body = response.json()
    assert set(body) == API_NAMES
    assert body == server.account.snapshot()
    balance = parse_balance(body)
    assert (balance.total_balance, balance.total_amount) == (30_050, 35_050)
    assert balance.reset_at_ms == round(clock.now * 1000) + 30 * DAY_MS
    assert response.headers["X-RateLimit-Limit"] == "120"
    assert response.headers["X-RateLimit-Remaining"] == "119"
    # One token refills in 0.5 s at 120 per 60 s: the bucket is full again then.
    assert response.headers["X-RateLimit-Reset"] == str(int(clock.now) + 1)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_scheme_is_matched_case_insensitively(
    server: SimulatedLensmorServer, http: requests.Session, scheme: str
) -> None:
    response = get_balance(http, server, headers={"Authorization": f"{scheme} {DEMO_KEY}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("authorization", "error_key"),
    [
        (None, "MISSING_API_KEY"),
        ("Bearer", "MISSING_API_KEY"),
        ("Bearer    ", "MISSING_API_KEY"),
        ("Basic dXNlcjpwYXNz", "INVALID_API_KEY"),
        (DEMO_KEY, "INVALID_API_KEY"),
        ("Bearer uak_not_a_key_we_know_000", "INVALID_API_KEY"),
        (f"Bearer {DEMO_KEY}x", "INVALID_API_KEY"),
    ],
)
def test_a_missing_or_bad_key_is_a_401_api_error(
    server: SimulatedLensmorServer,
    http: requests.Session,
    authorization: str | None,
    error_key: str,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = get_balance(http, server, headers=headers)
    assert_api_error(response, 401, error_key)
    assert "X-RateLimit-Remaining" not in response.headers


def test_replacing_the_keys_revokes_the_old_one(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    server.account.set_valid_keys([OTHER_KEY])
    assert_api_error(get_balance(http, server), 401, "INVALID_API_KEY")
    other = get_balance(http, server, headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert other.status_code == 200


def test_unknown_paths_and_methods_are_api_errors(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    missing = http.get(server.url + "/external/credits", headers=AUTH, timeout=TIMEOUT)
    assert_api_error(missing, 404, "NOT_FOUND")
    wrong_method = http.post(server.url + BALANCE_PATH, headers=AUTH, timeout=TIMEOUT)
    assert_api_error(wrong_method, 405, "METHOD_NOT_ALLOWED")
    assert wrong_method.headers["Allow"] == "GET"
    # The connection is still usable after errors (keep-alive, bodies fully consumed).
    assert get_balance(http, server).status_code == 200


def _raw_exchange(
    server: SimulatedLensmorServer, request: bytes
) -> tuple[str, dict[str, str], bytes]:
    """Send bytes the way no HTTP library would; return status line, headers, body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status_line, headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /a b HTTP/1.1\r\n\r\n", 400),
        (b"BREW /external/credits/balance HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        (b"POST /_control/gift HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413),
        (b"POST /_control/gift HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
    ],
)
def test_requests_the_server_cannot_take_still_get_an_api_error(
    server: SimulatedLensmorServer, request_bytes: bytes, status: int
) -> None:
    status_line, headers, body = _raw_exchange(server, request_bytes)
    assert status_line.split()[1] == str(status)
    error = json.loads(body)
    assert set(error) == ERROR_FIELDS
    assert error["code"] == status
    assert error["traceId"] == headers["x-request-id"]
    assert headers["content-length"] == str(len(body))


def test_each_request_on_a_connection_gets_its_own_request_id(
    server: SimulatedLensmorServer,
) -> None:
    one = f"GET {BALANCE_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    _, headers, body = _raw_exchange(server, one + one + b"GET /a b HTTP/1.1\r\n\r\n")
    # Pipelined: the first reply's body, then the second and third replies whole.
    assert body.count(b"HTTP/1.1 401 Unauthorized") == 1
    assert body.count(b"HTTP/1.1 400 ") == 1
    ids = re.findall(rb'"traceId":"([0-9a-f-]+)"', body)
    assert len(set(ids)) == 3
    assert headers["x-request-id"].encode() == ids[0]


# -- rate limits -----------------------------------------------------------------------------


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


# -- faults ----------------------------------------------------------------------------------


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


# -- control over HTTP -----------------------------------------------------------------------


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


# -- the account -----------------------------------------------------------------------------


def test_spending_uses_subscription_credits_before_gift(clock: FakeClock) -> None:
    account = SimulatedAccount(total_subscription=1_000, gift=200, clock=clock)
    account.spend(900)
    assert _parts(account.snapshot()) == (1_200, 300, 100, 200)
    account.spend(150)
    assert _parts(account.snapshot()) == (1_200, 150, 0, 150)
    with pytest.raises(InsufficientCredits):
        account.spend(151)
    assert _parts(account.snapshot()) == (1_200, 150, 0, 150)
    account.spend(150)
    assert _parts(account.snapshot()) == (1_200, 0, 0, 0)


def _parts(snapshot: Mapping[str, Number | None]) -> tuple[Any, ...]:
    return (
        snapshot["totalAmount"],
        snapshot["totalBalance"],
        snapshot["subscriptionBalance"],
        snapshot["giftBalance"],
    )


def test_reset_refills_subscription_and_moves_reset_at_one_period(clock: FakeClock) -> None:
    account = SimulatedAccount(total_subscription=1_000, gift=0, period_days=30, clock=clock)
    first = account.snapshot()["resetAt"]
    assert first == round(clock.now * 1000) + 30 * DAY_MS
    account.spend(700)
    account.gift(40)
    account.spend(320)  # the last 300 subscription credits, then 20 gift credits
    account.reset()
    after = account.snapshot()
    assert after["resetAt"] == first + 30 * DAY_MS
    assert (after["subscriptionBalance"], after["giftBalance"], after["totalBalance"]) == (
        1_000,
        20,
        1_020,
    )

    # A resetAt long past moves to the first period end still ahead; null starts from now.
    account.set_balance(resetAt=round(clock.now * 1000) - 65 * DAY_MS)
    account.reset()
    assert account.snapshot()["resetAt"] == round(clock.now * 1000) + 25 * DAY_MS
    account.set_balance(resetAt=None)
    account.reset()
    assert account.snapshot()["resetAt"] == round(clock.now * 1000) + 30 * DAY_MS


def test_set_balance_recomputes_totals_unless_given(clock: FakeClock) -> None:
    account = SimulatedAccount(clock=clock)
    account.set_balance(giftAmount=1_000, giftBalance=400)
    assert _parts(account.snapshot()) == (36_000, 35_400, 35_000, 400)
    account.set_balance(totalBalance=99)  # stored as given, for inconsistent-body tests
    assert account.snapshot()["totalBalance"] == 99
    with pytest.raises(ValueError, match="unknown field"):
        account.set_balance(balance=1)
    with pytest.raises(ValueError, match="finite number"):
        account.set_balance(giftBalance=float("nan"))


# -- connections -----------------------------------------------------------------------------


def test_keep_alive_reuses_one_connection(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    assert get_balance(http, server).status_code == 200
    assert get_balance(http, server, headers={}).status_code == 401
    assert get_balance(http, server).status_code == 200
    ports = {req.client_port for req in server.account.requests}
    assert len(ports) == 1

    # Asked to close, the server does and says so (else the client could pool the closing
    # connection and lose its next request), and the next request arrives on a new one.
    closing = get_balance(http, server, headers={**AUTH, "Connection": "close"})
    assert closing.headers["Connection"] == "close"
    get_balance(http, server)
    assert len({req.client_port for req in server.account.requests}) == 2


def test_close_does_not_hang_on_a_stalled_request_or_an_idle_connection(
    clock: FakeClock,
) -> None:
    server = SimulatedLensmorServer(clock=clock).start()
    outcome: list[BaseException | int] = []
    with requests.Session() as idle, requests.Session() as stalled:
        assert get_balance(idle, server).status_code == 200  # now idle in the pool
        server.account.inject(Fault.stall())

        def stall() -> None:
            try:
                outcome.append(get_balance(stalled, server, timeout=30).status_code)
            except requests.RequestException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=stall)
        thread.start()
        poll_until(lambda: len(server.account.requests) >= 2, TIMEOUT, "both requests arrived")
        assert len(server.account.requests) == 2

        started = time.monotonic()
        server.close()
        assert time.monotonic() - started < 1.0
        thread.join(TIMEOUT)
        assert not thread.is_alive()
        assert len(outcome) == 1
        assert isinstance(outcome[0], requests.ConnectionError)
        with pytest.raises(requests.ConnectionError):
            get_balance(idle, server)


def test_the_command_line_serves_until_sigterm() -> None:
    key = "uak_cli_test_key_0000000042"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app.demo.server", "--key", key, "--scenario"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        url = match.group(1)
        with requests.Session() as http:
            response = http.get(
                url + BALANCE_PATH, headers={"Authorization": f"Bearer {key}"}, timeout=TIMEOUT
            )
            assert response.status_code == 200
            # --scenario: the story's first step puts the balance at 30,050 of 35,050.
            poll_until(
                lambda: (
                    http.get(
                        url + BALANCE_PATH,
                        headers={"Authorization": f"Bearer {key}"},
                        timeout=TIMEOUT,
                    ).json()["totalBalance"]
                    == 30_050
                ),
                TIMEOUT,
                "the scenario's first balance",
                interval=0.05,
            )
            assert key not in http.get(url + "/_control/state", timeout=TIMEOUT).text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0
        assert key not in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_the_command_line_says_so_when_the_port_is_taken(
    server: SimulatedLensmorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert server_main(["--port", str(server.port)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"cannot listen on 127.0.0.1:{server.port}: ")


# -- the demo scenario -----------------------------------------------------------------------


class FakeTime:
    """A monotonic clock and a sleep that only advances it: the story plays instantly."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _play(loop: bool = False) -> tuple[list[tuple[float, Step, dict[str, Any]]], FakeTime]:
    fake = FakeTime()
    account = SimulatedAccount(clock=FakeClock())
    applied: list[tuple[float, Step, dict[str, Any]]] = []
    runner = ScenarioRunner(
        account,
        loop=loop,
        clock=fake.clock,
        sleep=fake.sleep,
        on_step=lambda step, snap: applied.append((fake.now - 1_000.0, step, dict(snap))),
    )
    runner.run()
    return applied, fake


def test_the_story_crosses_20_then_5_percent_then_gift_then_reset() -> None:
    applied, fake = _play()
    assert [step for _, step, _ in applied] == list(DEMO_STEPS)
    assert [at for at, _, _ in applied] == [step.at_s for step in DEMO_STEPS]
    assert fake.now - 1_000.0 == DEMO_LENGTH_S <= 130  # about two minutes

    first = parse_balance(applied[0][2])
    assert first.fraction_remaining is not None
    assert 0.84 <= first.fraction_remaining <= 0.88
    assert first.reset_at_ms is not None
    assert 2 * DAY_MS <= first.reset_at_ms - 1_800_000_000_000 <= 5 * DAY_MS

    levels = [level_for(parse_balance(snap), DEFAULT_THRESHOLDS) for _, _, snap in applied]
    changes = [lvl for i, lvl in enumerate(levels) if i == 0 or lvl != levels[i - 1]]
    assert changes == [Level.OK, Level.LOW, Level.CRITICAL, Level.DEPLETED, Level.LOW, Level.OK]

    def index(predicate: Any) -> int:
        return next(i for i, (_, _, snap) in enumerate(applied) if predicate(i, snap))

    low = levels.index(Level.LOW)
    critical = levels.index(Level.CRITICAL)
    gift = index(lambda i, s: i and s["giftAmount"] > applied[i - 1][2]["giftAmount"])
    reset = index(
        lambda i, s: i and s["subscriptionBalance"] > applied[i - 1][2]["subscriptionBalance"]
    )
    assert low < critical < gift < reset == len(applied) - 1
    before, after = applied[reset - 1][2], applied[reset][2]
    assert after["resetAt"] == before["resetAt"] + 30 * DAY_MS
    assert after["subscriptionBalance"] == after["subscriptionAmount"]
    drops = [
        prev["totalBalance"] - snap["totalBalance"]
        for (_, _, prev), (_, _, snap) in itertools.pairwise(applied)
    ]
    assert drops.count(2_000) >= 3  # event unlocks


def test_the_documented_timeline_matches_what_the_story_does() -> None:
    applied, _ = _play()
    total_amount = {int(at): snap["totalAmount"] for at, _, snap in applied}
    rows = re.findall(
        r"^\s+(\d+)\s+(start|spend|drain|gift|reset)\b.*?\s([\d,]+)\s+(\d+)%",
        scenario_module.__doc__ or "",
        flags=re.MULTILINE,
    )
    assert len(rows) == len(DEMO_STEPS)
    for (at, action, balance, share), (_, step, snap) in zip(rows, applied, strict=True):
        assert (int(at), action) == (step.at_s, step.action)
        assert int(balance.replace(",", "")) == snap["totalBalance"]
        assert int(share) == round(100 * snap["totalBalance"] / total_amount[int(at)])


def test_the_runner_loops_from_the_start_until_stopped() -> None:
    fake = FakeTime()
    account = SimulatedAccount(clock=FakeClock())
    starts: list[dict[str, Any]] = []
    runner: ScenarioRunner

    def on_step(step: Step, snap: Mapping[str, Any]) -> None:
        if step.action == "start":
            starts.append(dict(snap))
            if len(starts) == 2:
                runner.stop()

    runner = ScenarioRunner(account, clock=fake.clock, sleep=fake.sleep, on_step=on_step)
    runner.run()
    assert runner.rounds_completed == 1
    assert fake.now - 1_000.0 == DEMO_LENGTH_S
    assert starts[0]["totalBalance"] == starts[1]["totalBalance"] == 30_050


def test_the_runner_thread_stops_promptly_and_speed_compresses_time() -> None:
    account = SimulatedAccount()
    first_spend = threading.Event()

    def on_step(step: Step, snap: Mapping[str, Any]) -> None:
        if step.action == "spend":
            first_spend.set()

    runner = ScenarioRunner(account, speed=50.0, on_step=on_step)  # 5 s -> 0.1 s
    started = time.monotonic()
    runner.start()
    assert first_spend.wait(TIMEOUT)
    assert 0.08 <= time.monotonic() - started < 2.0
    stopping = time.monotonic()
    runner.stop()
    assert time.monotonic() - stopping < 0.5
    assert runner.stopped


def test_a_step_the_account_refuses_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    account = SimulatedAccount(clock=FakeClock())
    steps = [Step(0, "spend", 10**9, "too much"), Step(1, "gift", 5)]
    fake = FakeTime()
    runner = ScenarioRunner(
        account, steps, length_s=2, loop=False, clock=fake.clock, sleep=fake.sleep
    )
    with caplog.at_level("WARNING", logger=scenario_module.__name__):
        runner.run()
    assert account.snapshot()["giftBalance"] == 55
    assert "skipped" in caplog.text


@pytest.mark.parametrize(
    "steps",
    [
        [Step(5, "spend", 1), Step(1, "spend", 1)],
        [Step(0, "explode")],
        [Step(0, "gift")],
        [Step(500, "reset")],
    ],
)
def test_invalid_steps_are_refused(steps: list[Step]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        validate_steps(steps, DEMO_LENGTH_S)


def test_apply_step_start_sets_reset_at_from_the_account_clock() -> None:
    clock = FakeClock(1_900_000_000.0)
    account = SimulatedAccount(clock=clock)
    account.advance(100)
    apply_step(account, Step(0, "start"))
    assert account.snapshot()["resetAt"] == (1_900_000_100 + 3 * 86_400) * 1000
