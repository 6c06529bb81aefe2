"""Notifications v2 on the real stack: the real app (desktop-notifier over dbus-fast) against
the simulated API, a real dunst on the private bus, dbus-monitor recording every Notify.

Clicks are dunst's own: `dunstctl action 0` invokes the "default" action (a click on the
body), `dunstctl context` runs dunst's menu program (`dmenu` in its config, here a script that
picks the line naming the wanted button) and invokes what it picked. Either way dunst emits
ActionInvoked, as it does for a mouse click. Web pages open through $BROWSER, a script that
records the URL.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tray_app.config.model import DASHBOARD_URL
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer
from tray_app.notify.plyer_backend import find_app_icon

from .harness import DesktopSession, NotifyCall, poll_until

pytestmark = pytest.mark.desktop

NO_TRAY = [{"tray": False}]

# dunst's menu program: it gets one line per action on stdin and prints the chosen one.
PICK = """#!/bin/sh
cat > "$HOME/menu-offered"
grep -F -m1 "$(cat "$HOME/menu-choice")" "$HOME/menu-offered"
"""
BROWSER = """#!/bin/sh
echo "$1" >> "$HOME/opened"
"""


def set_share(server: SimulatedLensmorServer, subscription_balance: int, gift: int = 50) -> None:
    server.account.set_balance(
        subscriptionAmount=35_000,
        subscriptionBalance=subscription_balance,
        giftAmount=gift,
        giftBalance=gift,
    )


class App:
    def __init__(self, desktop: DesktopSession, server: SimulatedLensmorServer) -> None:
        self.desktop = desktop
        env = dict(desktop.env)
        env.update(
            PYTHONPATH=str(REPO),
            LENSMOR_BASE_URL=server.url,
            LENSMOR_API_KEY=DEMO_KEY,
            LENSMOR_TRAY_PACING="production",  # the next scheduled poll is minutes away
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            BROWSER=str(desktop.home / "browser"),
        )
        self.proc = desktop.popen(
            [sys.executable, "-m", "tray_app", "-v", "run"], env=env, name="lensmor-tray"
        )
        self.wait_polls(1)

    def log(self) -> str:
        return self.desktop.log_of(self.proc)

    def polls(self) -> int:
        return self.log().count("poll: ")

    def wait_polls(self, n: int) -> None:
        poll_until(lambda: self.polls() >= n or None, 20, f"{n} poll(s); log:\n{self.log()}")

    def refresh(self) -> None:
        """SIGUSR1 = Refresh now: exactly one more poll."""
        before = self.polls()
        os.kill(self.proc.pid, signal.SIGUSR1)
        self.wait_polls(before + 1)

    def stop(self) -> None:
        os.kill(self.proc.pid, signal.SIGTERM)
        assert self.proc.wait(timeout=20) == 0


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as srv:
        set_share(srv, 30_000)
        yield srv


@pytest.fixture
def start_app(
    desktop: DesktopSession, server: SimulatedLensmorServer
) -> Iterator[Callable[[], App]]:
    for name, text in (("pick", PICK), ("browser", BROWSER)):
        script = desktop.home / name
        script.write_text(text)
        script.chmod(0o755)
    desktop.dunstrc_extra = f"    dmenu = {desktop.home / 'pick'}\n"
    desktop.restart_notifications()
    apps: list[App] = []

    def start() -> App:
        apps.append(App(desktop, server))
        return apps[-1]

    yield start
    for app in apps:
        if app.proc.poll() is None:
            os.kill(app.proc.pid, signal.SIGTERM)


def find_app_icon_uri() -> str:
    return Path(find_app_icon()).as_uri()


def labels(call: NotifyCall) -> list[str]:
    """The button labels of a Notify call (its actions array is id, label, id, label...)."""
    return list(call.actions[1::2])


def opened(desktop: DesktopSession) -> list[str]:
    path = Path(desktop.home / "opened")
    return path.read_text().split() if path.exists() else []


@pytest.mark.parametrize("desktop", NO_TRAY, indirect=True)
def test_one_notification_per_poll_with_buttons_replacing_and_clicks(
    desktop: DesktopSession, server: SimulatedLensmorServer, start_app: Callable[[], App]
) -> None:
    app = start_app()
    assert desktop.notifications() == []  # 30,050 of 35,050: nothing to say

    # 25,000 gone in minutes: unusual spend and low at once -> ONE Notify.
    set_share(server, 5_000)
    app.refresh()
    [first] = desktop.wait_for_notifications(1)
    assert first.summary == "Unusual Lensmor spend"
    assert "25,000 credits in the last hour" in first.body
    assert "below your 20% warning" in first.body
    assert first.actions[:2] == ("default", "")  # a click on the body
    assert labels(first)[1:] == ["Open API keys", "Snooze until tomorrow"]
    assert first.hints["urgency"] == "1"
    assert first.hints["category"] == "x-lensmor.credits"
    assert first.replaces_id == 0
    assert first.app_name == "lensmor-tray"
    assert first.app_icon == find_app_icon_uri()

    # Critically low: replaces the notification on screen instead of stacking.
    set_share(server, 1_000)
    app.refresh()
    calls = desktop.wait_for_notifications(2)
    assert len(calls) == 2
    second = calls[1]
    assert second.summary == "Lensmor credits critically low"
    assert labels(second)[1:] == ["Open dashboard", "Snooze until tomorrow"]
    assert (second.hints["urgency"], second.expire_timeout) == ("2", 0)
    assert second.replaces_id == first.returned_id
    assert second.returned_id == first.returned_id
    assert desktop.displayed_notifications() == 1

    # A click on the body (dunst's "default" action) opens the dashboard.
    desktop.run(["dunstctl", "action", "0"])
    poll_until(lambda: opened(desktop) or None, 10, "the browser hook to be called")
    assert opened(desktop) == [DASHBOARD_URL]
    assert "notification action: open_dashboard" in app.log()

    # A restart repeats nothing: same balance, no Notify.
    app.stop()
    app = start_app()
    app.refresh()
    assert len(desktop.notifications()) == 2

    # Used up, then the "Snooze until tomorrow" button, picked from dunst's menu.
    set_share(server, 0, gift=0)
    app.refresh()
    third = desktop.wait_for_notifications(3)[2]
    assert third.summary == "Lensmor credits used up"
    (desktop.home / "menu-choice").write_text("Snooze until tomorrow")
    desktop.run(["dunstctl", "context"])
    poll_until(
        lambda: "notification action: pause_tomorrow" in app.log() or None,
        10,
        "the snooze to arrive",
    )
    assert "Snooze until tomorrow" in (desktop.home / "menu-offered").read_text()
    # Paused: a top-up now says nothing (it waits for the summary tomorrow).
    set_share(server, 0, gift=5_000)
    app.refresh()
    app.refresh()
    assert len(desktop.notifications()) == 3
    assert opened(desktop) == [DASHBOARD_URL]
    assert "Traceback" not in app.log()


# A real notification server without the "actions" capability (as some minimal daemons are),
# on the private bus: it answers Notify with increasing ids and prints each call as JSON.
PLAIN_SERVER = r"""
import asyncio
import json

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method


