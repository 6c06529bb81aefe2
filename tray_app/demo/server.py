"""A simulated Lensmor credits API on loopback, for the demo and for tests.

`SimulatedLensmorServer` is a real HTTP/1.1 server (stdlib `ThreadingHTTPServer`, keep-alive,
every response with a Content-Length) bound to 127.0.0.1 on a free port. It answers
`GET /external/credits/balance` the way the public API (version 0.22.0) documents it:

- `Authorization: Bearer <key>`, the scheme matched case-insensitively. No key (or an empty
  one) is a 401 `MISSING_API_KEY`; another scheme or an unknown key is a 401 `INVALID_API_KEY`.
- Errors are `ApiError` JSON bodies `{code, message, errorKey, traceId}`. Every response, errors
  included, carries `X-Request-ID` (a uuid4, the same as `traceId` when there is a body).
- A token bucket per key (default 120 requests per 60 s, refilled continuously): allowed
  responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix
  seconds at which the bucket is full again); an empty bucket gives a 429
  `RATE_LIMIT_EXCEEDED` with `Retry-After` (whole seconds until one request is allowed).
- Any other path is a 404 `NOT_FOUND`; another method on the balance path a 405.

The state lives in a `SimulatedAccount` (thread-safe). Its clock is injectable (`clock=`,
default `time.time`, plus an offset moved by `advance()`): rate-limit windows, `X-RateLimit-Reset`,
`resetAt` and request times all read it, so tests can run accelerated time. Fault delays
(`slow`, `trickle`) are real time on purpose: they exist to exercise real socket timeouts.

Python control (in the same process)::

    with SimulatedLensmorServer() as server:            # server.url, server.account
        server.account.spend(2000)                      # subscription credits first, then gift
        server.account.inject(Fault.status(503), times=2)
        requests.get(server.url + BALANCE_PATH, headers={"Authorization": f"Bearer {DEMO_KEY}"})
        server.account.requests                         # [RecordedRequest(...), ...]

HTTP control (for another process: a user, or end-to-end tests running `python -m
tray_app.demo.server`). Everything under `/_control/` needs no key, is not rate limited, is not
recorded and never meets a fault. Bodies are JSON objects; each call answers 200 with the state
(the body of `GET /_control/state`; `GET /_control/requests` answers `{"requests": [...]}`),
or an ApiError (400 bad input, 404/405 unknown route, 409 too few credits)::

    GET    /_control/state                        balance, rate limit, masked keys, faults, clock
    POST   /_control/balance   {"subscriptionBalance": 100, "resetAt": null, ...}
                                                  set any of the seven fields by API name
    POST   /_control/spend     {"credits": 2000}  subscription first, then gift
    POST   /_control/gift      {"credits": 500}   raise giftAmount and giftBalance
    POST   /_control/reset                        new period (see SimulatedAccount.reset)
    POST   /_control/keys      {"valid": ["uak_..."]}
    POST   /_control/rate_limit {"limit": 5, "window_s": 60}   also empties every bucket's history
    POST   /_control/advance   {"seconds": 30}    move the server's clock forward
    POST   /_control/fault     {"kind": "status", "status": 503, "times": 3}
    DELETE /_control/fault                        drop every queued fault
    GET    /_control/requests                     recorded API requests (Authorization masked)
    DELETE /_control/requests                     forget them

Faults are queued and each is served to one following request outside `/_control/` (`times`
queues it again). A fault stands in front of the API: it uses no rate-limit token.
Kinds, with their JSON fields (defaults in brackets):

    status     status, body [ApiError for that status], headers [{}]     an error answer
    slow       seconds                   wait, then answer normally
    trickle    bytes_per_s               answer normally, sending the body that slowly
    slow_headers seconds                 answer normally, but send the status line and headers
                                         one byte every `seconds` (a captive portal or broken
                                         proxy that dribbles: each read beats a read timeout)
    stall      -                         accept and never answer (until the client or server
                                         closes the connection)
    drop       -                         close the connection without a response
    body       body or body_base64, status [200], content_type [application/json]
                                         any raw body (malformed JSON, HTML error pages ...)
    oversized  n_bytes, declare_length [true]   a valid balance padded with JSON whitespace to
                                         n_bytes; without Content-Length when declare_length is
                                         false (the body then ends when the connection closes)
    redirect   location, status [302]    a redirect with an empty body

Command line: `python -m tray_app.demo.server [--port N] [--key K] [--rate-limit N]
[--window S] [--scenario]` prints `listening on http://127.0.0.1:PORT` and serves until SIGINT
or SIGTERM (exit 0; exit 1 with a one-line message if the port cannot be bound). `--scenario`
plays the demo story of `tray_app.demo.scenario` on the account, looping.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hmac
import json
import logging
import math
import select
import selectors
import signal
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

from tray_app.core.balance import API_FIELDS, Number
from tray_app.core.fmt import mask_key

log = logging.getLogger(__name__)

BALANCE_PATH = "/external/credits/balance"
CONTROL_PREFIX = "/_control"
#: The key the simulated account accepts unless told otherwise. Not a secret: it only opens
#: this simulator.
DEMO_KEY = "uak_demo_0123456789abcdef"
DEFAULT_RATE_LIMIT = 120
DEFAULT_RATE_WINDOW_S = 60.0

# An idle keep-alive connection is closed after this long, as real servers do (nginx: 75 s);
# clients must cope with a pooled connection that the server has closed.
IDLE_TIMEOUT_S = 75.0
# Control bodies are tiny; anything larger is refused rather than read into memory.
MAX_REQUEST_BODY = 1 << 20
# close() waits this long in total for handler threads after shutting their sockets down.
CLOSE_JOIN_S = 2.0

_API_NAMES = tuple(api for api, _ in API_FIELDS)
_MS_PER_DAY = 86_400_000

# errorKey for statuses whose generic HTTP name is not what the Lensmor API sends.
_ERROR_KEYS = {401: "INVALID_API_KEY", 429: "RATE_LIMIT_EXCEEDED"}

FAULT_KINDS = (
    "status",
    "slow",
    "trickle",
    "slow_headers",
    "stall",
    "drop",
    "body",
    "oversized",
    "redirect",
)


class InsufficientCredits(ValueError):
    """A spend larger than the credits available; nothing was spent."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request the API side received (control requests are not recorded).

    `headers` holds the names as the client sent them, Authorization included, so tests can
    check whether a key arrived; use `header()` for a case-insensitive lookup.
    """

    method: str
    path: str
    headers: dict[str, str]
    time: float
    client_port: int

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True)
class Fault:
    """A misbehaviour served instead of (or around) the next normal answer.

    Build one with the factories (`Fault.status(503)`, `Fault.body(b"{")`, ...); the fields
    hold their parameters (`code` is the HTTP status, `payload` the body bytes).
    """

    kind: str
    code: int = 200  # the HTTP status sent (status, body, redirect)
    payload: bytes | None = None  # the body sent (status, body); None: an ApiError body
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    bytes_per_s: float = 0.0
    n_bytes: int = 0
    declare_length: bool = True
    location: str = ""

    @classmethod
    def status(
        cls, status: int, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Fault:
        """An answer with `status`; `body` None means an ApiError body for that status."""
        _check_status(status)
        return cls("status", code=status, payload=body, headers=tuple((headers or {}).items()))

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait `seconds` (real time), then answer normally."""
        if not seconds >= 0:
            raise ValueError("seconds must be >= 0")
        return cls("slow", seconds=float(seconds))

    @classmethod
    def trickle(cls, bytes_per_s: float) -> Fault:
        """Answer normally, but send the body at `bytes_per_s`."""
        if not bytes_per_s > 0:
            raise ValueError("bytes_per_s must be > 0")
        return cls("trickle", bytes_per_s=float(bytes_per_s))

    @classmethod
    def slow_headers(cls, seconds: float) -> Fault:
        """Answer normally, sending the status line and headers one byte every `seconds`."""
        if not seconds > 0:
            raise ValueError("seconds must be > 0")
        return cls("slow_headers", seconds=float(seconds))

    @classmethod
    def stall(cls) -> Fault:
        """Accept the request and never answer until the client or the server closes."""
        return cls("stall")

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without sending anything."""
        return cls("drop")

    @classmethod
    def body(cls, raw: bytes, status: int = 200, content_type: str = "application/json") -> Fault:
        """Answer `status` with exactly `raw` as the body (malformed JSON, HTML pages ...)."""
        _check_status(status)
        return cls("body", code=status, payload=bytes(raw), content_type=content_type)

    @classmethod
    def oversized(cls, n_bytes: int, *, declare_length: bool = True) -> Fault:
        """A valid 200 balance padded with JSON whitespace to exactly `n_bytes`."""
        if n_bytes < 0:
            raise ValueError("n_bytes must be >= 0")
        return cls("oversized", n_bytes=int(n_bytes), declare_length=declare_length)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Fault:
        """A redirect to `location` with an empty body."""
        if not 300 <= status < 400:
            raise ValueError("a redirect status is 3xx")
        return cls("redirect", code=status, location=location)

    def to_json(self) -> dict[str, Any]:
        """This fault as the JSON that `POST /_control/fault` accepts."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind in ("status", "body", "redirect"):
            out["status"] = self.code
        if self.kind in ("status", "body") and self.payload is not None:
            try:
                out["body"] = self.payload.decode("utf-8")
            except UnicodeDecodeError:
                out["body_base64"] = base64.b64encode(self.payload).decode("ascii")
        if self.kind == "status" and self.headers:
            out["headers"] = dict(self.headers)
        if self.kind == "body":
            out["content_type"] = self.content_type
        if self.kind in ("slow", "slow_headers"):
            out["seconds"] = self.seconds
        if self.kind == "trickle":
            out["bytes_per_s"] = self.bytes_per_s
        if self.kind == "oversized":
            out["n_bytes"] = self.n_bytes
            out["declare_length"] = self.declare_length
        if self.kind == "redirect":
            out["location"] = self.location
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        """Build a fault from control JSON; ValueError says what is wrong."""
        kind = data.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        simple: dict[str, Callable[[], Fault]] = {
            "slow": lambda: cls.slow(_number(data, "seconds")),
            "slow_headers": lambda: cls.slow_headers(_number(data, "seconds")),
            "trickle": lambda: cls.trickle(_number(data, "bytes_per_s")),
            "stall": cls.stall,
            "drop": cls.drop,
            "oversized": lambda: cls.oversized(
                _integer(data, "n_bytes"),
                declare_length=_boolean(data, "declare_length", default=True),
            ),
            "redirect": lambda: cls.redirect(
                _string(data, "location"), _integer(data, "status", default=302)
            ),
        }
        if kind in simple:
            return simple[kind]()
        body = _body_from_json(data)
        if kind == "status":
            headers = data.get("headers", {})
            if not isinstance(headers, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
            ):
                raise ValueError("headers must be an object of strings")
            return cls.status(_integer(data, "status"), body=body, headers=headers)
        if body is None:
            raise ValueError("a body fault needs body or body_base64")
        return cls.body(
            body,
            status=_integer(data, "status", default=200),
            content_type=_string(data, "content_type", default="application/json"),
        )


