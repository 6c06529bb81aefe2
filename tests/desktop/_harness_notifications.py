"""Part of the headless desktop harness (tests/desktop/harness.py; import from there): the
notification server (dunst) and a dbus-monitor that records every Notify call, with the
parser of its log.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass

from tests.support.waiting import WaitTimeout, poll_until

from ._harness_base import DesktopError, _tail
from ._harness_bus import BusMixin

NOTIFICATIONS_NAME = "org.freedesktop.Notifications"

# Popups bottom-right, away from the tray at the top, so screenshots of icons stay clean.
DUNSTRC = """[global]
    origin = bottom-right
    offset = 10x10
"""


@dataclass(frozen=True)
class NotifyCall:
    """One org.freedesktop.Notifications.Notify call as seen on the bus."""

    app_name: str
    replaces_id: int
    app_icon: str
    summary: str
    body: str
    actions: tuple[str, ...]
    hints: Mapping[str, str]
    expire_timeout: int
    sender: str
    serial: int
    # What the server answered: the notification id, or the D-Bus error name.
    returned_id: int | None = None
    error: str | None = None


# --- dbus-monitor log parsing -----------------------------------------------------------

_HEADER = re.compile(
    r"^(?P<kind>method call|method return|error|signal) time=\S+ sender=(?P<sender>\S+) -> "
    r"destination=(?P<dest>\S+)(?P<rest>.*)$",
    re.MULTILINE,
)
# Notify(susssasa{sv}i). dbus-monitor prints strings unescaped, so a body may span lines; the
# lazy groups plus the fixed shape of what follows each string keep such bodies intact.
_NOTIFY_ARGS = re.compile(
    r'\A\n   string "(?P<app_name>.*?)"\n'
    r"   uint32 (?P<replaces_id>\d+)\n"
    r'   string "(?P<app_icon>.*?)"\n'
    r'   string "(?P<summary>.*?)"\n'
    r'   string "(?P<body>.*?)"\n'
    r"   array \[\n(?P<actions>.*?)   \]\n"
    r"   array \[\n(?P<hints>.*?)   \]\n"
    r"   int32 (?P<expire_timeout>-?\d+)\s*\Z",
    re.DOTALL,
)
_ACTION = re.compile(r'^      string "(.*)"$', re.MULTILINE)
_HINT = re.compile(
    r'dict entry\(\n\s+string "(?P<key>[^"\n]*)"\n\s+variant\s+(?P<value>.*?)\n\s+\)\n', re.DOTALL
)
_FIELD = re.compile(r"(\w+)=(\S+?)(?:;|\s|$)")


def _hint_value(raw: str) -> str:
    """`byte 1` -> "1", `string "x"` -> "x"; anything nested stays as dbus-monitor printed it."""
    simple = re.fullmatch(r'(?:string|object path) "(.*)"|\w+ (\S+)', raw.strip(), re.DOTALL)
    if simple:
        return simple.group(1) if simple.group(1) is not None else simple.group(2)
    return raw.strip()


def parse_notify_log(text: str) -> list[NotifyCall]:
    """Notify calls in a `dbus-monitor` text log, each joined with the server's answer."""
    headers = list(_HEADER.finditer(text))
    calls: list[tuple[NotifyCall, str]] = []
    answers: dict[tuple[str, int], tuple[int | None, str | None]] = {}
    for i, header in enumerate(headers):
        end = headers[i + 1].start() - 1 if i + 1 < len(headers) else len(text)
        payload = text[header.end() : end]
        fields = dict(_FIELD.findall(header["rest"]))
        kind = header["kind"]
        if kind == "method call" and fields.get("member") == "Notify":
            args = _NOTIFY_ARGS.match(payload)
            if args is None:
                continue
            call = NotifyCall(
                app_name=args["app_name"],
                replaces_id=int(args["replaces_id"]),
                app_icon=args["app_icon"],
                summary=args["summary"],
                body=args["body"],
                actions=tuple(_ACTION.findall(args["actions"])),
                hints={m["key"]: _hint_value(m["value"]) for m in _HINT.finditer(args["hints"])},
                expire_timeout=int(args["expire_timeout"]),
                sender=header["sender"],
                serial=int(fields.get("serial", "0")),
            )
            calls.append((call, header["sender"]))
        elif kind in ("method return", "error") and "reply_serial" in fields:
            key = (header["dest"], int(fields["reply_serial"]))
            if kind == "error":
                answers[key] = (None, fields.get("error_name"))
            else:
                returned = re.match(r"\A\n   uint32 (\d+)", payload)
                answers[key] = (int(returned.group(1)) if returned else None, None)
    result = []
    for call, sender in calls:
        returned_id, error = answers.get((sender, call.serial), (None, None))
        result.append(NotifyCall(**{**call.__dict__, "returned_id": returned_id, "error": error}))
    return result


