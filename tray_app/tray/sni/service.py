"""The session-bus side of the tray: connection, well-known name, registration with the watcher.

Registration follows the watcher (`org.kde.StatusNotifierWatcher`, owned by the panel): the
item registers at start if a watcher is there, and again every time the watcher's name gets a
new owner (a panel starting after the app, a panel restart, GNOME Shell reloading its
extension). The NameOwnerChanged match is added *before* asking whether the watcher exists,
so a watcher appearing in between is not missed. Closing releases the name and disconnects:
the watcher sees the name go and the host removes the icon.

The item registers with its object path, not its well-known name, as libayatana-appindicator
does (every watcher takes a path and pairs it with the caller's unique name). Registering by
well-known name makes GNOME's AppIndicator extension up to v46 (Debian 12, Ubuntu 22.04) watch
that name as well, and the watch reporting the name after the item's properties arrived resets
its Id and Menu; re-reading them then fails on a null comparison and the extension destroys the
item: the icon vanishes ("While initalizing proxy ...: Argument two may not be null",
ubuntu/gnome-shell-extension-appindicator#386, fixed in v47). On a loaded machine this hit about
one start in five.

Every coroutine here runs on the shared asyncio loop (`tray_app.support.aio_loop`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Coroutine
from typing import Any

from dbus_fast import BusType, Message, MessageType, NameFlag, RequestNameReply
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface

log = logging.getLogger(__name__)

WATCHER_NAME = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
WATCHER_INTERFACE = "org.kde.StatusNotifierWatcher"
BUS_NAME = "org.freedesktop.DBus"
BUS_PATH = "/org/freedesktop/DBus"
#: A watcher that does not answer within this time is logged and skipped (it will be tried
#: again when its name changes owner); nothing else on the loop waits for it.
CALL_TIMEOUT_S = 2.0
RECONNECT_MAX_DELAY_S = 30.0

_WATCHER_MATCH = (
    "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
    f"member='NameOwnerChanged',path='/org/freedesktop/DBus',arg0='{WATCHER_NAME}'"
)


class _RetryingSocket:
    """A socket whose `send` reports "0 bytes written" instead of raising EAGAIN.

    dbus-fast's asyncio writer (inherited from dbus-next: python-dbus-next issue #153, still so
    in dbus-fast 5.2) treats BlockingIOError from its non-blocking `send` as fatal and drops
    the whole connection. Our answers are large (a GetAll carries six pixmaps, tens of kB), so
    a bus that reads slowly must not cost us the item. Seen once on XFCE: the item vanished
    20 s after start and the last write had failed with EAGAIN. With 0 bytes written the
    writer keeps the rest buffered and waits for the socket to become writable, as it does
    for a partial write.
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def send(self, data: Any) -> int:
        try:
            return int(self._sock.send(data))
        except BlockingIOError:
            return 0

    def sendmsg(self, buffers: Any, ancdata: Any) -> int:
        try:
            return int(self._sock.sendmsg(buffers, ancdata))
        except BlockingIOError:
            return 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _survive_full_socket_buffers(bus: MessageBus) -> None:
    writer = getattr(bus, "_writer", None)
    if writer is None or not hasattr(writer, "sock"):
        log.warning("dbus-fast changed its writer; a slow host may disconnect the tray item")
        return
    writer.sock = _RetryingSocket(writer.sock)


def item_bus_name(pid: int | None = None) -> str:
    """The name the spec suggests: org.kde.StatusNotifierItem-<pid>-<instance>."""
    return f"org.kde.StatusNotifierItem-{os.getpid() if pid is None else pid}-1"


