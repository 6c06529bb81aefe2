"""A synchronous D-Bus client for tests: probes StatusNotifierItems the way a tray host does.

It speaks to a private session bus through dbus-fast (the same library the app's native tray
uses, but none of the app's code): the watcher's `RegisteredStatusNotifierItems`, an item's
properties, its dbusmenu layout, and the methods a host calls on a click. It also records the
signals an item and its menu emit, so a test can tell "the row was updated in place"
(`ItemsPropertiesUpdated`) from "the whole menu was replaced" (`LayoutUpdated`).

dbus-fast is asyncio-only; the client runs one event loop on a private thread and hands each
call to it, so tests stay plain synchronous code.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

T = TypeVar("T")

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"
PROPS_IFACE = "org.freedesktop.DBus.Properties"
CALL_TIMEOUT = 5.0


class DBusCallError(Exception):
    """A D-Bus call came back as an error; `name` is the D-Bus error name."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}: {text}")
        self.name = name


@dataclass(frozen=True)
class ItemAddress:
    """Where an item lives: its bus name and object path."""

    bus_name: str
    path: str

    @classmethod
    def parse(cls, registered: str) -> ItemAddress:
        """A watcher entry: ":1.5/StatusNotifierItem" (KDE, xfce, waybar), ":1.5@/path"
        (GNOME's extension) or a bare bus name (the item is then at /StatusNotifierItem)."""
        if "@" in registered:
            name, path = registered.split("@", 1)
        elif "/" in registered:
            name, _, rest = registered.partition("/")
            path = "/" + rest
        else:
            name, path = registered, "/StatusNotifierItem"
        return cls(name, path)


@dataclass(frozen=True)
class MenuNode:
    """One dbusmenu row: its id, properties (unwrapped) and children."""

    id: int
    props: dict[str, Any]
    children: tuple[MenuNode, ...] = field(default=())

    def walk(self) -> list[MenuNode]:
        rows = [self]
        for child in self.children:
            rows += child.walk()
        return rows

    def labels(self) -> list[str]:
        return [str(n.props["label"]) for n in self.walk() if "label" in n.props]


@dataclass(frozen=True)
class Signal:
    sender: str
    path: str
    interface: str
    member: str
    body: list[Any]
    at: float


def _unwrap(value: Any) -> Any:
    if isinstance(value, Variant):
        return _unwrap(value.value)
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _menu_node(raw: list[Any]) -> MenuNode:
    ident, props, children = raw
    return MenuNode(int(ident), _unwrap(props), tuple(_menu_node(_unwrap(c)) for c in children))