class NotificationsMixin(BusMixin):
    """Starts, stops and restarts dunst; records and reads the Notify calls on the bus."""

    # -- 4. notification server and 5. monitor -------------------------------------------

    @property
    def notifications_running(self) -> bool:
        service = self._services.get("dunst")
        return service is not None and service.proc is not None and service.proc.poll() is None

    def start_notifications(self) -> None:
        """Start dunst and wait until it owns org.freedesktop.Notifications."""
        if self.notifications_running:
            raise DesktopError("dunst already runs")
        self._services.pop("dunst", None)
        dunstrc = self.home / ".config" / "dunst" / "dunstrc"
        dunstrc.parent.mkdir(mode=0o700, exist_ok=True)
        dunstrc.write_text(DUNSTRC + self.dunstrc_extra)
        started = time.monotonic()
        service = self._launch("dunst", ["dunst", "-config", str(dunstrc)])
        self._wait_ready(
            service,
            lambda: self.name_has_owner(NOTIFICATIONS_NAME),
            f"{NOTIFICATIONS_NAME} has no owner",
            started,
        )

    def stop_notifications(self, *, sig: int = signal.SIGTERM) -> None:
        """Stop dunst and wait until the notification name is released."""
        service = self._services.get("dunst")
        if service is None or service.proc is None:
            raise DesktopError("dunst is not running")
        with contextlib.suppress(ProcessLookupError):
            os.kill(service.pid, sig)
        self._kill_pid(service.pid, service.proc)
        del self._services["dunst"]
        poll_until(
            lambda: not self.name_has_owner(NOTIFICATIONS_NAME),
            5.0,
            f"{NOTIFICATIONS_NAME} still owned",
        )

    def restart_notifications(self) -> None:
        self.stop_notifications()
        self.start_notifications()

    def _start_monitor(self) -> None:
        started = time.monotonic()
        log = self.monitor_log
        with log.open("wb") as out:
            service = self._launch(
                "dbus-monitor",
                [
                    "dbus-monitor",
                    "--session",
                    f"interface='{NOTIFICATIONS_NAME}'",
                    # Answers carry no interface; they give us the id the server assigned.
                    "type='method_return'",
                    "type='error'",
                ],
                stdout=out,
            )
        # Once a monitor, dbus-monitor loses its unique name and prints that NameLost signal
        # (it flushes after every message): from then on it sees every call.
        self._wait_ready(
            service,
            lambda: "member=NameLost" in log.read_text(errors="replace"),
            "it never became a monitor",
            started,
        )

    def notifications(self) -> list[NotifyCall]:
        """Every Notify call recorded on the bus so far, oldest first."""
        if "dbus-monitor" not in self._services:
            raise DesktopError("this session records no notifications (notifications=False)")
        return parse_notify_log(self.monitor_log.read_text(errors="replace"))

    def wait_for_notifications(
        self, n: int = 1, timeout: float = 5.0, *, answered: bool = True
    ) -> list[NotifyCall]:
        """Wait until at least `n` Notify calls (answered by the server, by default) arrived."""

        def enough() -> list[NotifyCall] | None:
            calls = self.notifications()
            done = [c for c in calls if not answered or c.returned_id or c.error]
            return calls if len(done) >= n else None

        try:
            return poll_until(enough, timeout, f"{n} Notify call(s)")
        except WaitTimeout as exc:
            raise WaitTimeout(f"{exc}; bus log tail:\n{_tail(self.monitor_log, 40)}") from None

    def displayed_notifications(self) -> int:
        """How many notifications dunst shows right now."""
        return int(self.run(["dunstctl", "count", "displayed"]).strip())
