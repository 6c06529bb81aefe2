"""The control API under `/_control/`: routes that read and steer the simulated accounts.

`/_control/<route>` addresses the default account (the first one); with several accounts,
`/_control/accounts/<name>/<route>` addresses one by name (URL-encoded), and
`GET /_control/accounts` lists them. No HTTP here: `answer_control` takes the method, path and
body and returns the JSON answer or raises `ControlError` (the handler sends it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from tray_app.core.fmt import mask_key
from tray_app.demo.account import InsufficientCredits, SimulatedAccount, SimulatedAccounts
from tray_app.demo.faults import Fault
from tray_app.demo.json_fields import integer_field, number_field

CONTROL_PREFIX = "/_control"


def mask_authorization(value: str) -> str:
    scheme, _, token = value.strip().partition(" ")
    return f"{scheme} {mask_key(token.strip())}" if token.strip() else scheme


class ControlError(Exception):
    """A control request answered with an ApiError (status, errorKey, message)."""

    def __init__(self, status: int, error_key: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_key = error_key
        self.message = message


def control_json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlError(400, "BAD_REQUEST", f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ControlError(400, "BAD_REQUEST", "body must be a JSON object")
    return data


def _set_balance(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.set_balance(**data)
    return account.state()


def _spend(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.spend(integer_field(data, "credits"))
    return account.state()


def _gift(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.gift(integer_field(data, "credits"))
    return account.state()


def _reset(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.reset()
    return account.state()


def _keys(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    keys = data.get("valid")
    if not isinstance(keys, list):
        raise ValueError("valid must be a list of keys")
    account.set_valid_keys(keys)
    return account.state()


def _rate_limit(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.set_rate_limit(integer_field(data, "limit"), number_field(data, "window_s"))
    return account.state()


def _advance(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.advance(number_field(data, "seconds"))
    return account.state()


def _fault(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.inject(Fault.from_json(data), integer_field(data, "times", default=1))
    return account.state()


def _clear_faults(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.clear_faults()
    return account.state()


def _requests(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    out = []
    for req in account.requests:
        headers = {
            name: mask_authorization(value) if name.lower() == "authorization" else value
            for name, value in req.headers.items()
        }
        out.append(
            {
                "method": req.method,
                "path": req.path,
                "time": req.time,
                "client_port": req.client_port,
                "headers": headers,
            }
        )
    return {"requests": out}


def _clear_requests(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.clear_requests()
    return account.state()


def _state(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    return account.state()


_CONTROL_ROUTES: Mapping[
    tuple[str, str], Callable[[SimulatedAccount, dict[str, Any]], dict[str, Any]]
] = {
    ("GET", "/state"): _state,
    ("POST", "/balance"): _set_balance,
    ("POST", "/spend"): _spend,
    ("POST", "/gift"): _gift,
    ("POST", "/reset"): _reset,
    ("POST", "/keys"): _keys,
    ("POST", "/rate_limit"): _rate_limit,
    ("POST", "/advance"): _advance,
    ("POST", "/fault"): _fault,
    ("DELETE", "/fault"): _clear_faults,
    ("GET", "/requests"): _requests,
    ("DELETE", "/requests"): _clear_requests,
}


def answer_control(
    accounts: SimulatedAccounts, method: str, path: str, body: bytes
) -> dict[str, Any]:
    """The JSON answer (200) to a control request at `path`; ControlError for an error answer."""
    rest = path[len(CONTROL_PREFIX) :]
    if rest == "/accounts":
        if method != "GET":
            raise ControlError(405, "METHOD_NOT_ALLOWED", "Method not allowed")
        return {"accounts": [{"name": name, **acc.state()} for name, acc in accounts.items()]}
    account = accounts.default
    if rest.startswith("/accounts/"):
        quoted, _, tail = rest[len("/accounts/") :].partition("/")
        name = unquote(quoted)
        found = accounts.get(name)
        if found is None:
            raise ControlError(404, "NOT_FOUND", f"no simulated account named {name!r}")
        account, rest = found, "/" + tail
    route = _CONTROL_ROUTES.get((method, rest))
    if route is None:
        if rest in {p for _, p in _CONTROL_ROUTES}:
            raise ControlError(405, "METHOD_NOT_ALLOWED", "Method not allowed")
        raise ControlError(404, "NOT_FOUND", "Not found")
    data = control_json(body)
    try:
        return route(account, data)
    except InsufficientCredits as exc:
        raise ControlError(409, "INSUFFICIENT_CREDITS", str(exc)) from exc
    except (ValueError, TypeError) as exc:
        raise ControlError(400, "BAD_REQUEST", str(exc)) from exc
