"""The real client against the real simulated API on loopback: no patched requests."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support.waiting import poll_until
from tray_app.api.client import (
    MAX_BODY_BYTES,
    USER_AGENT,
    AuthError,
    BadResponse,
    LensmorClient,
    NetworkError,
    RateLimited,
    ServerError,
)
from tray_app.api.deadline import RequestWatch, WatchedAdapter
from tray_app.config.model import ConfigError
from tray_app.demo.server import DEMO_KEY, Fault, SimulatedLensmorServer


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as srv:
        yield srv


def client_for(server: SimulatedLensmorServer, key: str = DEMO_KEY, **kw: float) -> LensmorClient:
    return LensmorClient(server.url, key, **kw)


def test_fetches_the_balance_with_bearer_auth_and_user_agent(
    server: SimulatedLensmorServer,
) -> None:
    response = client_for(server).fetch_balance()
    assert response.balance.to_api_dict() == server.account.snapshot()
    request = server.account.requests[-1]
    assert request.header("Authorization") == f"Bearer {DEMO_KEY}"
    assert request.header("User-Agent") == USER_AGENT
    assert "lensmor-tray/" in USER_AGENT
    assert DEMO_KEY not in request.path


def test_rate_limit_headers_of_a_success_are_kept(server: SimulatedLensmorServer) -> None:
    server.account.set_rate_limit(10, 60)
    response = client_for(server).fetch_balance()
    assert response.rate_limit.limit == 10
    assert response.rate_limit.remaining == 9
    assert response.rate_limit.reset_at is not None
    assert response.rate_limit.reset_at > time.time() - 1
    assert response.trace_id  # the X-Request-ID header


def test_keep_alive_reuses_one_connection(server: SimulatedLensmorServer) -> None:
    client = client_for(server)
    for _ in range(3):
        client.fetch_balance()
    ports = {r.client_port for r in server.account.requests}
    assert len(ports) == 1


def test_a_rejected_key_is_an_auth_error_with_error_key_and_trace(
    server: SimulatedLensmorServer,
) -> None:
    with pytest.raises(AuthError) as info:
        client_for(server, key="uak_wrongwrongwrongwrong").fetch_balance()
    assert info.value.status == 401
    assert info.value.error_key == "INVALID_API_KEY"
    assert info.value.trace_id
    assert "uak_wrong" not in str(info.value)


def test_429_carries_retry_after(server: SimulatedLensmorServer) -> None:
    server.account.set_rate_limit(1, 60)
    client = client_for(server)
    client.fetch_balance()
    with pytest.raises(RateLimited) as info:
        client.fetch_balance()
    assert 1 <= info.value.retry_after <= 60
    assert info.value.trace_id


def test_429_without_retry_after_uses_the_reset_header() -> None:
    reset_at = int(time.time() + 40)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"code": 429, "message": "slow down", "traceId": "t-1"}).encode()
            self.send_response(429)
            self.send_header("X-RateLimit-Reset", str(reset_at))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(RateLimited) as info:
            LensmorClient(f"http://127.0.0.1:{httpd.server_address[1]}", DEMO_KEY).fetch_balance()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert 30 <= info.value.retry_after <= 41
    assert info.value.trace_id == "t-1"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_a_server_error(server: SimulatedLensmorServer, status: int) -> None:
    server.account.inject(Fault.status(status))
    with pytest.raises(ServerError) as info:
        client_for(server).fetch_balance()
    assert info.value.status == status
    assert info.value.trace_id


@pytest.mark.parametrize(
    ("raw", "content_type", "words"),
    [
        (b"<html>Bad gateway</html>", "text/html", "not JSON (text/html)"),
        (b"", "application/json", "not JSON"),
        (b'{"totalAmount": 1', "application/json", "not JSON"),
        (b'{"totalAmount": NaN}', "application/json", "not JSON"),
        (b"[1, 2]", "application/json", "body: expected a JSON object"),
        (
            json.dumps({"totalAmount": 10, "totalBalance": "5"}).encode(),
            "application/json",
            "subscriptionAmount: missing",
        ),
    ],
)
def test_malformed_bodies_are_bad_responses(
    server: SimulatedLensmorServer, raw: bytes, content_type: str, words: str
) -> None:
    server.account.inject(Fault.body(raw, content_type=content_type))
    with pytest.raises(BadResponse) as info:
        client_for(server).fetch_balance()
    assert words in str(info.value)


def test_a_wrong_field_is_named(server: SimulatedLensmorServer) -> None:
    body = dict(server.account.snapshot())
    body["giftBalance"] = True
    server.account.inject(Fault.body(json.dumps(body).encode()))
    with pytest.raises(BadResponse) as info:
        client_for(server).fetch_balance()
    assert info.value.field == "giftBalance"


def test_an_unexpected_status_is_a_bad_response(server: SimulatedLensmorServer) -> None:
    server.account.inject(Fault.status(418))
    with pytest.raises(BadResponse) as info:
        client_for(server).fetch_balance()
    assert info.value.status == 418


@pytest.mark.parametrize("declare_length", [True, False])
def test_an_oversized_body_is_refused_without_reading_it_all(
    server: SimulatedLensmorServer, declare_length: bool
) -> None:
    server.account.inject(Fault.oversized(20 * 1024 * 1024, declare_length=declare_length))
    started = time.monotonic()
    with pytest.raises(BadResponse, match=r"too large|larger than"):
        client_for(server).fetch_balance()
    assert time.monotonic() - started < 5
    assert MAX_BODY_BYTES < 1024 * 1024


def test_a_stalled_server_times_out(server: SimulatedLensmorServer) -> None:
    server.account.inject(Fault.stall())
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer in time"):
        client_for(server, read_timeout=0.5).fetch_balance()
    assert time.monotonic() - started < 5


def test_a_trickling_body_hits_the_overall_deadline(server: SimulatedLensmorServer) -> None:
    server.account.inject(Fault.trickle(40))
    started = time.monotonic()
    with pytest.raises(NetworkError, match="too slowly"):
        client_for(server, read_timeout=2, total_deadline=1.0).fetch_balance()
    assert time.monotonic() - started < 6


def test_dribbled_headers_end_at_the_overall_deadline_with_the_socket_closed(
    server: SimulatedLensmorServer,
) -> None:
    # One byte every 0.2 s: each read beats the 1 s read timeout, so only the overall
    # deadline can end it (before issue 11 this request waited for the whole dribble).
    server.account.inject(Fault.slow_headers(0.2))
    client = client_for(server, read_timeout=1.0, total_deadline=1.0)
    started = time.monotonic()
    with pytest.raises(NetworkError, match="answered too slowly"):
        client.fetch_balance()
    elapsed = time.monotonic() - started
    client.close()
    # The dribble takes tens of seconds; 4 s leaves room for a loaded machine.
    assert 0.9 < elapsed < 4.0
    # The server sees the connection go: its handler stops dribbling and the next request,
    # on a new connection, is answered normally.
    poll_until(lambda: server.open_connections == 0, 3, "the server saw the client hang up")
    assert client_for(server).fetch_balance().balance.total_balance > 0


def test_the_deadline_also_cuts_a_kept_alive_connection(server: SimulatedLensmorServer) -> None:
    client = client_for(server, read_timeout=1.0, total_deadline=1.0)
    client.fetch_balance()  # opens the keep-alive connection the next request reuses
    server.account.inject(Fault.slow_headers(0.2))
    started = time.monotonic()
    with pytest.raises(NetworkError, match="answered too slowly"):
        client.fetch_balance()
    assert time.monotonic() - started < 2.0
    assert client.fetch_balance().balance.total_balance > 0  # the client is usable again
    client.close()


def test_the_deadline_also_cuts_a_request_through_a_dribbling_proxy(
    server: SimulatedLensmorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The simulated server serves absolute-URI requests too, so it stands in for an HTTP
    # proxy here (the requests go to it, not to the host in the URL).
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.delenv("no_proxy", raising=False)
    server.account.inject(Fault.slow_headers(0.2))
    client = LensmorClient("http://localhost:9", DEMO_KEY, read_timeout=1.0, total_deadline=1.0)
    started = time.monotonic()
    with pytest.raises(NetworkError, match="answered too slowly"):
        client.fetch_balance()
    assert time.monotonic() - started < 2.0
    assert server.account.requests[-1].path.startswith("http://localhost:9/")  # via the proxy
    client.close()


def test_a_malformed_redirect_closes_its_connection_at_once(
    server: SimulatedLensmorServer,
) -> None:
    # requests raises while parsing a non-UTF-8 Location, after the response arrived. Its
    # socket used to stay open inside the exception's traceback until the garbage collector
    # ran (then pytest's "unclosed socket" warning hit whichever test was running).
    server.account.inject(Fault.redirect("https://elsewhere.example/\u00e9"))
    client = client_for(server)
    with pytest.raises(BadResponse, match="malformed answer") as raised:
        client.fetch_balance()
    poll_until(lambda: server.open_connections == 0, 3, "the server saw the client hang up")
    assert raised.value is not None  # the exception (and its traceback) is still alive here
    client.close()


def test_a_dropped_connection_is_a_network_error(server: SimulatedLensmorServer) -> None:
    server.account.inject(Fault.drop())
    with pytest.raises(NetworkError):
        client_for(server).fetch_balance()


def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NetworkError, match="connection refused"):
        LensmorClient(f"http://127.0.0.1:{port}", DEMO_KEY).fetch_balance()


def test_dns_failure_is_a_network_error() -> None:
    with pytest.raises(NetworkError, match="could not be resolved"):
        LensmorClient("https://does-not-exist.invalid", DEMO_KEY, connect_timeout=3).fetch_balance()


def test_a_redirect_to_another_host_never_gets_the_key(server: SimulatedLensmorServer) -> None:
    with SimulatedLensmorServer() as elsewhere:
        server.account.inject(Fault.redirect(elsewhere.url + "/external/credits/balance"))
        with pytest.raises(BadResponse, match="redirected"):
            client_for(server).fetch_balance()
        assert elsewhere.account.requests == []


def test_plain_http_to_a_remote_host_is_refused_before_connecting() -> None:
    with pytest.raises(ConfigError, match="plain http"):
        LensmorClient("http://platform.lensmor.com", DEMO_KEY)


def test_the_client_repr_hides_the_key(server: SimulatedLensmorServer) -> None:
    assert DEMO_KEY not in repr(client_for(server))


# -- TLS: a self-signed HTTPS server on loopback, verification on ---------------------------


def test_an_untrusted_certificate_is_a_network_error(
    self_signed_https: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even an environment that tries to switch verification off does not.
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    with pytest.raises(NetworkError, match="TLS error"):
        LensmorClient(self_signed_https, DEMO_KEY).fetch_balance()


def test_requests_start_no_thread_for_their_deadline(server: SimulatedLensmorServer) -> None:
    """Issue 20: a watchdog thread woken at the start and the end of every request cost each
    poll two thread wake-ups; the sockets now keep the deadline themselves."""
    client = client_for(server)
    client.fetch_balance()  # the connection pool and anything lazy exist from here on
    before = {t.ident for t in threading.enumerate()}
    for _ in range(5):
        client.fetch_balance()
    assert {t.ident for t in threading.enumerate()} == before
    client.close()


def test_an_armed_watch_cuts_every_timeout_down_to_the_time_left() -> None:
    watch = RequestWatch()
    assert watch.clip(10.0) == 10.0  # idle: unchanged
    assert watch.clip(None) is None
    watch.arm(2.0)
    assert 1.5 < watch.clip(10.0) <= 2.0
    assert watch.clip(0.5) == 0.5
    assert 1.5 < watch.clip(None) <= 2.0  # no timeout of its own: the deadline's
    watch.close()  # cut: nothing is left, and a read is refused
    assert watch.expired
    assert watch.clip(10.0) == pytest.approx(0.001)
    with pytest.raises(TimeoutError):
        watch.timeout_for_read(10.0)
    watch.disarm()
    assert watch.timeout_for_read(10.0) == 10.0


def test_a_request_keeps_its_own_deadline_not_the_one_before() -> None:
    """Each request has its own deadline: one armed after a short one is not cut when the
    short one's deadline passes."""
    watch = RequestWatch()
    watch.arm(0.2)
    watch.disarm()
    watch.arm(30.0)
    time.sleep(0.5)
    assert not watch.expired
    watch.disarm()
    watch.arm(0.1)  # and a short one after a long one is cut on time
    poll_until(lambda: watch.expired, 2, "the second deadline")
    with pytest.raises(TimeoutError):
        watch.timeout_for_read(10.0)
    watch.disarm()


