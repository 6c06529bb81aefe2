"""Notifications with buttons and replacement, through desktop-notifier (6.2).

desktop-notifier speaks D-Bus over dbus-fast on Linux, UNUserNotificationCenter on macOS and
WinRT toasts on Windows. It is asyncio code: everything here runs on the app's shared
`AsyncioThread` (aio_loop.py), and `send` (called from the poll thread) waits for it with a
timeout. What version 6.2 does and does not do, read in its source, and how this adapter
fills the gaps:

* `send` never raises: a failure is logged by the library as a warning and swallowed
  (backends/base.py `send`). Only a delivered notification calls its `on_dispatched`, so a
  send that did not dispatch raises NotifyError here and the chain falls back.
* Linux (backends/dbus.py `_send`): `Notify` always goes with replaces_id 0 and with only the
  urgency, sound and image hints: no replacing, no "category". `_ReplacingDBusNotifier`
  wraps the proxy's generated `call_notify` (the one call `_send` makes) to put in the
  replaces_id of the family's notification on screen and the category hint. Elsewhere a
  family's previous notification is withdrawn with `clear()` before the new one is shown.
* Buttons are sent whatever the server says; the capabilities it reports (`BUTTONS` from the
  server's "actions" capability) are checked first, and without it the notification goes
  without buttons, with `Notification.plain_body` saying the same in words.
* A click on the body is the "default" action; it is sent whenever the server is not
  xfce4-notifyd (which has no default action).
* Callbacks (`on_pressed`, `on_clicked`) run on the asyncio loop. They only start a thread that
  calls `on_action(action_id)`, so the loop never waits on the monitor's lock.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tray_app.notify.base import APP_NAME, Notification, NotifyError, describe
from tray_app.support.aio_loop import AsyncioThread

_log = logging.getLogger(__name__)

ActionHandler = Callable[[str], None]

DEFAULT_SEND_TIMEOUT = 2.5  # below the chain's own bound, so the chain sees our reason


def _replacing_dbus_class() -> type[Any]:
    """The Linux backend with replaces_id and the category hint (imported lazily: dbus-fast
    is only needed on Linux)."""
    from dbus_fast.signature import Variant
    from desktop_notifier.backends.dbus import DBusDesktopNotifier

    class _ReplacingDBusNotifier(DBusDesktopNotifier):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.next_replaces_id = 0
            self.next_category = ""
            self.last_platform_id = 0

        async def _init_dbus(self) -> Any:
            try:
                interface = await super()._init_dbus()
            except Exception:
                # No server yet: the library keeps the connected bus it could not use, and
                # would connect a new one at the next try; close it instead of leaking it.
                bus = getattr(self, "bus", None)
                if bus is not None:
                    bus.disconnect()
                    del self.bus
                raise
            # dbus-fast generates call_notify at run time, from the server's introspection.
            call_notify = getattr(interface, "call_notify")  # noqa: B009

            async def notify(  # noqa: PLR0917 - the positional signature of Notify itself
                app_name: str,
                _replaces_id: int,
                icon: str,
                title: str,
                body: str,
                actions: list[str],
                hints: dict[str, Any],
                timeout: int,
            ) -> int:
                if self.next_category:
                    # The hints are a{sv} (Variants) or, for old servers, a{ss} (strings).
                    typed = any(isinstance(value, Variant) for value in hints.values())
                    category = self.next_category
                    hints["category"] = Variant("s", category) if typed else category
                platform_id: int = await call_notify(
                    app_name, self.next_replaces_id, icon, title, body, actions, hints, timeout
                )
                self.last_platform_id = platform_id
                return platform_id

            setattr(interface, "call_notify", notify)  # noqa: B010
            return interface

    return _ReplacingDBusNotifier


class _OneLineErrors(logging.Filter):
    """desktop-notifier logs a failed send as a warning with the whole traceback
    (backends/base.py `send`); the chain already says which backend failed and why, so the
    library's record keeps one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()}: {describe(record.exc_info[1])}"
            record.args = ()
            record.exc_info = None
        return True


def _quiet_library_tracebacks() -> None:
    # Logger filters apply only to records logged on that very logger, not its children.
    library = logging.getLogger("desktop_notifier.backends.base")
    if not any(isinstance(f, _OneLineErrors) for f in library.filters):
        library.addFilter(_OneLineErrors())