class SniService:
    """Exports the item and its menu on a private connection to the session bus."""

    def __init__(
        self,
        objects: dict[str, ServiceInterface],
        *,
        item_path: str,
        bus_address: str | None = None,
        bus_name: str | None = None,
    ) -> None:
        self._objects = objects
        self._item_path = item_path
        self._bus_address = bus_address
        self.bus_name = bus_name or item_bus_name()
        self._bus: MessageBus | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        #: How many times the item was registered with a watcher (for logs and tests).
        self.registrations = 0

    @property
    def bus(self) -> MessageBus:
        if self._bus is None:
            raise RuntimeError("the tray service is not connected")
        return self._bus

    async def connect(self) -> None:
        """Connect, export the objects, own the well-known name; raise when the bus is not there."""
        if self._bus_address is None:
            bus = MessageBus(bus_type=BusType.SESSION)
        else:
            bus = MessageBus(bus_address=self._bus_address)
        await asyncio.wait_for(bus.connect(), CALL_TIMEOUT_S)
        _survive_full_socket_buffers(bus)
        try:
            for path, interface in self._objects.items():
                bus.export(path, interface)
            reply = await asyncio.wait_for(
                bus.request_name(self.bus_name, NameFlag.DO_NOT_QUEUE), CALL_TIMEOUT_S
            )
            if reply not in (RequestNameReply.PRIMARY_OWNER, RequestNameReply.ALREADY_OWNER):
                raise RuntimeError(f"the bus name {self.bus_name} is taken ({reply.name})")
        except BaseException:
            for path in self._objects:
                bus.unexport(path)
            bus.disconnect()
            raise
        self._bus = bus
        self._spawn(self._reconnect_when_lost(bus))

    async def _reconnect_when_lost(self, bus: MessageBus) -> None:
        """A connection the bus (or dbus-fast) dropped comes back, with its registration."""
        try:
            await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]
            reason = "closed"
        except Exception as exc:  # noqa: BLE001 - whatever ended it, the answer is to reconnect
            reason = f"{type(exc).__name__}: {exc}"
        if self._closing:
            return
        log.warning("lost the session bus connection (%s); reconnecting the tray item", reason)
        for path in self._objects:
            bus.unexport(path)
        self._bus = None
        delay = 1.0
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self.connect()
                await self.follow_watcher()
            except Exception as exc:  # noqa: BLE001 - no bus yet: try again, less often
                log.warning("reconnecting the tray item failed (%s); retrying", exc)
                delay = min(delay * 2, RECONNECT_MAX_DELAY_S)
            else:
                return

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def follow_watcher(self) -> None:
        """Register now if a watcher is there, and again whenever one (re)appears."""
        self.bus.add_message_handler(self._on_message)
        await self._call(BUS_NAME, BUS_PATH, BUS_NAME, "AddMatch", _WATCHER_MATCH)
        if await self.watcher_present():
            await self.register()
        else:
            log.info("no StatusNotifier watcher yet; the icon appears when a panel starts")

    async def watcher_present(self) -> bool:
        reply = await self._call(BUS_NAME, BUS_PATH, BUS_NAME, "NameHasOwner", WATCHER_NAME)
        return bool(reply is not None and reply.body and reply.body[0])

    async def register(self) -> bool:
        reply = await self._call(
            WATCHER_NAME,
            WATCHER_PATH,
            WATCHER_INTERFACE,
            "RegisterStatusNotifierItem",
            self._item_path,  # not the well-known name: see the module's docstring
        )
        if reply is None:
            return False
        self.registrations += 1
        log.info(
            "tray item %s (%s%s) registered with the StatusNotifier watcher",
            self.bus_name,
            self.bus.unique_name,
            self._item_path,
        )
        return True

    def _on_message(self, message: Message) -> None:
        if (
            message.message_type is MessageType.SIGNAL
            and message.member == "NameOwnerChanged"
            and message.interface == BUS_NAME
            and len(message.body) == 3
            and message.body[0] == WATCHER_NAME
            and message.body[2]
        ):
            log.info("a StatusNotifier watcher appeared (%s); registering", message.body[2])
            self._spawn(self._register_quietly())

    async def _register_quietly(self) -> None:
        await self.register()

    async def _call(
        self, destination: str, path: str, interface: str, member: str, *args: str
    ) -> Message | None:
        """A method call with a deadline; None (logged) on an error reply or a timeout."""
        message = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature="s" * len(args),
            body=list(args),
        )
        try:
            reply = await asyncio.wait_for(self.bus.call(message), CALL_TIMEOUT_S)
        except asyncio.TimeoutError:
            log.warning("%s.%s did not answer within %.0f s", interface, member, CALL_TIMEOUT_S)
            return None
        if reply is None or reply.message_type is MessageType.ERROR:
            error = reply.error_name if reply is not None else "no reply"
            log.warning("%s.%s failed: %s", interface, member, error)
            return None
        return reply

    async def close(self) -> None:
        """Release the name and disconnect: the watcher drops the item, the icon goes away."""
        self._closing = True
        bus, self._bus = self._bus, None
        for task in list(self._tasks):
            task.cancel()
        if bus is None:
            return
        try:
            await asyncio.wait_for(bus.release_name(self.bus_name), CALL_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - quitting: a bus that is gone is fine
            log.debug("releasing %s: %s", self.bus_name, exc)
        bus.disconnect()
        try:
            # dbus-fast leaves this coroutine unannotated.
            waiting = bus.wait_for_disconnect()  # type: ignore[no-untyped-call]
            await asyncio.wait_for(waiting, CALL_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - same
            log.debug("disconnecting: %s", exc)