def _check_status(status: int) -> None:
    # 1xx are interim answers, never a final response a fault could stand for.
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise ValueError("status must be a final HTTP status code (200..599)")


def _body_from_json(data: Mapping[str, Any]) -> bytes | None:
    if "body_base64" in data:
        try:
            return base64.b64decode(_string(data, "body_base64"), validate=True)
        except binascii.Error as exc:
            raise ValueError("body_base64 is not valid base64") from exc
    if "body" in data and data["body"] is not None:
        return _string(data, "body").encode("utf-8")
    return None


_MISSING: Any = object()


def _number(data: Mapping[str, Any], name: str, default: Any = _MISSING) -> float:
    value = data.get(name, default)
    if value is _MISSING:
        raise ValueError(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number")
    return float(value)


def _integer(data: Mapping[str, Any], name: str, default: Any = _MISSING) -> int:
    value = data.get(name, default)
    if value is _MISSING:
        raise ValueError(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number")
    return value


def _string(data: Mapping[str, Any], name: str, default: Any = _MISSING) -> str:
    value = data.get(name, default)
    if value is _MISSING:
        raise ValueError(f"{name} is required")
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _boolean(data: Mapping[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def _check_credits(credits: int) -> int:
    if isinstance(credits, bool) or not isinstance(credits, int) or credits < 0:
        raise ValueError("credits must be a whole number >= 0")
    return credits


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


class _TokenBuckets:
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


class SimulatedAccount:
    """The state behind the simulated API: balance, keys, rate limits, faults, request log.

    Every method is thread-safe (one lock). Totals follow their parts: spend/gift/reset and
    set_balance of a part recompute `totalAmount` and `totalBalance`; a total given explicitly
    to set_balance is stored as given (so tests can serve inconsistent bodies).
    """

    def __init__(
        self,
        *,
        total_subscription: int = 35_000,
        gift: int = 50,
        period_days: float = 30,
        valid_keys: Iterable[str] = (DEMO_KEY,),
        rate_limit: int = DEFAULT_RATE_LIMIT,
        rate_window_s: float = DEFAULT_RATE_WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        _check_credits(total_subscription)
        _check_credits(gift)
        if not period_days > 0:
            raise ValueError("period_days must be > 0")
        self._lock = threading.Lock()
        self._clock = clock
        self._offset_s = 0.0
        self._period_ms = round(period_days * _MS_PER_DAY)
        self._fields: dict[str, Number | None] = {
            "subscriptionAmount": total_subscription,
            "subscriptionBalance": total_subscription,
            "giftAmount": gift,
            "giftBalance": gift,
            "resetAt": self._now_ms() + self._period_ms,
        }
        self._recompute_totals(amount=True, balance=True)
        self._keys = self._checked_keys(valid_keys)
        self._buckets = _TokenBuckets(rate_limit, rate_window_s)
        self._faults: deque[Fault] = deque()
        self._requests: list[RecordedRequest] = []

    # -- clock -------------------------------------------------------------------------

    def now(self) -> float:
        """The account's time in Unix seconds: the injected clock plus any advance()."""
        with self._lock:
            return self._clock() + self._offset_s

    def advance(self, seconds: float) -> None:
        """Move this account's clock forward (rate-limit refills, resetAt arithmetic)."""
        if not seconds >= 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            self._offset_s += seconds

    def _now_ms(self) -> int:
        return round((self._clock() + self._offset_s) * 1000)

    # -- balance -------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Number | None]:
        """The seven CreditBalance fields as the API would send them now."""
        with self._lock:
            return {name: self._fields[name] for name in _API_NAMES}

    def set_balance(self, **api_fields: Number | None) -> None:
        """Set any of the seven fields by API name (`resetAt` in ms, or None)."""
        for name, value in api_fields.items():
            if name not in _API_NAMES:
                raise ValueError(f"unknown field {name!r}; fields are {', '.join(_API_NAMES)}")
            if value is None and name == "resetAt":
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise ValueError(f"{name} must be a finite number")
        with self._lock:
            self._fields.update(api_fields)
            self._recompute_totals(
                amount="totalAmount" not in api_fields
                and bool({"subscriptionAmount", "giftAmount"} & api_fields.keys()),
                balance="totalBalance" not in api_fields
                and bool({"subscriptionBalance", "giftBalance"} & api_fields.keys()),
            )

    def spend(self, credits: int) -> None:
        """Spend subscription credits first, then gift credits (as the API documents).

        Raises InsufficientCredits, spending nothing, if fewer credits are available.
        """
        _check_credits(credits)
        with self._lock:
            subscription = self._part("subscriptionBalance")
            gift = self._part("giftBalance")
            if credits > subscription + gift:
                raise InsufficientCredits(
                    f"cannot spend {credits}: only {subscription + gift} credits are available"
                )
            from_subscription = min(credits, subscription)
            self._fields["subscriptionBalance"] = subscription - from_subscription
            self._fields["giftBalance"] = gift - (credits - from_subscription)
            self._recompute_totals(amount=True, balance=True)

    def gift(self, credits: int) -> None:
        """A top-up or grant: raise giftAmount and giftBalance by `credits`."""
        _check_credits(credits)
        with self._lock:
            self._fields["giftAmount"] = self._part("giftAmount") + credits
            self._fields["giftBalance"] = self._part("giftBalance") + credits
            self._recompute_totals(amount=True, balance=True)

    def reset(self) -> None:
        """Start a new subscription period.

        subscriptionBalance is refilled to subscriptionAmount and resetAt moves forward one
        period (further whole periods if it would still be in the past; from now when it was
        null). Gift credits are untouched: they do not expire.
        """
        with self._lock:
            self._fields["subscriptionBalance"] = self._part("subscriptionAmount")
            now_ms = self._now_ms()
            reset_at = self._fields["resetAt"]
            next_ms = now_ms + self._period_ms if reset_at is None else reset_at + self._period_ms
            while next_ms <= now_ms:
                next_ms += self._period_ms
            self._fields["resetAt"] = int(next_ms)
            self._recompute_totals(amount=True, balance=True)

    def _part(self, name: str) -> Number:
        value = self._fields[name]
        return 0 if value is None else value

    def _recompute_totals(self, *, amount: bool, balance: bool) -> None:
        if amount:
            self._fields["totalAmount"] = self._part("subscriptionAmount") + self._part(
                "giftAmount"
            )
        if balance:
            self._fields["totalBalance"] = self._part("subscriptionBalance") + self._part(
                "giftBalance"
            )

    # -- keys and rate limits ----------------------------------------------------------

    @staticmethod
    def _checked_keys(keys: Iterable[str]) -> tuple[str, ...]:
        checked = tuple(keys)
        if isinstance(keys, str) or not all(isinstance(k, str) and k for k in checked):
            raise ValueError("valid keys must be a list of non-empty strings")
        return checked

    def set_valid_keys(self, keys: Iterable[str]) -> None:
        """Replace the accepted keys (an empty list revokes every key)."""
        checked = self._checked_keys(keys)
        with self._lock:
            self._keys = checked

    def is_valid_key(self, key: str) -> bool:
        with self._lock:
            keys = self._keys
        # Compare every key in constant time, as a real server must.
        matches = [hmac.compare_digest(key.encode(), k.encode()) for k in keys]
        return any(matches)

    def set_rate_limit(self, limit: int, window_s: float) -> None:
        """`limit` requests per `window_s` per key; every bucket starts full again."""
        buckets = _TokenBuckets(limit, window_s)
        with self._lock:
            self._buckets = buckets

    def take_token(self, key: str) -> RateDecision:
        """Count one API request for `key` against its bucket."""
        with self._lock:
            return self._buckets.take(key, self._clock() + self._offset_s)

    # -- faults ----------------------------------------------------------------------------

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Queue `fault` for the next `times` API requests (after any already queued)."""
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError("times must be a whole number >= 1")
        with self._lock:
            self._faults.extend([fault] * times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def next_fault(self) -> Fault | None:
        """Take the next queued fault, if any (called once per API request)."""
        with self._lock:
            return self._faults.popleft() if self._faults else None

    # -- request log -----------------------------------------------------------------------

    def record(self, method: str, path: str, headers: Mapping[str, str], client_port: int) -> None:
        with self._lock:
            now = self._clock() + self._offset_s
            self._requests.append(RecordedRequest(method, path, dict(headers), now, client_port))

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the API requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def state(self) -> dict[str, Any]:
        """Everything the control API reports, JSON-ready (keys masked)."""
        with self._lock:
            return {
                "balance": {name: self._fields[name] for name in _API_NAMES},
                "rate_limit": {"limit": self._buckets.limit, "window_s": self._buckets.window_s},
                "valid_keys": [mask_key(k) for k in self._keys],
                "pending_faults": [f.to_json() for f in self._faults],
                "request_count": len(self._requests),
                "now": self._clock() + self._offset_s,
            }


# ------------------------------------------------------------------------------------------
# HTTP


def error_body(status: int, error_key: str, message: str, trace_id: str) -> bytes:
    """An ApiError JSON body."""
    return _json_bytes(
        {"code": status, "message": message, "errorKey": error_key, "traceId": trace_id}
    )


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _generic_error(status: int) -> tuple[str, str]:
    """(errorKey, message) for an error status with no more specific meaning."""
    try:
        http_status = HTTPStatus(status)
        name, phrase = http_status.name, http_status.phrase
    except ValueError:
        name, phrase = f"HTTP_{status}", f"HTTP {status}"
    return _ERROR_KEYS.get(status, name), phrase


def parse_authorization(value: str | None) -> tuple[str | None, str | None]:
    """(key, None) for a usable Bearer header, else (None, errorKey) for the 401."""
    if value is None or not value.strip():
        return None, "MISSING_API_KEY"
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None, "INVALID_API_KEY"
    token = token.strip()
    if not token:
        return None, "MISSING_API_KEY"
    return token, None


def _mask_authorization(value: str) -> str:
    scheme, _, token = value.strip().partition(" ")
    return f"{scheme} {mask_key(token.strip())}" if token.strip() else scheme


class _ControlError(Exception):
    def __init__(self, status: int, error_key: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_key = error_key
        self.message = message


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its open connections, so close() can cut them."""

    daemon_threads = True
    # close() joins handler threads itself, with a deadline, instead of waiting forever.
    block_on_close = False
    # handle_request() gives up after this long if a connection vanished before accept().
    timeout = 0.5

    def __init__(
        self, address: tuple[str, int], account: SimulatedAccount, closing: threading.Event
    ) -> None:
        self.account = account
        self.closing = closing
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections[conn] = threading.current_thread()
        if self.closing.is_set():  # raced with close(): do not serve this one
            _shutdown_socket(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections.pop(conn, None)

    def open_connections(self) -> int:
        with self._connections_lock:
            return len(self._connections)

    def cut_connections(self) -> list[threading.Thread]:
        """Shut every open connection down; return the threads that were serving them."""
        with self._connections_lock:
            items = list(self._connections.items())
        for conn, _ in items:
            _shutdown_socket(conn)
        return [thread for _, thread in items]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, drop tests) are normal here, not tracebacks on stderr.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            log.debug("connection from %s ended: %r", client_address, exc)
        else:
            log.exception("error serving %s", client_address)


def _shutdown_socket(conn: socket.socket) -> None:
    # OSError: already closed by the peer or by the handler.
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response sets Content-Length
    server_version = "lensmor-sim/1"
    timeout = IDLE_TIMEOUT_S

    _trace_id = ""
    #: Seconds between the bytes of the status line and headers (the slow_headers fault).
    _header_byte_interval: float | None = None

    @property
    def sim(self) -> _Server:
        return cast(_Server, self.server)

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle holds the body
        # back until the client's delayed ACK (~40 ms per response on Linux).
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sim.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.sim.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    # -- plumbing --------------------------------------------------------------------------

    def _dispatch(self) -> None:
        self._trace_id = str(uuid.uuid4())
        body = self._read_body()
        if body is None:
            return
        path = urlsplit(self.path).path
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            self._control(path, body)
        else:
            self._api(path)

    def _read_body(self) -> bytes | None:
        # The body must be consumed even when unused, or the next request on this keep-alive
        # connection would start in the middle of it.
        if self.headers.get("Transfer-Encoding"):
            self._send_error(411, "LENGTH_REQUIRED", "send a Content-Length", close=True)
            return None
        raw = self.headers.get("Content-Length", "0").strip() or "0"
        if not raw.isdigit():
            self._send_error(400, "BAD_REQUEST", "invalid Content-Length", close=True)
            return None
        length = int(raw)
        if length > MAX_REQUEST_BODY:
            self._send_error(413, "PAYLOAD_TOO_LARGE", "request body too large", close=True)
            return None
        return self.rfile.read(length) if length else b""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Requests the stdlib rejects (bad request line, unsupported method) still get an
        # ApiError body and an X-Request-ID, like every other response.
        error_key, phrase = _generic_error(code)
        self._trace_id = str(uuid.uuid4())  # a new request, even on a kept-alive connection
        self._send_error(code, error_key, message or phrase, close=True)

    def _send_error(
        self,
        status: int,
        error_key: str,
        message: str,
        headers: Iterable[tuple[str, str]] = (),
        *,
        close: bool = False,
    ) -> None:
        body = error_body(status, error_key, message, self._trace_id)
        extra = [*headers, ("Connection", "close")] if close else list(headers)
        self._send(status, body, headers=extra)

    def _send(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "application/json",
        headers: Iterable[tuple[str, str]] = (),
        declare_length: bool = True,
        bytes_per_s: float | None = None,
    ) -> None:
        self.send_response(status)
        if status in (204, 304):  # these never carry a body nor a Content-Length
            content_type, body = "", b""
        elif declare_length:
            self.send_header("Content-Length", str(len(body)))
        else:
            # No length: the body ends when the connection closes (HTTP/1.1 allows it).
            self.send_header("Connection", "close")
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("X-Request-ID", self._trace_id)
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD" or not body:
            return
        if bytes_per_s is None:
            self.wfile.write(body)
        else:
            self._trickle(body, bytes_per_s)

    def flush_headers(self) -> None:
        interval = self._header_byte_interval
        if interval is None:
            super().flush_headers()
            return
        self._header_byte_interval = None
        # BaseHTTPRequestHandler collects the status line and headers in _headers_buffer and
        # writes them in one go here; the slow_headers fault sends them a byte at a time.
        head = b"".join(getattr(self, "_headers_buffer", []))
        self._headers_buffer: list[bytes] = []
        for i in range(len(head)):
            if i and self.sim.closing.wait(interval):
                break
            try:
                self.wfile.write(head[i : i + 1])
                self.wfile.flush()
            except OSError:  # the client gave up (its deadline shut the socket down)
                break
        else:
            return
        self.close_connection = True
        raise ConnectionAbortedError("the client left while the headers were dribbled")

    def _trickle(self, body: bytes, bytes_per_s: float) -> None:
        # About twenty writes a second, at least one byte each.
        chunk = max(1, int(bytes_per_s / 20))
        interval = chunk / bytes_per_s
        for start in range(0, len(body), chunk):
            if start and self.sim.closing.wait(interval):
                self.close_connection = True
                return
            self.wfile.write(body[start : start + chunk])

    def _json(self, status: int, data: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        self._send(status, _json_bytes(data), headers=headers)

    # -- the API ---------------------------------------------------------------------------

    def _api(self, path: str) -> None:
        account = self.sim.account
        account.record(self.command, self.path, dict(self.headers.items()), self.client_address[1])
        fault = account.next_fault()
        if fault is not None and fault.kind not in ("slow", "trickle", "slow_headers"):
            self._serve_fault(fault)
            return
        if fault is not None and fault.kind == "slow" and self.sim.closing.wait(fault.seconds):
            self.close_connection = True
            return
        status, body, headers = self._api_answer(path)
        trickle = fault.bytes_per_s if fault is not None and fault.kind == "trickle" else None
        if fault is not None and fault.kind == "slow_headers":
            self._header_byte_interval = fault.seconds
        self._send(status, body, headers=headers, bytes_per_s=trickle)

    def _api_answer(self, path: str) -> tuple[int, bytes, list[tuple[str, str]]]:
        trace = self._trace_id
        if path != BALANCE_PATH:
            return 404, error_body(404, "NOT_FOUND", "Not found", trace), []
        if self.command != "GET":
            body = error_body(405, "METHOD_NOT_ALLOWED", "Method not allowed", trace)
            return 405, body, [("Allow", "GET")]
        key, problem = parse_authorization(self.headers.get("Authorization"))
        if key is None or problem is not None:
            return 401, self._unauthorized(problem or "MISSING_API_KEY"), []
        account = self.sim.account
        if not account.is_valid_key(key):
            return 401, self._unauthorized("INVALID_API_KEY"), []
        decision = account.take_token(key)
        headers = [
            ("X-RateLimit-Limit", str(decision.limit)),
            ("X-RateLimit-Remaining", str(decision.remaining)),
            ("X-RateLimit-Reset", str(decision.reset_s)),
        ]
        if not decision.allowed:
            body = error_body(429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded", trace)
            return 429, body, [*headers, ("Retry-After", str(decision.retry_after_s))]
        return 200, _json_bytes(account.snapshot()), headers

    def _unauthorized(self, error_key: str) -> bytes:
        message = "Missing API key" if error_key == "MISSING_API_KEY" else "Invalid API key"
        return error_body(401, error_key, message, self._trace_id)

    def _serve_fault(self, fault: Fault) -> None:
        if fault.kind == "drop":
            self.close_connection = True
        elif fault.kind == "stall":
            self._stall()
        elif fault.kind == "status":
            if fault.payload is None:
                error_key, message = _generic_error(fault.code)
                self._send_error(fault.code, error_key, message, fault.headers)
            else:
                self._send(fault.code, fault.payload, headers=fault.headers)
        elif fault.kind == "body":
            self._send(fault.code, fault.payload or b"", content_type=fault.content_type)
        elif fault.kind == "oversized":
            body = _padded_balance(self.sim.account.snapshot(), fault.n_bytes)
            self._send(200, body, declare_length=fault.declare_length)
        elif fault.kind == "redirect":
            self._send(fault.code, b"", content_type="", headers=[("Location", fault.location)])

    def _stall(self) -> None:
        # Hold the request unanswered until the server closes or the client gives up (so a
        # long-running demo does not keep one thread per abandoned request).
        self.close_connection = True
        conn = self.connection
        while not self.sim.closing.wait(0.1):
            try:
                readable, _, _ = select.select([conn], [], [], 0)
                if readable and not conn.recv(1, socket.MSG_PEEK):
                    return
            except (OSError, ValueError):
                return

    # -- control ---------------------------------------------------------------------------

    def _control(self, path: str, body: bytes) -> None:
        route = _CONTROL_ROUTES.get((self.command, path[len(CONTROL_PREFIX) :]))
        if route is None:
            known = {p for _, p in _CONTROL_ROUTES}
            if path[len(CONTROL_PREFIX) :] in known:
                self._send_error(405, "METHOD_NOT_ALLOWED", "Method not allowed")
            else:
                self._send_error(404, "NOT_FOUND", "Not found")
            return
        try:
            data = _control_json(body)
            result = route(self.sim.account, data)
        except InsufficientCredits as exc:
            self._send_error(409, "INSUFFICIENT_CREDITS", str(exc))
        except _ControlError as exc:
            self._send_error(exc.status, exc.error_key, exc.message)
        except (ValueError, TypeError) as exc:
            self._send_error(400, "BAD_REQUEST", str(exc))
        else:
            self._json(200, result)


def _padded_balance(snapshot: Mapping[str, Any], n_bytes: int) -> bytes:
    """The balance JSON grown to exactly n_bytes with whitespace before the closing brace."""
    compact = _json_bytes(dict(snapshot))
    if n_bytes <= len(compact):
        return compact[:n_bytes]
    return compact[:-1] + b" " * (n_bytes - len(compact)) + b"}"


def _control_json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _ControlError(400, "BAD_REQUEST", f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _ControlError(400, "BAD_REQUEST", "body must be a JSON object")
    return data


def _set_balance(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.set_balance(**data)
    return account.state()


def _spend(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.spend(_integer(data, "credits"))
    return account.state()


def _gift(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.gift(_integer(data, "credits"))
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
    account.set_rate_limit(_integer(data, "limit"), _number(data, "window_s"))
    return account.state()


def _advance(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.advance(_number(data, "seconds"))
    return account.state()


def _fault(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.inject(Fault.from_json(data), _integer(data, "times", default=1))
    return account.state()


def _clear_faults(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    account.clear_faults()
    return account.state()


def _requests(account: SimulatedAccount, data: dict[str, Any]) -> dict[str, Any]:
    out = []
    for req in account.requests:
        headers = {
            name: _mask_authorization(value) if name.lower() == "authorization" else value
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


class SimulatedLensmorServer:
    """The simulated API on 127.0.0.1. Bound at construction; `start()` begins serving.

    As a context manager it starts on entry and closes on exit. `close()` never hangs: it
    wakes stalled/slow handlers, shuts every open connection down and joins with a deadline.
    """

    def __init__(
        self,
        account: SimulatedAccount | None = None,
        *,
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.account = account if account is not None else SimulatedAccount(clock=clock)
        self._closing = threading.Event()
        self._httpd = _Server(("127.0.0.1", port), self.account, self._closing)
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        """Client connections being served now (a client that gave up is gone from here)."""
        return self._httpd.open_connections()

    def start(self) -> SimulatedLensmorServer:
        if self._closed:
            raise RuntimeError("server is closed")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._serve, name=f"lensmor-sim:{self.port}", daemon=True
            )
            self._thread.start()
        return self

    def _serve(self) -> None:
        # Not serve_forever(): its shutdown() waits out a poll interval, which adds up over
        # hundreds of tests. Here close() wakes the loop at once through a socket pair.
        with selectors.DefaultSelector() as selector:
            selector.register(self._httpd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._closing.is_set():
                events = selector.select()
                if self._closing.is_set():
                    return
                if any(key.fileobj is self._httpd for key, _ in events):
                    # Readable, so this accepts without blocking (bounded by
                    # _Server.timeout should the client have vanished meanwhile).
                    self._httpd.handle_request()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._closing.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        deadline = time.monotonic() + CLOSE_JOIN_S
        if self._thread is not None:
            self._thread.join(CLOSE_JOIN_S)
        threads = self._httpd.cut_connections()
        self._httpd.server_close()
        self._wake_r.close()
        self._wake_w.close()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> SimulatedLensmorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# ------------------------------------------------------------------------------------------
# Command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tray_app.demo.server",
        description="Serve a simulated Lensmor credits API on 127.0.0.1 (see the module doc).",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--key", default=DEMO_KEY, help="the API key to accept")
    parser.add_argument("--rate-limit", type=int, default=DEFAULT_RATE_LIMIT, metavar="N")
    parser.add_argument("--window", type=float, default=DEFAULT_RATE_WINDOW_S, metavar="SECONDS")
    parser.add_argument(
        "--scenario", action="store_true", help="play the demo story (tray_app.demo.scenario)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; print `listening on URL` once ready."""
    # Imported here because scenario.py is only needed for --scenario.
    from tray_app.demo.scenario import ScenarioRunner

    args = _parser().parse_args(argv)
    account = SimulatedAccount(
        valid_keys=(args.key,), rate_limit=args.rate_limit, rate_window_s=args.window
    )
    try:
        server = SimulatedLensmorServer(account, port=args.port)
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    runner = ScenarioRunner(account, loop=True) if args.scenario else None
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with server:
            print(f"listening on {server.url}", flush=True)
            if runner is not None:
                runner.start()
            # A timed wait so the signal handler gets to run promptly on every platform.
            while not stop.wait(0.2):
                pass
    finally:
        if runner is not None:
            runner.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
