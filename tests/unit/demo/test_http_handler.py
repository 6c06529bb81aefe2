"""The balance endpoint over real HTTP on loopback: the seven fields and rate-limit headers,
keys, API errors for what the server cannot take, request ids, keep-alive.
"""

from __future__ import annotations

import json
import re
import socket
import uuid

import pytest
import requests

from tests.unit.demo.api_helpers import (
    AUTH,
    DAY_MS,
    ERROR_FIELDS,
    OTHER_KEY,
    TIMEOUT,
    FakeClock,
    assert_api_error,
    get_balance,
)
from tray_app.core.balance import API_FIELDS, parse_balance
from tray_app.demo.server import BALANCE_PATH, DEMO_KEY, SimulatedLensmorServer

API_NAMES = {api for api, _ in API_FIELDS}


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
