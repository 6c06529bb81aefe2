"""An overall deadline for one HTTP request: connect, TLS, headers and body together.

requests and urllib3 only know per-operation timeouts: a connect timeout, and a read timeout
that restarts with every byte received. A server (or a captive portal, or a broken proxy)
that dribbles its status line and headers one byte every few seconds therefore holds a
request forever: every single read finishes inside the read timeout (issue 11 measured
`lensmor-tray status` still waiting after 120 s).

`RequestWatch` holds the deadline of the request in flight, and the sockets enforce it
themselves, so no thread watches (issue 20: a watchdog thread woken at the start and the end
of every request cost each poll two thread wake-ups, about eight context switches):
- every timeout urllib3 gives a connection (the TCP connect, which CPython's TLS handshake
  then also takes as its own overall limit, the request's send, the wait for the answer) is
  cut down to the time left (`_WatchedConnectionMixin.timeout`);
- every read of the answer, the status line and headers included, first sets the socket's
  timeout to the time left, and past the deadline reads nothing (`_DeadlineReader`). A
  dribbling server so meets the deadline within the read that was waiting.
`close()` cuts the request in flight from any thread at once (at quit): it shuts down the
socket of every connection the request has used, which wakes a blocked read with EOF.

`WatchedAdapter` is the requests transport adapter whose connection pools build watched
connections and hand every connection they lend out to the watch: the pool classes are chosen
through urllib3's `pool_classes_by_scheme`, the pool's `ConnectionCls` builds the connections,
and the pool's `_get_conn` is where a connection (new or kept alive) is lent.

Not covered: a DNS lookup in progress (getaddrinfo cannot be interrupted from Python); the
connect timeout bounds it per address.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import socket
import threading
import time
from typing import Any, ClassVar

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

# The timeout an operation gets once the deadline has passed: it fails at once with a timeout
# (a timeout of 0 would make the socket non-blocking, which fails differently).
SPENT_TIMEOUT_S = 0.001


class DeadlinePassed(TimeoutError):
    """A read refused: the request's overall deadline has passed (or it was cut)."""