class Plain(ServiceInterface):
    def __init__(self):
        super().__init__("org.freedesktop.Notifications")
        self.ids = 0

    @method()
    def GetCapabilities(self) -> "as":
        return ["body"]

    @method()
    def GetServerInformation(self) -> "ssss":
        return ["plain", "test", "1", "1.2"]

    @method()
    def Notify(
        self, app: "s", replaces: "u", icon: "s", summary: "s", body: "s", actions: "as",
        hints: "a{sv}", timeout: "i",
    ) -> "u":
        self.ids += 1
        print(json.dumps({"summary": summary, "body": body, "actions": actions}), flush=True)
        return self.ids

    @method()
    def CloseNotification(self, nid: "u"):
        pass


async def main():
    bus = await MessageBus().connect()
    bus.export("/org/freedesktop/Notifications", Plain())
    await bus.request_name("org.freedesktop.Notifications")
    print("owned", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
"""

# The backend on its own asyncio thread, as app/tray_app.py builds it; sends one notification.
SEND_ONE = r"""
import sys

from tray_app.support.aio_loop import AsyncioThread
from tray_app.core.alerts import Alert, AlertKind, Severity
from tray_app.core.notices import notice_for
from tray_app.notify.base import notification_for
from tray_app.notify.chain import NotifierChain
from tray_app.notify.desktop_backend import DesktopNotifierBackend
from tray_app.notify.log_backend import LogNotifier

aio = AsyncioThread().start()
chain = NotifierChain([DesktopNotifierBackend(aio, print), LogNotifier()])
alert = Alert(AlertKind.LOW, "Lensmor credits low", "5,050 credits left.", "k", Severity.WARNING)
print("delivered by", chain.send(notification_for(notice_for(alert))), flush=True)
aio.stop()
"""


@pytest.mark.parametrize("desktop", NO_TRAY, indirect=True)
def test_without_the_actions_capability_the_text_says_it_and_no_server_falls_back(
    desktop: DesktopSession,
) -> None:
    desktop.stop_notifications()
    env = dict(desktop.env, PYTHONPATH=str(REPO))
    # No server at all: desktop-notifier fails, the chain says so in one line and moves on.
    alone = desktop.popen([sys.executable, "-c", SEND_ONE], env=env, name="send-alone")
    assert alone.wait(timeout=30) == 0
    log = desktop.log_of(alone)
    assert "delivered by log" in log
    assert "Traceback" not in log

    server = desktop.popen([sys.executable, "-c", PLAIN_SERVER], env=env, name="plain-server")
    desktop.wait_for_output(server, "owned")
    sender = desktop.popen([sys.executable, "-c", SEND_ONE], env=env, name="send-plain")
    assert sender.wait(timeout=30) == 0
    assert "delivered by desktop-notifier" in desktop.log_of(sender)
    [call] = [c for c in desktop.notifications() if c.summary == "Lensmor credits low"]
    assert labels(call) == [""]  # only the body-click ("default") entry, no buttons
    assert call.body == (
        "5,050 credits left. Top up at app.lensmor.com. To snooze, use Pause in the tray menu."
    )
