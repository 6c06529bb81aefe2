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

Several accounts: `SimulatedLensmorServer(accounts={"Work": a, "Personal": b})` serves each
with its own keys, balance, rate-limit buckets, faults and request log; a request belongs to
the account its key opens (no key or an unknown key: the first, default account). The control
routes above address the default account; `/_control/accounts/<name>/<route>` (the name
URL-encoded) addresses one by name, and `GET /_control/accounts` lists every account's state.
`--demo-accounts` serves the two demo accounts of `tray_app.demo.scenario.DEMO_ACCOUNTS`
(with `--scenario`, each plays its own story).

The parts: `faults` (what can go wrong), `account` (one account's state and the named
accounts), `ratelimit`, `http_handler` (the HTTP side), `control` (the control routes),
`json_fields` (control field readers); this module is the server, the command line and the
façade every importer uses.
"""

from __future__ import annotations

import argparse
import contextlib
import selectors
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType

from tray_app.demo.account import (
    DEFAULT_ACCOUNT,
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW_S,
    DEMO_KEY,
    InsufficientCredits,
    RecordedRequest,
    SimulatedAccount,
    SimulatedAccounts,
)
from tray_app.demo.control import CONTROL_PREFIX
from tray_app.demo.faults import FAULT_KINDS, Fault
from tray_app.demo.http_handler import (
    BALANCE_PATH,
    IDLE_TIMEOUT_S,
    MAX_REQUEST_BODY,
    SimulatorHTTPServer,
    error_body,
    parse_authorization,
)
from tray_app.demo.ratelimit import RateDecision

# The names tests, scripts and the app import from here (the façade of the package's parts).
__all__ = [
    "BALANCE_PATH",
    "CONTROL_PREFIX",
    "DEFAULT_ACCOUNT",
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_RATE_WINDOW_S",
    "DEMO_KEY",
    "FAULT_KINDS",
    "IDLE_TIMEOUT_S",
    "MAX_REQUEST_BODY",
    "Fault",
    "InsufficientCredits",
    "RateDecision",
    "RecordedRequest",
    "SimulatedAccount",
    "SimulatedAccounts",
    "SimulatedLensmorServer",
    "error_body",
    "main",
    "parse_authorization",
]

# close() waits this long in total for handler threads after shutting their sockets down.
CLOSE_JOIN_S = 2.0


class SimulatedLensmorServer:
    """The simulated API on 127.0.0.1. Bound at construction; `start()` begins serving.

    As a context manager it starts on entry and closes on exit. `close()` never hangs: it
    wakes stalled/slow handlers, shuts every open connection down and joins with a deadline.

    It serves one account (`account`, named "default") or several (`accounts`, by name, the
    first being the default); each request goes to the account its key opens. `self.account`
    is the default account, `self.accounts` all of them.
    """

    def __init__(
        self,
        account: SimulatedAccount | None = None,
        *,
        accounts: Mapping[str, SimulatedAccount] | None = None,
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if account is not None and accounts is not None:
            raise ValueError("give either account or accounts, not both")
        if accounts is None:
            accounts = {DEFAULT_ACCOUNT: account or SimulatedAccount(clock=clock)}
        self.accounts = SimulatedAccounts(accounts)
        self.account = self.accounts.default
        self._closing = threading.Event()
        self._httpd = SimulatorHTTPServer(("127.0.0.1", port), self.accounts, self._closing)
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
                    # SimulatorHTTPServer.timeout should the client have vanished meanwhile).
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
    parser.add_argument(
        "--demo-accounts",
        action="store_true",
        help="serve the two demo accounts (Work, Personal) with their own keys instead of --key",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; print `listening on URL` once ready."""
    # Imported here because the stories are only needed for --scenario / --demo-accounts.
    from tray_app.demo.demo_accounts import demo_runners, simulated_demo_accounts
    from tray_app.demo.scenario import ScenarioRunner

    args = _parser().parse_args(argv)
    try:
        if args.demo_accounts:
            accounts = simulated_demo_accounts()
        else:
            accounts = {DEFAULT_ACCOUNT: SimulatedAccount(valid_keys=(args.key,))}
        for account in accounts.values():
            account.set_rate_limit(args.rate_limit, args.window)
        server = SimulatedLensmorServer(accounts=accounts, port=args.port)
    except ValueError as exc:
        print(f"bad option: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    runners: list[ScenarioRunner] = []
    if args.scenario:
        runners = demo_runners(accounts) if args.demo_accounts else [ScenarioRunner(server.account)]
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with server:
            print(f"listening on {server.url}", flush=True)
            for runner in runners:
                runner.start()
            # A timed wait so the signal handler gets to run promptly on every platform.
            while not stop.wait(0.2):
                pass
    finally:
        for runner in runners:
            runner.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
