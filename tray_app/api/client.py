"""The Lensmor credits API client and its error hierarchy (the errors live in api/errors.py
and are imported here, where callers look for them).

One `LensmorClient` owns one `requests.Session` (keep-alive) and calls
`GET /external/credits/balance`. Every failure is one of these, so callers decide "back off"
versus "tell the user" by type, never by parsing strings (the shape of httpx's
`_exceptions.py`):

    ApiError                 base; `.trace_id` when the server sent one (body or X-Request-ID)
    ├── AuthError            401/403: key missing, malformed, revoked. `.error_key`. Never retry.
    ├── RateLimited          429. `.retry_after` seconds (Retry-After, else X-RateLimit-Reset).
    ├── ServerError          5xx. `.status`. Retry with backoff.
    ├── NetworkError         DNS, connect, timeout, TLS, connection dropped. Retry with backoff.
    └── BadResponse          not JSON, wrong shape, too large, redirect, unexpected status.
                             `.field` names the offending field for shape errors.

Safety rules kept here, in one place:
- The key travels only in the Authorization header, only to the configured host: redirects are
  never followed (a 3xx is a `BadResponse`), so a redirect cannot carry the key elsewhere.
- TLS verification is always on; every request has connect and read timeouts and an overall
  deadline covering connect, TLS, headers and body (`api/deadline.py`'s `RequestWatch`): every
  socket operation gets only the time left, past it nothing more is read, and the request ends
  with a `NetworkError` saying the server answered too slowly, however the server dribbles its
  bytes.
- The body is read up to `MAX_BODY_BYTES`; anything larger is refused without reading it all.
- No message produced here contains the key.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthError",
    "BadResponse",
    "BalanceResponse",
    "LensmorClient",
    "NetworkError",
    "RateLimitInfo",
    "RateLimited",
    "ServerError",
    "client_for_profile",
    "problem_of",
]

import email.utils
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

from tray_app import __version__
from tray_app.api.deadline import RequestWatch, WatchedAdapter
from tray_app.api.errors import (
    ApiError,
    AuthError,
    BadResponse,
    NetworkError,
    RateLimited,
    ServerError,
    failure_reason,
)
from tray_app.config.urls import validate_base_url
from tray_app.core.balance import Balance, BalanceFormatError, parse_balance
from tray_app.core.fmt import mask_key
from tray_app.core.language import N_, Phrase
from tray_app.core.pacing import PRODUCTION, PacingProfile
from tray_app.core.state import Problem

BALANCE_PATH = "/external/credits/balance"
USER_AGENT = f"lensmor-tray/{__version__} (+https://github.com/lensmor/lensmor-tray)"
MAX_BODY_BYTES = 64 * 1024
CONNECT_TIMEOUT_S = PRODUCTION.connect_timeout
READ_TIMEOUT_S = PRODUCTION.read_timeout
TOTAL_DEADLINE_S = PRODUCTION.request_deadline
DEFAULT_RATE_LIMIT_WAIT_S = 60.0
# A Retry-After larger than this is treated as this: a misconfigured server must not silence
# the monitor for a week.
MAX_RATE_LIMIT_WAIT_S = 6 * 3600.0


@dataclass(frozen=True)
class RateLimitInfo:
    """The X-RateLimit-* headers of a successful answer (each None when absent)."""

    limit: int | None
    remaining: int | None
    reset_at: float | None  # Unix seconds


@dataclass(frozen=True)
class BalanceResponse:
    balance: Balance
    rate_limit: RateLimitInfo
    trace_id: str | None


class _BearerAuth(requests.auth.AuthBase):
    # Passing auth explicitly also stops requests from consulting ~/.netrc for this host.
    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.key}"
        return request

    def __repr__(self) -> str:
        return "<BearerAuth ***>"


class LensmorClient:
    """Fetches the balance. Thread-compatible: one poll at a time (the scheduler guarantees it)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        read_timeout: float = READ_TIMEOUT_S,
        total_deadline: float = TOTAL_DEADLINE_S,
    ) -> None:
        self.base_url = validate_base_url(base_url)
        self._auth = _BearerAuth(api_key)
        self._watch = RequestWatch()
        if session is None:
            session = requests.Session()
            adapter = WatchedAdapter(self._watch)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        # A session given from outside (the tests' in-memory transport) keeps its adapters;
        # its requests have no sockets for the deadline to cut.
        self._session = session
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.headers["Accept"] = "application/json"
        self._session.verify = True
        self._clock = clock
        # A connect never outlasts the whole deadline (and the watch cuts every timeout down
        # to the time left).
        self._timeout = (min(connect_timeout, total_deadline), read_timeout)
        self._deadline = total_deadline

    def __repr__(self) -> str:
        return f"LensmorClient({self.base_url!r}, key=***)"

    def close(self) -> None:
        """Release the connection; a request in flight on another thread ends at once."""
        self._watch.close()
        self._session.close()

    def fetch_balance(self) -> BalanceResponse:
        """One GET of the balance. Returns it or raises an `ApiError` subclass. Ends by the
        overall deadline whatever the server does."""
        self._watch.arm(self._deadline)
        try:
            return self._fetch()
        except ApiError:
            if self._watch.expired:
                raise self._too_slow() from None
            raise
        finally:
            self._watch.disarm()

    def _too_slow(self) -> NetworkError:
        return NetworkError(
            N_("{url} answered too slowly (no complete answer in {seconds} s)"),
            values={"url": self.base_url, "seconds": f"{self._deadline:g}"},
        )

    def _fetch(self) -> BalanceResponse:
        # requests can raise after a response arrived (a redirect's malformed Location is
        # parsed even with allow_redirects=False). That response was never closed: its socket
        # lived on in the exception's traceback until the garbage collector found it (the
        # "unclosed socket" warning once filtered in pyproject.toml). The hook keeps hold of
        # it so it is closed here.
        received: list[requests.Response] = []
        try:
            response = self._get(received)
        except BaseException:
            for leftover in received:
                leftover.close()
            raise
        with response:
            return self._handle(response)

    def _get(self, received: list[requests.Response]) -> requests.Response:
        def keep(response: requests.Response, *args: object, **kwargs: object) -> None:
            received.append(response)

        try:
            return self._session.get(
                self.base_url + BALANCE_PATH,
                auth=self._auth,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
                # verify is also set on the session; repeating it here means an environment
                # variable such as CURL_CA_BUNDLE can never switch verification off.
                verify=True,
                hooks={"response": keep},
            )
        except requests.exceptions.SSLError as exc:
            raise NetworkError(
                N_("TLS error talking to {url}: {reason}"),
                values={"url": self.base_url, "reason": Phrase(failure_reason(exc))},
            ) from None
        except requests.exceptions.Timeout:
            raise NetworkError(
                N_("{url} did not answer in time"), values={"url": self.base_url}
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise NetworkError(
                N_("cannot reach {url}: {reason}"),
                values={"url": self.base_url, "reason": Phrase(failure_reason(exc))},
            ) from None
        except requests.exceptions.RequestException as exc:
            raise NetworkError(
                N_("request to {url} failed: {reason}"),
                values={"url": self.base_url, "reason": Phrase(failure_reason(exc))},
            ) from None
        except (ValueError, UnicodeError, urllib3.exceptions.HTTPError) as exc:
            # requests parses a redirect's Location even with allow_redirects=False
            # (Session.send -> get_redirect_target); a non-UTF-8 or malformed one raises here.
            raise BadResponse(
                N_("the API sent a malformed answer ({error}); check base_url"),
                values={"error": type(exc).__name__},
            ) from None

    def _handle(self, response: requests.Response) -> BalanceResponse:
        status = response.status_code
        header_trace = self._scrub(response.headers.get("X-Request-ID")) or None
        if 300 <= status < 400:
            where = self._scrub(response.headers.get("Location")) or "elsewhere"
            raise BadResponse(
                N_("the server redirected to {where}; refusing to follow (check base_url)"),
                status=status,
                trace_id=header_trace,
                values={"where": _strip_query(where)},
            )
        raw = self._read_body(response, header_trace)
        data = _decode_json(raw)
        trace_id = self._scrub(_body_trace_id(data)) or header_trace
        if status == 200:
            if data is _NOT_JSON:
                kind = response.headers.get("Content-Type", "no content type").split(";")[0]
                raise BadResponse(
                    N_("the API answered with something that is not JSON ({kind})"),
                    trace_id=trace_id,
                    values={"kind": kind[:60]},
                )
            try:
                balance = parse_balance(data)
            except BalanceFormatError as exc:
                raise BadResponse(
                    N_("unexpected balance from the API: {detail}"),
                    field=exc.field,
                    trace_id=trace_id,
                    values={"detail": str(exc)},
                ) from None
            return BalanceResponse(balance, _rate_limit_info(response), trace_id)
        message = self._scrub(_body_message(data))
        if status in (401, 403):
            error_key = data.get("errorKey") if isinstance(data, dict) else None
            raise AuthError(
                message or N_("the API key was rejected"),
                status=status,
                error_key=self._scrub(error_key) if isinstance(error_key, str) else None,
                trace_id=trace_id,
                values=None if message else {},  # the server's words, or ours
            )
        if status == 429:
            raise RateLimited(
                message or N_("rate limit exceeded"),
                retry_after=self._retry_after(response),
                trace_id=trace_id,
                values=None if message else {},
            )
        if 500 <= status < 600:
            raise ServerError(
                N_("the Lensmor API had a server error (HTTP {status})"),
                status=status,
                trace_id=trace_id,
                values={"status": status},
            )
        if message:
            raise BadResponse(
                N_("unexpected HTTP {status} from the API: {message}"),
                status=status,
                trace_id=trace_id,
                values={"status": status, "message": message},
            )
        raise BadResponse(
            N_("unexpected HTTP {status} from the API"),
            status=status,
            trace_id=trace_id,
            values={"status": status},
        )

    def _scrub(self, text: str | None) -> str | None:
        """Server text (message, traceId, Location, errorKey) made safe to log and print: our
        own key masked (a server or proxy that echoes the Authorization value back must not get
        it into a log or onto a screen), and control characters (newlines, ESC) replaced, so a
        message can neither break the one-line error nor fake output lines."""
        if not text:
            return text
        key = self._auth.key
        if key and key in text:
            text = text.replace(key, mask_key(key))
        return "".join(c if c.isprintable() else " " for c in text)

    def _read_body(self, response: requests.Response, trace_id: str | None) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise BadResponse(
                N_("the API answer is too large ({size} bytes)"),
                trace_id=trace_id,
                values={"size": f"{int(declared):,}"},
            )
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = response.raw.read1(8192, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise BadResponse(
                        N_("the API answer is larger than {size} bytes"),
                        trace_id=trace_id,
                        values={"size": f"{MAX_BODY_BYTES:,}"},
                    )
                chunks.append(chunk)
        except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as exc:
            raise NetworkError(
                N_("the connection to {url} broke: {reason}"),
                trace_id=trace_id,
                values={"url": self.base_url, "reason": Phrase(failure_reason(exc))},
            ) from None
        if self._watch.expired:
            # The watch shut the socket down mid-body: what arrived is a truncated answer.
            raise self._too_slow()
        return b"".join(chunks)

    def _retry_after(self, response: requests.Response) -> float:
        now = self._clock()
        header = response.headers.get("Retry-After", "").strip()
        wait: float | None = None
        if header:
            try:
                wait = float(header)
            except ValueError:
                wait = _http_date_wait(header, now)
        if wait is None or not math.isfinite(wait):
            reset = _header_number(response, "X-RateLimit-Reset")
            wait = reset - now if reset is not None else None
        if wait is None or not math.isfinite(wait):
            wait = DEFAULT_RATE_LIMIT_WAIT_S
        return min(max(wait, 1.0), MAX_RATE_LIMIT_WAIT_S)


def problem_of(exc: ApiError) -> Problem:
    """The kind of problem an error is, for the core (which words it and decides the pace)."""
    if isinstance(exc, AuthError):
        return Problem.KEY_REJECTED
    if isinstance(exc, RateLimited):
        return Problem.RATE_LIMITED
    if isinstance(exc, ServerError):
        return Problem.SERVER
    if isinstance(exc, NetworkError):
        return Problem.OFFLINE
    return Problem.BAD_RESPONSE


def client_for_profile(base_url: str, api_key: str, profile: PacingProfile) -> LensmorClient:
    """A client with the request limits of `profile` (the demo compresses them too)."""
    return LensmorClient(
        base_url,
        api_key,
        connect_timeout=profile.connect_timeout,
        read_timeout=profile.read_timeout,
        total_deadline=profile.request_deadline,
    )


def _http_date_wait(header: str, now: float) -> float | None:
    """Seconds until an HTTP-date Retry-After, or None when it is not a valid date."""
    try:
        parsed = email.utils.parsedate_to_datetime(header)
        return parsed.timestamp() - now
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


class _NotJson:
    pass


_NOT_JSON = _NotJson()


def _decode_json(raw: bytes) -> Any:
    if not raw:
        return _NOT_JSON
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NOT_JSON


def _refuse_constant(name: str) -> Any:
    # json accepts NaN/Infinity by default; the API contract (JSON) does not.
    raise ValueError(f"{name} is not valid JSON")


def _body_trace_id(data: Any) -> str | None:
    if isinstance(data, dict):
        trace = data.get("traceId")
        if isinstance(trace, str) and trace and len(trace) <= 200:
            return trace
    return None


def _body_message(data: Any) -> str | None:
    if isinstance(data, dict):
        message = data.get("message")
        if isinstance(message, str) and message.strip():
            return message.strip()[:200]
    return None


def _header_number(response: requests.Response, name: str) -> float | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _header_int(response: requests.Response, name: str) -> int | None:
    number = _header_number(response, name)
    return int(number) if number is not None and number >= 0 else None


def _rate_limit_info(response: requests.Response) -> RateLimitInfo:
    return RateLimitInfo(
        limit=_header_int(response, "X-RateLimit-Limit"),
        remaining=_header_int(response, "X-RateLimit-Remaining"),
        reset_at=_header_number(response, "X-RateLimit-Reset"),
    )


def _strip_query(url: str) -> str:
    # Shown to the user; a query string could hold anything, so leave it out.
    return url.split("?", 1)[0][:200]