@pytest.fixture
def dribbling_tls_listener() -> Iterator[str]:
    """A TCP server that answers a TLS ClientHello with the header of a 16 KB handshake record,
    then one byte of it every 0.2 s: each read is quick, so only the overall deadline ends the
    handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(0.2)
                with contextlib.suppress(OSError):
                    conn.recv(4096)
                    conn.sendall(bytes([0x16, 0x03, 0x03, 0x40, 0x00]))
                    while not stop.wait(0.2):
                        conn.sendall(b"\x00")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://localhost:{listener.getsockname()[1]}"
    stop.set()
    listener.close()
    thread.join(5)


def test_a_dribbled_tls_handshake_ends_at_the_overall_deadline(
    dribbling_tls_listener: str,
) -> None:
    client = LensmorClient(
        dribbling_tls_listener, DEMO_KEY, connect_timeout=5, read_timeout=5, total_deadline=1.0
    )
    started = time.monotonic()
    with pytest.raises(NetworkError, match="answered too slowly"):
        client.fetch_balance()
    assert 0.9 < time.monotonic() - started < 3.0
    client.close()


def test_a_handshake_started_late_in_a_request_gets_only_the_time_left(
    dribbling_tls_listener: str,
) -> None:
    """The connect timeout (here 5 s) is cut down to what is left of the deadline, and the
    TLS handshake inherits it."""
    watch = RequestWatch()
    session = requests.Session()
    session.mount("https://", WatchedAdapter(watch))
    watch.arm(1.5)
    time.sleep(0.5)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.RequestException):
        session.get(dribbling_tls_listener, timeout=(5, 5), verify=False)
    assert time.monotonic() - started < 2.0
    assert watch.expired
    session.close()


def test_closing_the_client_ends_a_request_in_flight_on_another_thread(
    server: SimulatedLensmorServer,
) -> None:
    """At quit, the poll thread's request (here one waiting on a server that says nothing)
    ends at once, not at its read timeout or its deadline."""
    server.account.inject(Fault.stall())
    client = client_for(server, read_timeout=30.0, total_deadline=60.0)
    failures: list[BaseException] = []

    def poll() -> None:
        try:
            client.fetch_balance()
        except NetworkError as exc:
            failures.append(exc)

    thread = threading.Thread(target=poll)
    thread.start()
    poll_until(lambda: server.open_connections == 1, 5, "the request to be in flight")
    time.sleep(0.3)
    started = time.monotonic()
    client.close()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 2.0
    assert len(failures) == 1
    assert "too slowly" in str(failures[0])


def test_a_proxy_dribbling_its_answer_to_connect_ends_at_the_overall_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTPS through an HTTP proxy: the proxy's answer to CONNECT is read through the deadline
    too (a broken proxy is one of the things that dribble)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)  # CONNECT localhost:9 HTTP/1.1 ...
                for byte in b"HTTP/1.1 200 Connection established\r\n" * 100:
                    if stop.wait(0.2):
                        return
                    conn.sendall(bytes([byte]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{listener.getsockname()[1]}")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.delenv("no_proxy", raising=False)
    client = LensmorClient(
        "https://localhost:9", DEMO_KEY, connect_timeout=5, read_timeout=5, total_deadline=1.0
    )
    started = time.monotonic()
    try:
        with pytest.raises(NetworkError, match="answered too slowly"):
            client.fetch_balance()
        assert time.monotonic() - started < 3.0
    finally:
        stop.set()
        listener.close()
        client.close()
        thread.join(5)
