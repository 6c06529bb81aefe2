"""Shared by the simulated API's tests: a clock that moves only when told to, the requests
they send (the balance endpoint, the control API) and what every API error looks like.
"""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tray_app.demo.server import BALANCE_PATH, DEMO_KEY, SimulatedLensmorServer

ERROR_FIELDS = {"code", "message", "errorKey", "traceId"}
AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
OTHER_KEY = "uak_other_key_000000000000001"
TIMEOUT = 5.0
DAY_MS = 86_400_000


class FakeClock:
    """Unix seconds that move only when told to (a whole number, so header values are exact)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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
