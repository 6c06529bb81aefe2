"""Notifications on the real stack: plyer over a private D-Bus to a real dunst, recorded by
dbus-monitor; the fallback chain while dunst is down, stuck or back; pystray's own notify.

Each test drives one long-lived child process (DRIVER) that owns a notifier chain, as the
app does, so the chain's state (failure streak, retry window) lives across sends. The test
talks to it over stdin/stdout in JSON lines; the child's log goes to its harness log file.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.waiting import poll_until
from tray_app.notify.plyer_backend import find_app_icon

from .harness import DesktopSession, NotifyCall

pytestmark = pytest.mark.desktop

NO_TRAY = [{"tray": False}]

# The child: a notifier chain built from a JSON config (argv[1]), with a clock the test can
# advance. With "pystray" in the config the commands are served from pystray's setup thread
# while a real icon runs, as they would be in the app.
DRIVER = r"""
import json
import logging
import os
import sys
import time

from tray_app.notify import LogNotifier, Notification, NotifierChain, PlyerNotifier
from tray_app.notify import PystrayNotifier, build_default_chain

logging.basicConfig(
    level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s"
)
config = json.loads(sys.argv[1])
now = [0.0]
clock = lambda: now[0]
icon = None


def make_chain():
    options = dict(
        retry_after=config.get("retry_after", 300),
        send_timeout=config.get("send_timeout", 3.0),
        clock=clock,
    )
    kind = config["chain"]
    if kind == "default":
        return build_default_chain(**options)
    backends = {
        "plyer": lambda: PlyerNotifier(timeout=config.get("timeout", 10)),
        "pystray": lambda: PystrayNotifier(lambda: icon),
        "log": LogNotifier,
    }
    return NotifierChain([backends[name]() for name in kind], **options)