class RequestWatch:
    """The deadline of the request in flight (one at a time per client)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._deadline: float | None = None  # time.monotonic() at which it expires; None: idle
        self._cut = False

    def arm(self, seconds: float) -> None:
        with self._lock:
            self._connections = []
            self._cut = False
            self._deadline = time.monotonic() + seconds

    def disarm(self) -> None:
        with self._lock:
            self._deadline = None
            self._connections = []

    @property
    def expired(self) -> bool:
        """The request in flight was cut, or its deadline has passed."""
        with self._lock:
            return self._cut or (self._deadline is not None and time.monotonic() >= self._deadline)

    def close(self) -> None:
        """End the request in flight now, from any thread (the client is closed)."""
        with self._lock:
            self._cut = True
            connections = list(self._connections)
        for connection in connections:
            _cut(connection)

    def watch(self, connection: Any) -> None:
        """A connection the current request uses (called by the pool as it lends one)."""
        with self._lock:
            if self._deadline is None:
                return
            self._connections.append(connection)
            cut = self._cut
        if cut:
            _cut(connection)

    def clip(self, timeout: Any) -> Any:
        """`timeout` (seconds, None for none, or urllib3's default marker) cut down to the time
        left; unchanged while no request is armed."""
        return _clipped(timeout, self._left())

    def timeout_for_read(self, timeout: float | None) -> float | None:
        """The timeout for the next read of the answer; raises `DeadlinePassed` if no time is
        left."""
        left = self._left()
        if left is not None and left <= 0:
            raise DeadlinePassed("the request's overall deadline has passed")
        return _clipped(timeout, left)  # type: ignore[no-any-return]

    def _left(self) -> float | None:
        """Seconds left until the deadline (0 once cut); None while no request is armed."""
        with self._lock:
            if self._deadline is None:
                return None
            return 0.0 if self._cut else self._deadline - time.monotonic()


def _clipped(timeout: Any, left: float | None) -> Any:
    if left is None:
        return timeout
    if left <= 0:
        return SPENT_TIMEOUT_S
    if isinstance(timeout, (int, float)):
        return min(float(timeout), left)
    return left  # no timeout, or urllib3's default: the time left is the only limit


def _cut(connection: Any) -> None:
    # shutdown, not close: close() from another thread leaves a blocked recv() waiting on
    # Linux, while shutdown() wakes it at once with EOF; the owner then closes the socket.
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _DeadlineReader(io.RawIOBase):
    """The socket's raw reader with the deadline applied before each read."""

    def __init__(self, sock: socket.socket, watch: RequestWatch) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # a socket.SocketIO: counted by the socket
        self._watch = watch
        # The timeout urllib3 set for this answer (the read timeout, already cut down to the
        # time left then; the time left only shrinks, so cutting it again is enough).
        self._timeout = sock.gettimeout()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        timeout = self._watch.timeout_for_read(self._timeout)
        if self._sock.gettimeout() != timeout:
            self._sock.settimeout(timeout)
        return self._raw.readinto(buffer)

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _ReaderMaker:
    """What http.client's response is given for a socket: it only calls `makefile("rb")`."""

    def __init__(self, sock: socket.socket, watch: RequestWatch) -> None:
        self._sock = sock
        self._watch = watch

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._watch))


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response (also a proxy's answer to CONNECT), read through the deadline."""

    watch: ClassVar[RequestWatch]

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(_ReaderMaker(sock, self.watch), *args, **kwargs)  # type: ignore[arg-type]


class _WatchedConnectionMixin:
    """Every timeout urllib3 gives the connection is cut down to the time left."""

    watch: ClassVar[RequestWatch]
    _timeout_given: Any = None

    @property
    def timeout(self) -> Any:
        return self.watch.clip(self._timeout_given)

    @timeout.setter
    def timeout(self, value: Any) -> None:
        self._timeout_given = value


class _WatchedPoolMixin:
    watch: RequestWatch | None = None

    def _get_conn(self, timeout: float | None = None) -> HTTPConnection:
        conn: HTTPConnection = super()._get_conn(timeout)  # type: ignore[misc]
        if self.watch is not None:
            self.watch.watch(conn)
        return conn


def _watched_pool_classes(watch: RequestWatch) -> dict[str, type[HTTPConnectionPool]]:
    """Pool classes bound to `watch` (one set per client: a pool manager builds its pools from
    these classes, and the pools their connections, so this is how the watch reaches a
    connection without touching urllib3's pool keys)."""

    class WatchedResponse(_DeadlineResponse):
        pass

    WatchedResponse.watch = watch

    class WatchedHTTPConnection(_WatchedConnectionMixin, HTTPConnection):
        response_class = WatchedResponse

    class WatchedHTTPSConnection(_WatchedConnectionMixin, HTTPSConnection):
        response_class = WatchedResponse

    WatchedHTTPConnection.watch = watch
    WatchedHTTPSConnection.watch = watch

    class WatchedHTTPConnectionPool(_WatchedPoolMixin, HTTPConnectionPool):
        ConnectionCls = WatchedHTTPConnection

    class WatchedHTTPSConnectionPool(_WatchedPoolMixin, HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPSConnection

    WatchedHTTPConnectionPool.watch = watch
    WatchedHTTPSConnectionPool.watch = watch
    return {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, with every connection under the watch's deadline, direct or through
    an HTTP(S) proxy (a broken proxy is one of the things that dribbles)."""

    def __init__(self, watch: RequestWatch) -> None:
        self._pool_classes = _watched_pool_classes(watch)
        super().__init__()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        # `pool_classes_by_scheme` is urllib3's documented way to choose the pool classes.
        self.poolmanager.pool_classes_by_scheme = dict(self._pool_classes)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools have classes of their own
            manager.pool_classes_by_scheme = dict(self._pool_classes)
        return manager