class DesktopNotifierBackend:
    """A Notifier for the chain; `on_action(action_id)` gets the buttons and body clicks."""

    name = "desktop-notifier"

    def __init__(
        self,
        aio: AsyncioThread,
        on_action: ActionHandler,
        *,
        app_name: str = APP_NAME,
        icon: Callable[[], str] | str = "",
        timeout: int = 10,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        platform: str = sys.platform,
        logger: logging.Logger | None = None,
    ) -> None:
        self._aio = aio
        self._on_action = on_action
        self._app_name = app_name
        self._icon = icon
        self.timeout = timeout
        self.send_timeout = send_timeout
        self._platform = platform
        self._log = logger or _log
        _quiet_library_tracebacks()
        self._backend: Any = None
        self._authorised = False
        # family -> (desktop-notifier identifier, platform id) of the notification on screen;
        # touched on the loop's thread only.
        self._on_screen: dict[str, tuple[str, int]] = {}

    def send(self, n: Notification) -> None:
        if not self._aio.running:
            raise NotifyError("the asyncio thread is not running")
        future = self._aio.submit(self._send(n))
        try:
            future.result(self.send_timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise NotifyError(f"no answer within {self.send_timeout:g} s") from None
        except NotifyError:
            raise
        except Exception as exc:  # the library or dbus-fast: one failed delivery
            raise NotifyError(describe(exc)) from exc

    def close(self, timeout: float = 1.0) -> None:
        """Disconnect from the session bus (at quit, before the asyncio thread stops)."""
        bus = getattr(self._backend, "bus", None)
        if bus is None or not self._aio.running:
            return

        async def disconnect() -> None:
            bus.disconnect()
            await bus.wait_for_disconnect()

        try:
            self._aio.submit(disconnect()).result(timeout)
        except Exception as exc:  # noqa: BLE001 - quitting anyway; say why in the log
            self._log.debug("desktop-notifier: bus not closed cleanly: %s", describe(exc))

    def ready(self) -> bool:
        """Cheap check for the chain: a notification server is on the bus again (Linux)."""
        if not self._platform.startswith("linux"):
            return False
        from tray_app.notify.pystray_backend import notification_server_available

        return notification_server_available()

    # -- on the loop ------------------------------------------------------------------------
    def _make_backend(self) -> Any:
        from desktop_notifier import Icon

        icon_path = self._icon() if callable(self._icon) else self._icon
        icon = Icon(path=Path(icon_path)) if icon_path else None
        if self._platform.startswith("linux"):
            return _replacing_dbus_class()(self._app_name, icon)
        from desktop_notifier.main import get_backend_class

        return get_backend_class()(self._app_name, icon)

    async def _send(self, n: Notification) -> None:
        from desktop_notifier import Button, Capability, Urgency
        from desktop_notifier import Notification as DNNotification

        if self._backend is None:
            self._backend = self._make_backend()
        backend = self._backend
        if not self._authorised:
            # macOS asks the user once; elsewhere this is a no-op returning True.
            self._authorised = bool(await backend.request_authorisation())
        capabilities = await backend.get_capabilities()
        with_buttons = Capability.BUTTONS in capabilities
        buttons = tuple(
            Button(label, on_pressed=self._handler(action))
            for action, label in (n.buttons if with_buttons else ())
        )
        dispatched = asyncio.Event()
        note = DNNotification(
            n.title,
            n.body if with_buttons else n.plain_body,
            urgency={"low": Urgency.Low, "normal": Urgency.Normal, "critical": Urgency.Critical}[
                n.urgency
            ],
            buttons=buttons,
            on_clicked=self._handler(n.default_action) if n.default_action else None,
            on_dispatched=dispatched.set,
            # Critical waits for the user ("never expires", as the plyer backend does).
            timeout=0 if n.urgency == "critical" else self.timeout,
        )
        previous = self._on_screen.get(n.family) if n.family else None
        await self._prepare_replacement(backend, previous, n.category)
        await backend.send(note)
        if not dispatched.is_set():
            raise NotifyError("desktop-notifier did not deliver it (its warning says why)")
        if n.family:
            self._on_screen[n.family] = (note.identifier, getattr(backend, "last_platform_id", 0))
        if previous is not None:
            # The replaced one will never be clicked: drop it from the library's cache.
            backend._clear_notification_from_cache(previous[0])

    async def _prepare_replacement(
        self, backend: Any, previous: tuple[str, int] | None, category: str
    ) -> None:
        if hasattr(backend, "next_replaces_id"):
            backend.next_replaces_id = previous[1] if previous is not None else 0
            backend.next_category = category
        elif previous is not None:
            await backend.clear(previous[0])

    def _handler(self, action: str) -> Callable[[], None]:
        def handle() -> None:
            # On the asyncio loop: hand off, never wait here (the handler may take locks).
            self._log.info("notification action: %s", action)
            threading.Thread(
                target=self._on_action, args=(action,), name="notification-action", daemon=True
            ).start()

        return handle