def serve():
    chain = make_chain()
    print(json.dumps({"ready": chain.backend_names}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "advance":
            now[0] += command["seconds"]
            reply = {"now": now[0]}
        elif command["op"] == "send":
            n = Notification(**command["notification"])
            started = time.perf_counter()
            delivered = chain.send(n)
            reply = {"delivered": delivered, "seconds": time.perf_counter() - started}
        else:
            break
        print(json.dumps(reply), flush=True)


if config.get("pystray"):
    import pystray
    from PIL import Image

    def setup(running):
        if not running.visible:
            running.visible = True
        serve()
        # pystray's own shutdown is not under test and misbehaves here: xorg's stop() races
        # its X loop and can hang, gtk's raises from run() when no notification server runs
        # (it closes its notification over D-Bus). So leave as soon as the commands are done.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    icon = pystray.Icon("notify-test", Image.new("RGB", (64, 64), (200, 30, 30)), "Test")
    if type(icon).__module__ == "pystray._xorg":
        # Shown from this thread before the loop, as the app does (tray_app/tray/pystray_tray.py):
        # from the setup thread, while the loop handles the first Expose, the two threads on
        # one python-xlib connection deadlock now and again, and "ready" never comes.
        import threading

        icon._thread = threading.current_thread()
        icon.visible = True
    icon.run(setup=setup)
else:
    serve()
"""

# Owns the notification name and never answers: a hung notification daemon.
STUCK_SERVER = r"""
import time

import dbus

bus = dbus.SessionBus()
bus.request_name("org.freedesktop.Notifications")
print("owned", flush=True)
time.sleep(600)
"""


class Driver:
    """The child process holding a chain; `send` returns which backend delivered."""

    def __init__(self, desktop: DesktopSession, config: dict[str, Any], **env: str) -> None:
        child_env = desktop.env
        child_env.update(env)
        self.desktop = desktop
        self.proc = desktop.popen(
            [sys.executable, "-c", DRIVER, json.dumps(config)],
            env=child_env,
            name="notify-driver",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        try:
            self.backends: list[str] = self._read(timeout=20)["ready"]
        except BaseException:
            self.close()  # or its pipes are left to the garbage collector (a ResourceWarning)
            raise

    def _read(self, timeout: float = 15.0) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            raise AssertionError(
                f"the driver gave no answer (exit code {self.proc.poll()}); its log:\n"
                f"{self.log()[-3000:]}"
            )
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command).encode() + b"\n")
        self.proc.stdin.flush()
        return self._read()

    def send(self, title: str, body: str, urgency: str = "normal", key: str = "") -> str | None:
        notification = {"title": title, "body": body, "urgency": urgency, "key": key}
        reply = self._ask({"op": "send", "notification": notification})
        self.last_seconds: float = reply["seconds"]
        delivered: str | None = reply["delivered"]
        return delivered

    def advance(self, seconds: float) -> None:
        self._ask({"op": "advance", "seconds": seconds})

    def log(self) -> str:
        return self.desktop.log_of(self.proc)

    def lines(self, level: str, text: str) -> list[str]:
        return [line for line in self.log().splitlines() if line.startswith(level) and text in line]

    def quit(self) -> int:
        """Ask the child to end (no reply comes); its exit code says it never crashed."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b'{"op": "quit"}\n')
        self.proc.stdin.flush()
        return self.proc.wait(timeout=15)

    def close(self) -> None:
        """Close our ends of its pipes (the harness stops the process itself)."""
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def drivers(desktop: DesktopSession) -> Iterator[Callable[..., Driver]]:
    """`drivers(config, **env)` starts a Driver; its pipes are closed after the test."""
    started: list[Driver] = []

    def start(config: dict[str, Any], **env: str) -> Driver:
        driver = Driver(desktop, config, **env)
        started.append(driver)
        return driver

    yield start
    for driver in started:
        driver.close()


def answered(desktop: DesktopSession) -> list[NotifyCall]:
    return [c for c in desktop.notifications() if c.returned_id]


@pytest.mark.parametrize("desktop", NO_TRAY, indirect=True)
def test_plyer_delivers_app_name_icon_text_and_timeout(
    desktop: DesktopSession, drivers: Callable[..., Driver]
) -> None:
    driver = drivers({"chain": ["plyer", "log"], "timeout": 7})
    icon = find_app_icon()
    body = "30,050 credits left (15% of 200,000); at this pace they last about 3 days"
    long_title = "Crédits “low”: " + "that's a very long title, " * 12  # 326 characters

    assert driver.send("Credits low", body, key="low:1") == "plyer"
    assert driver.send("Credits depleted", "0 credits left", urgency="critical") == "plyer"
    assert driver.send(long_title, body) == "plyer"
    low, depleted, long = desktop.wait_for_notifications(3)

    assert (low.app_name, low.summary, low.body) == ("lensmor-tray", "Credits low", body)
    assert low.app_icon == icon
    assert icon.startswith("/")
    assert low.expire_timeout == 7000
    assert low.hints["urgency"] == "1"
    assert low.returned_id
    assert low.error is None
    # Critical waits for the user: "never expires" in the notification spec.
    assert (depleted.expire_timeout, depleted.hints["urgency"]) == (0, "2")
    # Nothing cuts or rewrites a long title on its way to the server.
    assert long.summary == long_title
    assert long.body == body
    poll_until(lambda: desktop.displayed_notifications() == 3, 5.0, "three on screen")

    # Which route plyer takes is said once, at the first send.
    assert len(driver.lines("INFO", "plyer notifies over D-Bus (dbus-python)")) == 1
    assert driver.lines("WARNING", "") == []
    assert driver.quit() == 0


@pytest.mark.parametrize("desktop", NO_TRAY, indirect=True)
def test_chain_falls_back_to_the_log_while_dunst_is_down_and_returns_to_plyer(
    desktop: DesktopSession, drivers: Callable[..., Driver]
) -> None:
    driver = drivers({"chain": "default"})  # no icon: plyer, then the log
    assert driver.backends == ["plyer", "log"]
    assert driver.send("Credits low", "30,050 credits left", key="low:1") == "plyer"
    desktop.wait_for_notifications(1)

    desktop.stop_notifications()
    started = time.monotonic()
    assert driver.send("Credits critical", "9,500 credits left", key="critical:1") == "log"
    assert time.monotonic() - started < 3.0  # ServiceUnknown comes back at once
    (warning,) = driver.lines("WARNING", "notification backend plyer failed")
    assert "DBusException: org.freedesktop.DBus.Error.ServiceUnknown" in warning
    assert driver.lines("INFO", "notification [critical:1] (normal): 'Credits critical'")
    assert "'9,500 credits left'" in driver.lines("INFO", "[critical:1]")[0]

    # Within the retry window plyer is not tried while the bus has no notification server...
    assert driver.send("Large spend", "2,000 credits used", key="spend:1") == "log"
    assert [c.summary for c in desktop.notifications()] == ["Credits low"]
    # ...but as soon as one is back (a cheap NameHasOwner check), the next alert goes to it
    # instead of waiting out the 5-minute window.
    desktop.start_notifications()
    assert driver.send("Credits renewed", "35,000 available", key="reset:1") == "plyer"
    calls = desktop.wait_for_notifications(2)
    assert [c.summary for c in calls] == ["Credits low", "Credits renewed"]
    assert calls[1].app_name == "lensmor-tray"
    assert len(driver.lines("INFO", "notification backend plyer works again")) == 1
    # One warning for the whole outage, not one per notification.
    assert len(driver.lines("WARNING", "")) == 1
    assert driver.quit() == 0


@pytest.mark.parametrize("desktop", NO_TRAY, indirect=True)
def test_a_stuck_notification_server_costs_one_timeout_not_the_poll_loop(
    desktop: DesktopSession, drivers: Callable[..., Driver]
) -> None:
    desktop.stop_notifications()
    stuck = desktop.popen([sys.executable, "-c", STUCK_SERVER], name="stuck-server")
    desktop.wait_for_output(stuck, "owned")
    driver = drivers({"chain": ["plyer", "log"], "send_timeout": 1.0})

    assert driver.send("Credits low", "30,050 credits left") == "log"
    assert 1.0 <= driver.last_seconds < 2.5
    (warning,) = driver.lines("WARNING", "notification backend plyer failed")
    assert "no answer within 1 s" in warning
    # dbus-python introspects the server before calling Notify, and that call hangs already.
    assert desktop.notifications() == []

    # While that call hangs (plyer waits up to libdbus's 25 s), the next send is not held up.
    driver.advance(301)
    assert driver.send("Credits critical", "9,500 credits left") == "log"
    assert driver.last_seconds < 0.9  # held up, it would wait the 1 s send timeout
    assert driver.quit() == 0


@pytest.mark.parametrize("backend", ["appindicator", "gtk"])
def test_pystray_notify_needs_a_server_and_then_reaches_it(
    desktop: DesktopSession, drivers: Callable[..., Driver], backend: str
) -> None:
    driver = drivers({"chain": ["pystray", "log"], "pystray": True}, PYSTRAY_BACKEND=backend)
    assert driver.send("Credits low", "30,050 credits left") == "pystray"
    (call,) = desktop.wait_for_notifications(1)
    # pystray sends no app name and a temporary copy of the tray image as icon.
    assert (call.app_name, call.summary, call.body) == ("", "Credits low", "30,050 credits left")
    assert call.app_icon.endswith(".png")

    # Its own notify() would "succeed" into the void here; the pre-flight sees nobody.
    desktop.stop_notifications()
    assert driver.send("Credits critical", "9,500 credits left") == "log"
    (warning,) = driver.lines("WARNING", "notification backend pystray failed")
    assert f"pystray._{backend}: no notification server on the session bus" in warning
    assert driver.quit() == 0


def test_pystray_xorg_cannot_notify_and_the_chain_says_so(
    desktop: DesktopSession, drivers: Callable[..., Driver]
) -> None:
    driver = drivers({"chain": ["pystray", "log"], "pystray": True}, PYSTRAY_BACKEND="xorg")
    assert driver.send("Credits low", "30,050 credits left") == "log"
    (warning,) = driver.lines("WARNING", "notification backend pystray failed")
    assert "pystray backend pystray._xorg cannot show notifications" in warning
    assert desktop.notifications() == []
    assert driver.quit() == 0
