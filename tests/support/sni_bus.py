"""A real private D-Bus session bus, a client for it and a minimal StatusNotifier watcher.

For the protocol tests of the native tray item (tests/test_sni_*.py). The bus is a real
`dbus-daemon` started from the desktop harness's configuration (it activates nothing); the
watcher is a stand-in written with dbus-fast that does what every host's watcher does for an
item: own `org.kde.StatusNotifierWatcher` and record `RegisterStatusNotifierItem` calls. The
real hosts (xfce4-panel, waybar, gnome-shell) are exercised by tests/desktop/test_sni_*.py.
"""

# No `from __future__ import annotations`: dbus-fast reads D-Bus signatures from annotations
# and a postponed "None" return annotation is not one.

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pytest
from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusBool, DBusSignature, DBusStr
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property

from tests.desktop.conftest import running_on_ci
from tests.desktop.harness import BUS_CONFIG
from tray_app.core.view import Action
from tray_app.support.aio_loop import AsyncioThread
from tray_app.tray.sni.tray import SniTray

WATCHER = "org.kde.StatusNotifierWatcher"
TIMEOUT = 5.0


@contextmanager
def private_bus() -> Iterator[str]:
    """Start a dbus-daemon on a socket in a temporary folder; yield its address."""
    if shutil.which("dbus-daemon") is None:
        reason = "dbus-daemon is not installed (Debian: dbus)"
        if running_on_ci():
            pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="sni-bus-"))
    config = root / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=root / "bus"))
    done = subprocess.run(
        ["dbus-daemon", f"--config-file={config}", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    address, pid = done.stdout.split()[:2]
    try:
        yield address
    finally:
        os.kill(int(pid), signal.SIGTERM)
        shutil.rmtree(root, ignore_errors=True)


def wait_until(predicate: Callable[[], Any], timeout: float = TIMEOUT, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.01)


def unwrap(value: Any) -> Any:
    """Variants and nested containers as plain Python values."""
    if isinstance(value, Variant):
        return unwrap(value.value)
    if isinstance(value, list | tuple):
        return [unwrap(v) for v in value]
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    return value


async def _connect(address: str) -> MessageBus:
    # dbus-fast's MessageBus wants a running loop already when it is constructed.
    return await MessageBus(bus_address=address).connect()


class DBusError(Exception):
    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}: {text}")
        self.name = name


class BusClient:
    """A synchronous test client on its own connection; records every signal it sees."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._loop = AsyncioThread("sni-test-client").start()
        self.signals: list[Message] = []
        #: When each signal arrived (time.monotonic), by position in `signals`.
        self.arrivals: list[float] = []
        self._lock = threading.Lock()
        self.bus: MessageBus = self._run(_connect(address))
        self.bus.add_message_handler(self._record)
        self.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "AddMatch",
            "type='signal'",
            sig="s",
        )

    def _run(self, coro: Any) -> Any:
        return self._loop.submit(coro).result(TIMEOUT)

    def _record(self, message: Message) -> None:
        if message.message_type is MessageType.SIGNAL:
            with self._lock:
                self.signals.append(message)
                self.arrivals.append(time.monotonic())

    def seen(self, member: str, sender: str | None = None) -> list[Message]:
        with self._lock:
            return [
                m
                for m in self.signals
                if m.member == member and (sender is None or m.sender == sender)
            ]

    def arrived(self, member: str) -> list[float]:
        """When each `member` signal arrived, in order."""
        with self._lock:
            pairs = zip(self.signals, self.arrivals, strict=True)
            return [at for message, at in pairs if message.member == member]

    def clear(self) -> None:
        with self._lock:
            self.signals.clear()
            self.arrivals.clear()

    def call(
        self,
        dest: str,
        path: str,
        iface: str,
        member: str,
        *args: Any,
        sig: str = "",
    ) -> list[Any]:
        message = Message(
            destination=dest,
            path=path,
            interface=iface,
            member=member,
            signature=sig,
            body=list(args),
        )
        reply = self._run(self.bus.call(message))
        if reply.message_type is MessageType.ERROR:
            raise DBusError(reply.error_name or "", str(reply.body[0] if reply.body else ""))
        return list(reply.body)

    def get_all(self, dest: str, path: str, iface: str) -> dict[str, Any]:
        (props,) = self.call(
            dest, path, "org.freedesktop.DBus.Properties", "GetAll", iface, sig="s"
        )
        return {k: unwrap(v) for k, v in props.items()}

    def get(self, dest: str, path: str, iface: str, name: str) -> Any:
        (value,) = self.call(
            dest, path, "org.freedesktop.DBus.Properties", "Get", iface, name, sig="ss"
        )
        return unwrap(value)

    def owner(self, name: str) -> str:
        """The unique name that owns `name`."""
        (unique,) = self.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "GetNameOwner",
            name,
            sig="s",
        )
        return str(unique)

    def has_owner(self, name: str) -> bool:
        (owned,) = self.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            name,
            sig="s",
        )
        return bool(owned)

    def close(self) -> None:
        self.bus.disconnect()
        self._loop.stop()


class _WatcherInterface(ServiceInterface):
    def __init__(self, registered: list[tuple[str, float]]) -> None:
        super().__init__(WATCHER)
        self.registered = registered

    @dbus_method(name="RegisterStatusNotifierItem")
    def register_item(self, service: DBusStr) -> None:
        # The caller's unique name is recorded by MiniWatcher's message handler, which runs
        # first: dbus-fast does not hand the sender to a method.
        self.registered.append((service, time.monotonic()))

    @dbus_method(name="RegisterStatusNotifierHost")
    def register_host(self, service: DBusStr) -> None:
        pass

    @dbus_property(name="RegisteredStatusNotifierItems", access=PropertyAccess.READ)
    def items(self) -> Annotated[list[str], DBusSignature("as")]:
        return [service for service, _ in self.registered]

    @dbus_property(name="IsStatusNotifierHostRegistered", access=PropertyAccess.READ)
    def host(self) -> DBusBool:
        return True


class MiniWatcher:
    """Owns org.kde.StatusNotifierWatcher on its own connection; `stop()` drops the name."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.registered: list[tuple[str, float]] = []
        #: The unique bus name of each registration's caller, in order.
        self.senders: list[str] = []
        self._loop = AsyncioThread("sni-test-watcher").start()
        self._bus: MessageBus | None = None

    def start(self) -> "MiniWatcher":
        async def up() -> MessageBus:
            bus = await MessageBus(bus_address=self.address).connect()
            bus.add_message_handler(self._note_sender)
            bus.export("/StatusNotifierWatcher", _WatcherInterface(self.registered))
            await bus.request_name(WATCHER)
            return bus

        self._bus = self._loop.submit(up()).result(TIMEOUT)
        return self

    def stop(self) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None

    def close(self) -> None:
        self.stop()
        self._loop.stop()

    def _note_sender(self, message: Message) -> None:
        if message.member == "RegisterStatusNotifierItem" and message.sender:
            self.senders.append(message.sender)

    @property
    def services(self) -> list[str]:
        """What each registration passed: a bus name, or an object path (then the item is at
        that path on the caller's connection, as a real watcher pairs them)."""
        return [service for service, _ in self.registered]


@contextmanager
def running_tray(
    address: str, on_action: Callable[[Action], None] | None = None
) -> Iterator[SniTray]:
    """A native tray item on `address`, its `run()` on a thread as the app's main thread."""
    loop = AsyncioThread("sni-test-tray")
    tray = SniTray(on_action or (lambda _action: None), loop, bus_address=address)
    runner = threading.Thread(target=tray.run, args=(lambda: None,), daemon=True)
    runner.start()
    try:
        yield tray
    finally:
        tray.stop()
        runner.join(TIMEOUT)
        loop.stop()
