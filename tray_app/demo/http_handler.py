"""The simulated API's HTTP side: the threading server that tracks its connections, and the
request handler that answers the API (keys, rate limits, faults) and hands `/_control/` requests
to `tray_app.demo.control`."""

from __future__ import annotations

import contextlib
import json
import logging
import select
import socket
import sys
import threading
import uuid
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from tray_app.demo.account import SimulatedAccount, SimulatedAccounts
from tray_app.demo.control import CONTROL_PREFIX, ControlError, answer_control
from tray_app.demo.faults import Fault

log = logging.getLogger(__name__)

BALANCE_PATH = "/external/credits/balance"

# An idle keep-alive connection is closed after this long, as real servers do (nginx: 75 s);
# clients must cope with a pooled connection that the server has closed.
IDLE_TIMEOUT_S = 75.0
# Control bodies are tiny; anything larger is refused rather than read into memory.
MAX_REQUEST_BODY = 1 << 20
# close() waits this long in total for handler threads after shutting their sockets down.

# errorKey for statuses whose generic HTTP name is not what the Lensmor API sends.
_ERROR_KEYS = {401: "INVALID_API_KEY", 429: "RATE_LIMIT_EXCEEDED"}


def error_body(status: int, error_key: str, message: str, trace_id: str) -> bytes:
    """An ApiError JSON body."""
    return json_bytes(
        {"code": status, "message": message, "errorKey": error_key, "traceId": trace_id}
    )


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode("utf-8")


def generic_error(status: int) -> tuple[str, str]:
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


class SimulatorHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its open connections, so close() can cut them."""

    daemon_threads = True
    # close() joins handler threads itself, with a deadline, instead of waiting forever.
    block_on_close = False
    # handle_request() gives up after this long if a connection vanished before accept().
    timeout = 0.5

    def __init__(
        self, address: tuple[str, int], accounts: SimulatedAccounts, closing: threading.Event
    ) -> None:
        self.accounts = accounts
        self.closing = closing
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        super().__init__(address, SimulatorHandler)

    def track(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections[conn] = threading.current_thread()
        if self.closing.is_set():  # raced with close(): do not serve this one
            shutdown_socket(conn)

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
            shutdown_socket(conn)
        return [thread for _, thread in items]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, drop tests) are normal here, not tracebacks on stderr.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            log.debug("connection from %s ended: %r", client_address, exc)
        else:
            log.exception("error serving %s", client_address)


def shutdown_socket(conn: socket.socket) -> None:
    # OSError: already closed by the peer or by the handler.
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


class SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response sets Content-Length
    server_version = "lensmor-sim/1"
    timeout = IDLE_TIMEOUT_S

    _trace_id = ""
    #: Seconds between the bytes of the status line and headers (the slow_headers fault).
    _header_byte_interval: float | None = None

    @property
    def sim(self) -> SimulatorHTTPServer:
        return cast(SimulatorHTTPServer, self.server)

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
        error_key, phrase = generic_error(code)
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
        headers = list(headers)
        # A client that asked to close (or spoke HTTP/1.0) is told the server will: without
        # "Connection: close" in the answer, urllib3 may pool the connection and send the next
        # request down it before the server's FIN arrives (RFC 9112, section 9.6).
        closing = self.close_connection and not any(n.lower() == "connection" for n, _ in headers)
        self.send_response(status)
        if status in (204, 304):  # these never carry a body nor a Content-Length
            content_type, body = "", b""
        elif declare_length:
            self.send_header("Content-Length", str(len(body)))
        else:
            # No length: the body ends when the connection closes (HTTP/1.1 allows it).
            closing = True
        if closing:
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
        self._send(status, json_bytes(data), headers=headers)

    # -- the API ---------------------------------------------------------------------------

    def _api(self, path: str) -> None:
        # The request belongs to the account its key opens (else the default account): that
        # account records it, and its queued faults are the ones served.
        key, problem = parse_authorization(self.headers.get("Authorization"))
        account = self.sim.accounts.for_key(key)
        account.record(self.command, self.path, dict(self.headers.items()), self.client_address[1])
        fault = account.next_fault()
        if fault is not None and fault.kind not in ("slow", "trickle", "slow_headers"):
            self._serve_fault(fault, account)
            return
        if fault is not None and fault.kind == "slow" and self.sim.closing.wait(fault.seconds):
            self.close_connection = True
            return
        status, body, headers = self._api_answer(path, account, key, problem)
        trickle = fault.bytes_per_s if fault is not None and fault.kind == "trickle" else None
        if fault is not None and fault.kind == "slow_headers":
            self._header_byte_interval = fault.seconds
        self._send(status, body, headers=headers, bytes_per_s=trickle)

    def _api_answer(
        self, path: str, account: SimulatedAccount, key: str | None, problem: str | None
    ) -> tuple[int, bytes, list[tuple[str, str]]]:
        trace = self._trace_id
        if path != BALANCE_PATH:
            return 404, error_body(404, "NOT_FOUND", "Not found", trace), []
        if self.command != "GET":
            body = error_body(405, "METHOD_NOT_ALLOWED", "Method not allowed", trace)
            return 405, body, [("Allow", "GET")]
        if key is None or problem is not None:
            return 401, self._unauthorized(problem or "MISSING_API_KEY"), []
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
        return 200, json_bytes(account.snapshot()), headers

    def _unauthorized(self, error_key: str) -> bytes:
        message = "Missing API key" if error_key == "MISSING_API_KEY" else "Invalid API key"
        return error_body(401, error_key, message, self._trace_id)

    def _serve_fault(self, fault: Fault, account: SimulatedAccount) -> None:
        if fault.kind == "drop":
            self.close_connection = True
        elif fault.kind == "stall":
            self._stall()
        elif fault.kind == "status":
            if fault.payload is None:
                error_key, message = generic_error(fault.code)
                self._send_error(fault.code, error_key, message, fault.headers)
            else:
                self._send(fault.code, fault.payload, headers=fault.headers)
        elif fault.kind == "body":
            self._send(fault.code, fault.payload or b"", content_type=fault.content_type)
        elif fault.kind == "oversized":
            body = padded_balance(account.snapshot(), fault.n_bytes)
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
        try:
            result = answer_control(self.sim.accounts, self.command, path, body)
        except ControlError as exc:
            self._send_error(exc.status, exc.error_key, exc.message)
        else:
            self._json(200, result)


def padded_balance(snapshot: Mapping[str, Any], n_bytes: int) -> bytes:
    """The balance JSON grown to exactly n_bytes with whitespace before the closing brace."""
    compact = json_bytes(dict(snapshot))
    if n_bytes <= len(compact):
        return compact[:n_bytes]
    return compact[:-1] + b" " * (n_bytes - len(compact)) + b"}"
