"""An overall deadline for one HTTP request: connect, TLS, headers and body together.

requests and urllib3 only know per-operation timeouts: a connect timeout, and a read timeout
that restarts with every byte received. A server (or a captive portal, or a broken proxy)
that dribbles its status line and headers one byte every few seconds therefore holds a
request forever: every single read finishes inside the read timeout (issue 11 measured
`lensmor-tray status` still waiting after 120 s).

`RequestWatch` is a watchdog: armed when a request starts, it fires at the deadline and shuts
down the socket of every connection the request has used, wherever the request is blocked
(TLS handshake, waiting for the status line, reading the body). The blocked read then fails at
once; the caller sees `expired` and reports "too slow". Until it is disarmed it keeps
cutting, every `RECHECK_S`, so a connection whose socket appeared after the deadline (a connect
that was still in progress) is cut too.

`WatchedAdapter` is the requests transport adapter whose connection pools hand every
connection they lend out to the watch: the pool classes are chosen through urllib3's
`pool_classes_by_scheme`, and the pool's `_get_conn` is where a connection (new or kept
alive) is lent.

Not covered: a DNS lookup in progress (getaddrinfo cannot be interrupted from Python); the
connect timeout bounds it per address.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

RECHECK_S = 0.05


class RequestWatch:
    """The deadline of the request in flight (one at a time per client).

    One watchdog thread per watch, started with the first request and kept: starting and
    joining a thread for every request cost each poll about 0.2 ms of CPU (issue 20). Between
    requests it waits without a timeout, so an idle app does not wake for it; `close()` ends
    it (the client closes its watch, and also when it is collected without being closed)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._connections: list[Any] = []
        self._thread: threading.Thread | None = None
        self._armed = False
        self._deadline = 0.0  # time.monotonic() at which the armed request expires
        self._aborted = False
        self._closed = False
        self.expired = False

    def arm(self, seconds: float) -> None:
        with self._cond:
            self._connections = []
            self.expired = False
            self._aborted = False
            self._armed = True
            self._deadline = time.monotonic() + seconds
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watchdog, name="lensmor-request-deadline", daemon=True
                )
                self._thread.start()
            else:
                self._cond.notify_all()  # it waits with no timeout: here is the deadline

    def disarm(self) -> None:
        with self._cond:
            self._armed = False
            self._connections = []
            # Woken so that it waits without a timeout again, rather than at the deadline of
            # a request long finished (a wake-up of an idle app).
            self._cond.notify_all()

    def abort(self) -> None:
        """End the request in flight now, as if its deadline had passed (at quit)."""
        with self._cond:
            self._aborted = True
            self._cond.notify_all()

    def close(self) -> None:
        """End the request in flight now and the watchdog with it (the client is closed)."""
        with self._cond:
            self._aborted = True
            self._closed = True
            self._cond.notify_all()
        # Not joined: a request still in flight on another thread ends first (now cut), and
        # the watchdog right after it; a quit must not wait for that.

    def watch(self, connection: Any) -> None:
        """A connection the current request uses (called by the pool as it lends one)."""
        with self._cond:
            if not self._armed:
                return
            self._connections.append(connection)
            if self.expired:
                _cut(connection)

    def _watchdog(self) -> None:
        with self._cond:
            while True:
                if not self._armed:
                    if self._closed:
                        self._thread = None  # a later arm() starts a new one
                        return
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0 and not self._aborted:
                    self._cond.wait(remaining)
                    continue
                # Past the deadline (or aborted): cut now, then again every RECHECK_S until
                # the request ends, for a socket that appeared meanwhile (a connect in progress).
                self.expired = True
                for connection in self._connections:
                    _cut(connection)
                self._cond.wait(RECHECK_S)


def _cut(connection: Any) -> None:
    # shutdown, not close: close() from another thread leaves a blocked recv() waiting on
    # Linux, while shutdown() wakes it at once with EOF; the owner then closes the socket.
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _WatchedPoolMixin:
    watch: RequestWatch | None = None

    def _get_conn(self, timeout: float | None = None) -> HTTPConnection:
        conn: HTTPConnection = super()._get_conn(timeout)  # type: ignore[misc]
        if self.watch is not None:
            self.watch.watch(conn)
        return conn


def _watched_pool_classes(watch: RequestWatch) -> dict[str, type[HTTPConnectionPool]]:
    """Pool classes bound to `watch` (one pair per client: a pool manager builds its pools
    from these classes, so this is how the watch reaches a pool without touching urllib3's
    pool keys)."""

    class WatchedHTTPConnectionPool(_WatchedPoolMixin, HTTPConnectionPool):
        pass

    class WatchedHTTPSConnectionPool(_WatchedPoolMixin, HTTPSConnectionPool):
        pass

    WatchedHTTPConnectionPool.watch = watch
    WatchedHTTPSConnectionPool.watch = watch
    return {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, with every lent connection reported to `watch`, direct or through
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