class SniClient:
    """One connection to a session bus; use as a context manager."""

    def __init__(self, bus_address: str) -> None:
        self.bus_address = bus_address
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="sni-client", daemon=True
        )
        self._bus: MessageBus | None = None
        self._signals: list[Signal] = []
        self._lock = threading.Lock()

    def __enter__(self) -> SniClient:
        self._thread.start()
        self._bus = self._run(self._connect())
        self._bus.add_message_handler(self._on_message)
        # Signals the tests look at; eavesdropping is not needed for broadcast signals.
        for rule in (
            f"type='signal',interface='{ITEM_IFACE}'",
            f"type='signal',interface='{MENU_IFACE}'",
            f"type='signal',interface='{WATCHER}'",
        ):
            self.call_method(
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "AddMatch",
                "s",
                [rule],
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._bus is not None:
            bus, self._bus = self._bus, None
            with contextlib.suppress(Exception):
                bus.disconnect()
                self._run(bus.wait_for_disconnect(), timeout=2.0)
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if not self._loop.is_closed() and not self._thread.is_alive():
            self._loop.close()

    # -- plumbing ------------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise TimeoutError(f"no D-Bus answer within {timeout} s") from None

    async def _connect(self) -> MessageBus:
        # dbus-fast binds a bus to the running loop when it is built, so build it there.
        return await MessageBus(bus_address=self.bus_address).connect()

    def _on_message(self, message: Message) -> None:
        if message.message_type is MessageType.SIGNAL:
            with self._lock:
                self._signals.append(
                    Signal(
                        message.sender or "",
                        message.path or "",
                        message.interface or "",
                        message.member or "",
                        list(message.body),
                        time.monotonic(),
                    )
                )

    @property
    def unique_name(self) -> str:
        assert self._bus is not None
        return str(self._bus.unique_name)

    def call_method(  # noqa: PLR0917 - the fields of a D-Bus method call, in their order
        self,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
        timeout: float = CALL_TIMEOUT,
    ) -> list[Any]:
        """Call a method and return the reply's body; raise DBusCallError on an error reply."""
        bus = self._bus
        if bus is None:
            raise RuntimeError("the client is closed")
        message = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body or [],
        )
        reply = self._run(bus.call(message), timeout=timeout)
        if reply is None:
            return []
        if reply.message_type is MessageType.ERROR:
            raise DBusCallError(reply.error_name or "?", " ".join(map(str, reply.body)))
        return list(reply.body)

    def request_name(self, name: str) -> None:
        """Own a well-known name on this connection (e.g. to be allow-listed by GNOME)."""
        assert self._bus is not None
        self._run(self._bus.request_name(name))

    # -- the bus -------------------------------------------------------------------------

    def name_has_owner(self, name: str) -> bool:
        return bool(
            self.call_method(
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameHasOwner",
                "s",
                [name],
            )[0]
        )

    def name_owner(self, name: str) -> str | None:
        try:
            return str(
                self.call_method(
                    "org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus",
                    "GetNameOwner",
                    "s",
                    [name],
                )[0]
            )
        except DBusCallError:
            return None

    def connection_pid(self, bus_name: str) -> int:
        return int(
            self.call_method(
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "GetConnectionUnixProcessID",
                "s",
                [bus_name],
            )[0]
        )

    def get_property(self, destination: str, path: str, interface: str, name: str) -> Any:
        return _unwrap(
            self.call_method(destination, path, PROPS_IFACE, "Get", "ss", [interface, name])[0]
        )

    def all_properties(self, destination: str, path: str, interface: str) -> dict[str, Any]:
        raw = self.call_method(destination, path, PROPS_IFACE, "GetAll", "s", [interface])[0]
        return {k: _unwrap(v) for k, v in raw.items()}

    # -- StatusNotifier ------------------------------------------------------------------

    def registered_items(self) -> list[str]:
        """The watcher's list; empty when no watcher runs."""
        try:
            return list(
                self.get_property(WATCHER, WATCHER_PATH, WATCHER, "RegisteredStatusNotifierItems")
            )
        except DBusCallError:
            return []

    def items_of_pid(self, pid: int) -> list[ItemAddress]:
        """Registered items whose bus connection belongs to process `pid`."""
        found = []
        for entry in self.registered_items():
            address = ItemAddress.parse(entry)
            name = address.bus_name
            if not name.startswith(":"):
                name = self.name_owner(name) or name
            with contextlib.suppress(DBusCallError):
                if self.connection_pid(name) == pid:
                    found.append(address)
        return found

    def item_properties(self, item: ItemAddress) -> dict[str, Any]:
        return self.all_properties(item.bus_name, item.path, ITEM_IFACE)

    def item_property(self, item: ItemAddress, name: str) -> Any:
        return self.get_property(item.bus_name, item.path, ITEM_IFACE, name)

    def call_item(self, item: ItemAddress, member: str, signature: str, body: list[Any]) -> None:
        self.call_method(item.bus_name, item.path, ITEM_IFACE, member, signature, body)

    def menu_layout(self, item: ItemAddress) -> tuple[int, MenuNode]:
        """(revision, root) of the item's dbusmenu."""
        menu_path = str(self.item_property(item, "Menu"))
        revision, root = self.call_method(
            item.bus_name, menu_path, MENU_IFACE, "GetLayout", "iias", [0, -1, []]
        )
        return int(revision), _menu_node(root)

    def signals(self, member: str | None = None, since: float = 0.0) -> list[Signal]:
        with self._lock:
            return [
                s for s in self._signals if s.at >= since and (member is None or s.member == member)
            ]
