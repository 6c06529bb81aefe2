"""The native StatusNotifierItem on a real private session bus, read as a host reads it.

A real dbus-daemon; the item is the app's `SniTray`; the watcher is a minimal stand-in written
with dbus-fast (tests/support/sni_bus.py). Real hosts are in tests/desktop/test_sni_*.py.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from tests.conftest import Home
from tests.support.sni_bus import (
    BusClient,
    MiniWatcher,
    private_bus,
    running_tray,
    wait_until,
)
from tray_app.core.balance import Balance
from tray_app.core.levels import DEFAULT_THRESHOLDS, Level
from tray_app.core.state import MonitorState, PollResult, advance, with_no_key
from tray_app.core.view import Action, TrayView, present
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer
from tray_app.support.aio_loop import AsyncioThread
from tray_app.tray.badge_renderer import BadgeRenderer
from tray_app.tray.sni.item import ICON_SETTLE_S, ITEM_INTERFACE, ITEM_PATH
from tray_app.tray.sni.pixmaps import ICON_SIZES, argb32
from tray_app.tray.sni.tray import SniTray

pytestmark = pytest.mark.desktop

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 25, 14, 2, tzinfo=UTC).timestamp()
RESET = int((NOW + 5 * 86400) * 1000)


def view(left: int = 30050) -> TrayView:
    b = Balance(35050, left, 35000, max(left - 50, 0), 50, min(left, 50), RESET)
    state = advance(MonitorState(), PollResult(NOW - 60, balance=b))
    return present(state, DEFAULT_THRESHOLDS, NOW, tz=UTC)


@pytest.fixture
def bus_address() -> Iterator[str]:
    with private_bus() as address:
        yield address


@pytest.fixture
def client(bus_address: str) -> Iterator[BusClient]:
    c = BusClient(bus_address)
    yield c
    c.close()


@pytest.fixture
def watcher(bus_address: str) -> Iterator[MiniWatcher]:
    w = MiniWatcher(bus_address)
    yield w
    w.close()


def props(client: BusClient, tray: SniTray) -> dict[str, object]:
    return client.get_all(tray.bus_name, ITEM_PATH, ITEM_INTERFACE)


def shown(client: BusClient, tray: SniTray, title: str) -> dict[str, object]:
    return wait_until(
        lambda: (p := props(client, tray))["Title"] == title and p, what=f"the title {title!r}"
    )


def test_the_item_exports_what_hosts_read(client: BusClient, bus_address: str) -> None:
    v = view(30050)
    with running_tray(bus_address) as tray:
        assert tray.bus_name.startswith("org.kde.StatusNotifierItem-")
        assert tray.bus_name.endswith("-1")
        tray.show(v)
        p = shown(client, tray, v.title)
        assert p["Category"] == "ApplicationStatus"
        assert p["Id"] == "lensmor-tray"
        assert p["Status"] == "Active"
        assert p["ItemIsMenu"] is True
        assert p["Menu"] == "/MenuBar"
        assert p["IconName"] == ""
        assert p["IconThemePath"] == ""
        assert p["AttentionIconPixmap"] == []
        icon_name, tooltip_pixmaps, tooltip_title, description = p["ToolTip"]  # type: ignore[misc]
        assert icon_name == ""
        assert tooltip_title == v.title
        assert tooltip_title.startswith("Lensmor: 30,050 of 35,050 credits")
        assert description.splitlines()[:3] == [
            "30,050 of 35,050 credits (86%)",
            "Subscription: 30,000 of 35,000",
            "Gift: 50 of 50",
        ]
        assert [(w, h) for w, h, _ in tooltip_pixmaps] == [(48, 48)]


def test_one_pixmap_per_size_each_drawn_for_its_size_in_network_byte_order(
    client: BusClient, bus_address: str
) -> None:
    v = view(30050)
    renderer = BadgeRenderer()
    with running_tray(bus_address) as tray:
        tray.show(v)
        pixmaps = shown(client, tray, v.title)["IconPixmap"]
    assert [(w, h) for w, h, _ in pixmaps] == [(s, s) for s in ICON_SIZES]  # type: ignore[attr-defined]
    for width, _height, data in pixmaps:  # type: ignore[attr-defined]
        image = renderer.render(v.badge, width)
        assert len(data) == width * width * 4
        assert bytes(data) == argb32(image)
        # Byte order spelled out on one opaque pixel: A, R, G, B.
        x, y = width // 2, width - 2
        r, g, b, a = image.convert("RGBA").getpixel((x, y))  # type: ignore[misc]
        offset = (y * width + x) * 4
        assert tuple(data[offset : offset + 4]) == (a, r, g, b)
    # Each size is its own drawing, not one image scaled: 16 px is not 32 px shrunk.
    small = renderer.render(v.badge, 16)
    shrunk = renderer.render(v.badge, 32).resize((16, 16))
    assert argb32(small) != argb32(shrunk)


def test_critical_asks_for_attention_and_signals_only_what_changed(
    client: BusClient, bus_address: str
) -> None:
    ok, critical = view(30050), view(900)
    assert critical.badge.level in (Level.CRITICAL, Level.DEPLETED)
    with running_tray(bus_address) as tray:
        tray.show(ok)
        shown(client, tray, ok.title)
        icon_settled(client, tray)
        client.clear()
        tray.show(ok)  # the same view again: nothing to tell a host
        # A round trip after show(): the item handles show() before the call, and a
        # sender's signals reach us before its reply, so anything it sent has arrived.
        props(client, tray)
        assert [m.member for m in client.signals if m.sender != "org.freedesktop.DBus"] == []

        tray.show(critical)
        p = shown(client, tray, critical.title)
        assert p["Status"] == "NeedsAttention"
        assert [(w, h) for w, h, _ in p["AttentionIconPixmap"]] == [(s, s) for s in ICON_SIZES]  # type: ignore[attr-defined]
        wait_until(lambda: client.seen("NewStatus"), what="NewStatus")
        assert client.seen("NewStatus")[0].body == ["NeedsAttention"]
        for member in ("NewIcon", "NewAttentionIcon", "NewTitle", "NewToolTip"):
            wait_until(lambda m=member: client.seen(m), what=member)

        client.clear()
        tray.show(ok)
        wait_until(lambda: client.seen("NewStatus"), what="NewStatus back")
        assert client.seen("NewStatus")[0].body == ["Active"]
        assert props(client, tray)["AttentionIconPixmap"] == []


def icon_settled(client: BusClient, tray: SniTray) -> None:
    """Wait until the late re-announcement of the last icon change has reached `client`."""
    wait_until(lambda: not tray._item.icon_settling, timeout=ICON_SETTLE_S + 5, what="settle")
    # Signals sent before a reply arrive before it: one round trip flushes them.
    props(client, tray)


def test_a_changed_icon_is_announced_once_more_after_the_last_change(
    client: BusClient, bus_address: str
) -> None:
    # GNOME's extension up to v47 drops a pixmap that arrives while it still converts the
    # previous one (item.py): a second NewIcon after the changes stop lets it read the last.
    with running_tray(bus_address) as tray:
        tray.show(view(30050))
        shown(client, tray, view(30050).title)
        icon_settled(client, tray)
        client.clear()
        low, critical = view(5000), view(900)
        assert len({view(30050).badge, low.badge, critical.badge}) == 3
        tray.show(low)
        tray.show(critical)  # a burst: two changes in a row
        wait_until(lambda: len(client.seen("NewIcon")) == 2, what="a NewIcon per change")
        last_change = client.arrived("NewIcon")[-1]
        wait_until(
            lambda: len(client.seen("NewIcon")) == 3, timeout=ICON_SETTLE_S + 5, what="again"
        )
        again = client.arrived("NewIcon")[-1]
        assert again - last_change >= ICON_SETTLE_S - 0.1  # after the burst, not inside it
        # Sent right after that NewIcon; the client's reader may not have recorded it yet.
        wait_until(
            lambda: any(t >= again - 0.1 for t in client.arrived("NewAttentionIcon")),
            what="NewAttentionIcon with the late NewIcon",
        )
        # Once per burst: no later announcement is pending, and none arrived.
        icon_settled(client, tray)
        assert len(client.seen("NewIcon")) == 3
        assert shown(client, tray, critical.title)["Status"] == "NeedsAttention"


def test_a_title_change_without_a_badge_change_sends_no_new_icon(
    client: BusClient, bus_address: str
) -> None:
    before, after = view(30020), view(30000)  # both "30k": the same badge
    assert before.badge == after.badge
    assert before.title != after.title
    with running_tray(bus_address) as tray:
        tray.show(before)
        shown(client, tray, before.title)
        icon_settled(client, tray)
        client.clear()
        tray.show(after)
        wait_until(lambda: client.seen("NewToolTip"), what="NewToolTip")
        wait_until(lambda: client.seen("NewTitle"), what="NewTitle")
        props(client, tray)  # a round trip: a NewIcon sent with them would have arrived
        assert client.seen("NewIcon") == []
        assert client.seen("NewStatus") == []


def test_every_method_is_answered_and_activate_runs_the_default_action(
    client: BusClient, bus_address: str
) -> None:
    actions: list[tuple[Action, str]] = []

    def on_action(action: Action) -> None:
        actions.append((action, threading.current_thread().name))

    with running_tray(bus_address, on_action) as tray:
        tray.show(view())
        shown(client, tray, view().title)
        for member, args, sig in (
            ("Activate", (10, 10), "ii"),
            ("SecondaryActivate", (10, 10), "ii"),
            ("ContextMenu", (10, 10), "ii"),
            ("Scroll", (120, "vertical"), "is"),
            ("ProvideXdgActivationToken", ("token-1",), "s"),
        ):
            assert (
                client.call(tray.bus_name, ITEM_PATH, ITEM_INTERFACE, member, *args, sig=sig) == []
            )
        wait_until(lambda: len(actions) == 2, what="Activate and SecondaryActivate")
        assert [a for a, _ in actions] == [Action.REFRESH, Action.REFRESH]
        assert all(name.startswith("lensmor-tray-action") for _, name in actions)

        # Without a key, the default is Settings… (what the user needs first).
        no_key = present(with_no_key(MonitorState(), NOW), DEFAULT_THRESHOLDS, NOW, tz=UTC)
        tray.show(no_key)
        shown(client, tray, no_key.title)
        client.call(tray.bus_name, ITEM_PATH, ITEM_INTERFACE, "Activate", 0, 0, sig="ii")
        wait_until(lambda: len(actions) == 3, what="Activate without a key")
        assert actions[-1][0] is Action.SETTINGS


def test_registration_follows_the_watcher_late_and_restarted(
    client: BusClient, watcher: MiniWatcher, bus_address: str
) -> None:
    with running_tray(bus_address) as tray:
        tray.show(view())
        props(client, tray)  # a round trip: the item has handled its start and the view
        assert watcher.services == []  # no watcher yet: nothing registered, no error

        started = time.monotonic()
        watcher.start()  # a panel starting after the app
        wait_until(lambda: watcher.services, timeout=2.0, what="registration with a late watcher")
        assert watcher.registered[0][1] - started < 2.0
        # By object path, from the connection that owns the item's name (see service.py on
        # why not by name).
        assert watcher.services == [ITEM_PATH]
        assert watcher.senders == [client.owner(tray.bus_name)]

        watcher.stop()  # the panel restarts
        wait_until(
            lambda: not client.has_owner("org.kde.StatusNotifierWatcher"), what="watcher gone"
        )
        watcher.start()
        wait_until(lambda: len(watcher.services) == 2, timeout=2.0, what="re-registration")
        assert watcher.services == [ITEM_PATH, ITEM_PATH]
        # Counted once the watcher's reply is in (just after it recorded the call).
        wait_until(lambda: tray.registrations == 2, what="the item to count its registrations")


def test_registers_at_start_when_the_watcher_is_there_and_quit_removes_the_item(
    client: BusClient, watcher: MiniWatcher, bus_address: str
) -> None:
    watcher.start()
    loop = AsyncioThread("sni-test-tray")
    tray = SniTray(lambda _a: None, loop, bus_address=bus_address)
    runner = threading.Thread(target=tray.run, args=(lambda: None,), daemon=True)
    runner.start()
    try:
        wait_until(lambda: watcher.services == [ITEM_PATH], what="registration at start")
        assert watcher.senders == [client.owner(tray.bus_name)]
        client.clear()
        tray.stop()
        runner.join(5)
        assert not runner.is_alive()  # run() returned: the app's main thread goes on to quit
        assert not client.has_owner(tray.bus_name)
        # What a watcher sees to drop the item: the item's name losing its owner.
        gone = [m for m in client.seen("NameOwnerChanged") if m.body[0] == tray.bus_name]
        assert gone
        assert gone[-1].body[2] == ""
    finally:
        tray.stop()
        loop.stop()


def test_the_setup_callback_runs_once_the_item_is_up(bus_address: str) -> None:
    ran = threading.Event()
    loop = AsyncioThread("sni-test-tray")
    tray = SniTray(lambda _a: None, loop, bus_address=bus_address)
    runner = threading.Thread(target=tray.run, args=(ran.set,), daemon=True)
    runner.start()
    try:
        assert ran.wait(5)
    finally:
        tray.stop()
        runner.join(5)
        loop.stop()


def test_no_bus_fails_construction_so_the_app_can_fall_back(tmp_path: object) -> None:
    loop = AsyncioThread("sni-test-tray")
    try:
        with pytest.raises((OSError, TimeoutError, ConnectionError)):
            SniTray(lambda _a: None, loop, bus_address="unix:path=/nonexistent/bus")
    finally:
        loop.stop()


def test_a_dropped_connection_comes_back_with_its_name_and_registration(
    client: BusClient, watcher: MiniWatcher, bus_address: str
) -> None:
    watcher.start()
    with running_tray(bus_address) as tray:
        tray.show(view())
        wait_until(lambda: watcher.services == [ITEM_PATH], what="registration")
        # Whatever ends the connection (the bus, a dbus-fast error), it is not the app quitting.
        loop_bus = tray._service.bus
        tray._loop.call_soon(loop_bus.disconnect)
        wait_until(lambda: len(watcher.services) == 2, timeout=5, what="re-registration")
        assert watcher.services == [ITEM_PATH, ITEM_PATH]
        # The new connection registered, and it is the one that owns the name again.
        assert watcher.senders[0] != watcher.senders[1]
        assert watcher.senders[1] == client.owner(tray.bus_name)
        assert shown(client, tray, view().title)["Id"] == "lensmor-tray"


def test_a_full_socket_buffer_is_a_short_write_not_an_error() -> None:
    import socket

    from tray_app.tray.sni.service import _RetryingSocket

    ours, theirs = socket.socketpair()
    try:
        ours.setblocking(False)
        wrapped = _RetryingSocket(ours)
        chunk = b"x" * 65536
        written = [wrapped.send(chunk) for _ in range(200)]  # nobody reads: the buffer fills
        assert written[0] > 0
        assert written[-1] == 0
        assert wrapped.fileno() == ours.fileno()  # everything else passes through
        with pytest.raises(BlockingIOError):
            ours.send(chunk)  # what dbus-fast would have seen
    finally:
        ours.close()
        theirs.close()


def test_a_taken_bus_name_fails_construction_and_leaves_nothing_behind(
    client: BusClient, bus_address: str
) -> None:
    with running_tray(bus_address) as first:
        loop = AsyncioThread("sni-test-second")
        try:
            with pytest.raises(RuntimeError, match="is taken"):
                SniTray(lambda _a: None, loop, bus_address=bus_address, bus_name=first.bus_name)
        finally:
            loop.stop()
        # The first item still answers; the failed one left no connection exporting objects.
        assert props(client, first)["Id"] == "lensmor-tray"
        (names,) = client.call(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ListNames"
        )
        # Unique names: the client and the first tray only.
        assert len([n for n in names if n.startswith(":")]) == 2


def test_show_after_quit_is_ignored(bus_address: str) -> None:
    with running_tray(bus_address) as tray:
        tray.show(view())
    # The loop is stopped now (running_tray's exit); a poll finishing late must not raise.
    tray.show(view(20000))


def test_the_app_at_login_waits_for_a_watcher_then_shows_its_item_and_quit_removes_it(
    client: BusClient, watcher: MiniWatcher, bus_address: str, home: Home
) -> None:
    """The whole app (`run --autostart`) on the bus: the login wait, the choice, the item."""
    env = dict(
        home.env,
        DBUS_SESSION_BUS_ADDRESS=bus_address,
        LENSMOR_API_KEY=DEMO_KEY,
        PYTHONUNBUFFERED="1",
    )
    with SimulatedLensmorServer() as server:
        env["LENSMOR_BASE_URL"] = server.url
        server.account.set_balance(subscriptionBalance=12000)
        log = home.root / "app.log"
        with log.open("wb") as out:
            app = subprocess.Popen(
                [sys.executable, "-m", "tray_app", "-v", "run", "--autostart"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            time.sleep(2.0)  # no panel yet: the app waits, with no item on the bus
            assert app.poll() is None
            assert watcher.services == []
            started = time.monotonic()
            watcher.start()  # the panel arrives
            (path,) = wait_until(lambda: watcher.services, timeout=5, what="the app's item")
            assert time.monotonic() - started < 3.0  # the login wait polls once a second
            assert path == ITEM_PATH
            name = f"org.kde.StatusNotifierItem-{app.pid}-1"
            assert watcher.senders == [client.owner(name)]
            title = wait_until(
                lambda: (
                    (t := client.get(name, ITEM_PATH, ITEM_INTERFACE, "Title")).startswith(
                        "Lensmor: 12,050 of 35,050 credits"
                    )
                    and t
                ),
                timeout=15,
                what="the first balance on the item",
            )
            assert "(34%)" in title
            app.send_signal(signal.SIGTERM)
            assert app.wait(timeout=15) == 0
            assert not client.has_owner(name)
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
        text = log.read_text()
        assert "tray: sni (a StatusNotifier watcher is on the session bus)" in text
        assert "Traceback" not in text
        assert DEMO_KEY not in text
