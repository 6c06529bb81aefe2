"""The tray app's StatusNotifierItem on real tray hosts, headless: xfce4-panel on Xvfb (SNI on
X11), sway + waybar (SNI on Wayland) and gnome-shell 43 with the AppIndicator extension.

Each host starts once for this module (tests/desktop/hosts/); each test starts the real app
(`python -m tray_app run`, the native item selected with LENSMOR_TRAY=sni) against the
simulated Lensmor API on loopback and looks at it three ways: as a host does (over D-Bus: the
watcher's list, the item's properties, its dbusmenu), as a user does (screenshots of the bar,
clicks), and as a reader of the pixels the host draws (the IconPixmap, OCR'd).
Screenshots: test-artifacts/desktop/<host>/.

LENSMOR_TEST_TRAY overrides the tray the app is told to use (e.g. `pystray-appindicator`, to
see what today's pystray item does on these hosts).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from dbus_fast import Variant
from PIL import Image

from tests.conftest import REPO
from tray_app.core import fmt
from tray_app.core.levels import Level
from tray_app.demo.server import DEMO_KEY, Fault, SimulatedLensmorServer
from tray_app.tray.badge_palette import LEVEL_FILL

from .conftest import running_on_ci
from .harness import poll_until
from .hosts.base import HostSession, Process
from .hosts.gnome import GnomeHost
from .hosts.pixels import (
    find_colour,
    pixmaps_by_size,
    read_badge_text,
    read_lines,
    tesseract_available,
)
from .hosts.sni_client import DBusCallError, ItemAddress, MenuNode
from .hosts.sway import SwayHost
from .hosts.xfce import XfceHost

pytestmark = [pytest.mark.desktop, pytest.mark.slow]

HOSTS: dict[str, type[HostSession]] = {"xfce": XfceHost, "sway": SwayHost, "gnome": GnomeHost}
TRAY = os.environ.get("LENSMOR_TEST_TRAY", "sni")

# Balances (subscription part; a 50-credit gift comes on top) and what the badge says.
OK_BALANCE = 30000  # 30,050 of 35,050: ok, "30.1k"
LOW_BALANCE = 5000  # 5,050: low
CRITICAL_BALANCE = 900  # 950: critical, "950"

# How long a host may take to get the item after its watcher appears (the figure).
REGISTER_WITHIN_S = 2.0
BAR_HEIGHT = 36


def set_balance(server: SimulatedLensmorServer, subscription_balance: int) -> int:
    server.account.set_balance(
        subscriptionAmount=35000,
        subscriptionBalance=subscription_balance,
        giftAmount=50,
        giftBalance=50,
    )
    return subscription_balance + 50


@pytest.fixture(scope="module", params=list(HOSTS))
def host(request: pytest.FixtureRequest) -> Iterator[HostSession]:
    cls = HOSTS[request.param]
    missing = cls.missing_tools() + ([] if tesseract_available() else ["tesseract"])
    if os.geteuid() != 0:
        missing.append("root (the hosts run as on CI: as root, sway through setpriv)")
    if missing:
        reason = f"{cls.name} host cannot run: missing {', '.join(missing)}"
        if running_on_ci():
            pytest.fail(f"{reason} (CI is set, so this is a failure)", pytrace=False)
        pytest.skip(reason)
    with cls() as session:
        yield session


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as srv:
        # Many apps poll with one key in this module; a 429 would make the badge stale.
        srv.account.set_rate_limit(10_000, 60.0)
        yield srv


@dataclass
class TrayApp:
    host: HostSession
    server: SimulatedLensmorServer
    process: Process

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.proc is not None and self.process.proc.poll() is None

    def log(self) -> str:
        return self.process.log.read_text(errors="replace")

    def items(self) -> list[ItemAddress]:
        return self.host.client.items_of_pid(self.pid)

    def wait_item(self, timeout: float = 15.0) -> ItemAddress:
        def registered() -> ItemAddress | None:
            if not self.running():
                raise AssertionError(f"the app exited; log:\n{self.log()[-3000:]}")
            found = self.items()
            return found[0] if found else None

        try:
            return poll_until(registered, timeout, "the app's item in the watcher's list")
        except TimeoutError:
            raise AssertionError(
                f"not registered within {timeout} s; watcher lists "
                f"{self.host.client.registered_items()}; app log:\n{self.log()[-3000:]}"
            ) from None

    def prop(self, item: ItemAddress, name: str) -> object:
        return self.host.client.item_property(item, name)

    def tooltip(self, item: ItemAddress) -> tuple[str, str]:
        _icon, _pixmaps, title, description = self.prop(item, "ToolTip")  # type: ignore[misc]
        return str(title), str(description)

    def change_balance(self, subscription_balance: int) -> int:
        """Set the simulated balance and ask the app to poll now (SIGUSR1)."""
        total = set_balance(self.server, subscription_balance)
        os.kill(self.pid, signal.SIGUSR1)
        return total

    def wait_tooltip(self, item: ItemAddress, text: str, timeout: float = 10.0) -> str:
        def shows() -> str | None:
            title = self.tooltip(item)[0]
            return title if text in title else None

        try:
            return poll_until(shows, timeout, f"{text!r} in the ToolTip title")
        except TimeoutError:
            raise AssertionError(
                f"ToolTip title is {self.tooltip(item)[0]!r}, expected {text!r} in it"
            ) from None


@pytest.fixture
def launch(
    host: HostSession, server: SimulatedLensmorServer, request: pytest.FixtureRequest
) -> Iterator[Callable[[], TrayApp]]:
    started: list[TrayApp] = []
    failed_before = request.session.testsfailed

    def start() -> TrayApp:
        set_balance(server, OK_BALANCE)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        env = host.env
        # Its own data and state (a first start), so no test sees the last one's balance.
        data = host.root / "apps" / f"{name}-{len(started)}"
        for key, sub in (
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_DATA_HOME", "data"),
            ("XDG_STATE_HOME", "state"),
            ("XDG_CACHE_HOME", "cache"),
        ):
            (data / sub).mkdir(parents=True, mode=0o700)
            env[key] = str(data / sub)
        env.update(
            PYTHONPATH=str(REPO),
            LENSMOR_BASE_URL=server.url,
            LENSMOR_API_KEY=DEMO_KEY,
            LENSMOR_TRAY_PACING="production",  # no poll of its own during a test
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            LENSMOR_TRAY=TRAY,
        )
        process = host.launch(
            f"app-{name}-{len(started)}", [sys.executable, "-m", "tray_app", "-v", "run"], env=env
        )
        app = TrayApp(host, server, process)
        started.append(app)
        # The first poll is done: from here on the item shows the simulated balance.
        poll_until(lambda: "poll: " in app.log() or not app.running(), 20.0, "the app's first poll")
        assert app.running(), f"the app exited at start:\n{app.log()[-3000:]}"
        return app

    yield start
    if request.session.testsfailed > failed_before:
        name = request.node.name.replace("/", "_")
        host.save_logs(name)
        with contextlib.suppress(Exception):  # a failure shot is a courtesy
            host.screenshot(f"{name}-failure")
    for app in started:
        if host.process(app.process.name) is not None:
            host.stop(app.process.name)


def bar_region(image: Image.Image) -> tuple[int, int, int, int]:
    return (0, 0, image.width, BAR_HEIGHT)


def wait_badge_on_screen(
    host: HostSession, level: Level, name: str, timeout: float = 10.0
) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """Wait until the bar shows a badge in `level`'s fill colour; save the shot as `name`."""
    shots: list[Image.Image] = []

    def shown() -> tuple[int, int, int, int] | None:
        image = host.screenshot()
        shots[:] = [image]
        return find_colour(image, LEVEL_FILL[level], bar_region(image))

    try:
        box = poll_until(shown, timeout, f"a {level.name} badge in the bar")
    except TimeoutError:
        if shots:
            host.save_image(shots[0], f"{name}-missing")
        raise AssertionError(
            f"no {level.name} badge in the {host.name} bar; see {name}-missing.png"
        ) from None
    host.save_image(shots[0], name)
    host.save_image(shots[0].crop((box[0] - 4, 0, box[2] + 4, BAR_HEIGHT)), f"{name}-badge")
    return shots[0], box


def badge_texts(total: int) -> set[str]:
    """What a badge may say for `total`: the compact number ("30.1k"), or at small sizes the
    same number without its decimal ("30k"), as long as it is still that number."""
    text = fmt.compact(total)
    number = re.fullmatch(r"(\d+)\.(\d)([kMB])", text)
    if number is None:
        return {text}
    whole = round(float(f"{number[1]}.{number[2]}"))
    return {text, f"{whole}{number[3]}"}


def menu_ids(root: MenuNode) -> dict[str, int]:
    """{label: id} of the rows whose label does not carry a number (those are renamed)."""
    return {
        str(n.props["label"]): n.id
        for n in root.walk()
        if n.props.get("label") and not any(c.isdigit() for c in str(n.props["label"]))
    }


# --- the tests ---------------------------------------------------------------------------


def test_the_item_registers_shows_the_balance_and_follows_it(
    host: HostSession, launch: Callable[[], TrayApp]
) -> None:
    app = launch()
    item = app.wait_item()
    props = app.host.client.item_properties(item)
    assert props["Status"] == "Active"
    assert props["Category"] == "ApplicationStatus"
    assert props["Id"]
    app.wait_tooltip(item, fmt.credits(OK_BALANCE + 50))
    assert str(props.get("Title", "")).strip(), "the item has no Title"
    _, description = app.tooltip(item)
    assert description.strip(), "the ToolTip has no description (the detail rows)"
    _, ok_box = wait_badge_on_screen(host, Level.OK, "1-registered-ok")
    _, layout_before = app.host.client.menu_layout(item)

    low = app.change_balance(LOW_BALANCE)
    app.wait_tooltip(item, fmt.credits(low))
    image, low_box = wait_badge_on_screen(host, Level.LOW, "2-after-change-low")
    assert find_colour(image, LEVEL_FILL[Level.OK], bar_region(image)) is None, (
        "the ok badge is still in the bar next to the low one"
    )
    # The same item, updated in place: same bus name and path, same menu row ids.
    assert app.items() == [item], (
        f"the watcher lists {app.host.client.registered_items()}: the host dropped or "
        "re-registered the item at the update"
    )
    _, layout_after = app.host.client.menu_layout(item)
    # Every row that was there keeps its id ("Recent alerts" may appear: the notification of
    # the change is listed there, a new row, which is a layout update).
    ids_before, ids_after = menu_ids(layout_before), menu_ids(layout_after)
    assert {label: ids_after.get(label) for label in ids_before} == ids_before
    assert any(fmt.credits(low) in label for label in layout_after.labels()), layout_after.labels()
    assert abs(low_box[0] - ok_box[0]) <= 4, "the badge moved: was it re-registered?"


def test_every_click_a_host_can_send_is_answered(launch: Callable[[], TrayApp]) -> None:
    app = launch()
    item = app.wait_item()
    assert app.prop(item, "ItemIsMenu") in (True, False)
    # A left click is "Refresh now" (SNI_NOTES.md): it reaches the API.
    before = len(app.server.account.requests)
    app.host.client.call_item(item, "Activate", "ii", [10, 10])
    poll_until(lambda: len(app.server.account.requests) > before, 10.0, "a poll after Activate")
    # With the API hanging, every call a host makes still answers at once: the item's
    # D-Bus service never waits on a poll.
    app.server.account.inject(Fault.slow(3.0), times=3)
    for method, signature, body in (
        ("Activate", "ii", [10, 10]),
        ("SecondaryActivate", "ii", [10, 10]),
        ("Scroll", "is", [1, "vertical"]),
        ("ContextMenu", "ii", [10, 10]),
    ):
        started = time.monotonic()
        try:
            app.host.client.call_item(item, method, signature, body)
        except DBusCallError as exc:
            pytest.fail(f"{method} was not answered: {exc}")
        assert time.monotonic() - started < 1.0, f"{method} took over a second to answer"
    started = time.monotonic()
    app.host.client.menu_layout(item)
    app.tooltip(item)
    assert time.monotonic() - started < 1.0, "GetLayout and ToolTip waited on the poll"
    app.server.account.clear_faults()
    assert app.running()
    app.host.dismiss_popups()


@pytest.mark.parametrize("size", [16, 22])
def test_the_badge_pixmap_is_legible_at_small_sizes(
    host: HostSession, launch: Callable[[], TrayApp], size: int
) -> None:
    app = launch()
    item = app.wait_item()
    app.wait_tooltip(item, fmt.credits(OK_BALANCE + 50))
    illegible = []
    for balance in (OK_BALANCE, CRITICAL_BALANCE):
        total = app.change_balance(balance)
        expected = badge_texts(total)
        app.wait_tooltip(item, fmt.credits(total))
        status = app.prop(item, "Status")
        # A critical balance asks for attention and the host then draws the attention icon.
        critical = balance == CRITICAL_BALANCE
        assert status == ("NeedsAttention" if critical else "Active"), status
        prop = "AttentionIconPixmap" if critical else "IconPixmap"
        pixmaps = pixmaps_by_size(app.prop(item, prop))  # type: ignore[arg-type]
        assert size in pixmaps, f"{prop} has sizes {sorted(pixmaps)}, not {size}"
        badge = pixmaps[size]
        assert badge.size == (size, size)
        badge.save(host.artifacts_dir / f"pixmap-{size}px-{total}-raw.png")
        badge.resize((size * 8, size * 8), Image.Resampling.NEAREST).save(
            host.artifacts_dir / f"pixmap-{size}px-{total}.png"
        )
        readings = read_badge_text(badge, host.artifacts_dir / f"pixmap-{size}px-{total}-ocr.png")
        # tesseract drops a one-pixel decimal point ("30.1k" reads "301k"; the renderer's
        # own OCR test sees the same): every digit and the suffix must still come back.
        undotted = {text.replace(".", "") for text in expected}
        if not expected.intersection(readings) and not undotted.intersection(readings):
            illegible.append(f"{prop} for {total}: OCR read {readings}, not {sorted(expected)}")
    assert not illegible, f"illegible at {size} px: " + "; ".join(illegible)


def test_an_open_menu_stays_open_across_an_update(
    host: HostSession, launch: Callable[[], TrayApp]
) -> None:
    if isinstance(host, SwayHost):
        pytest.skip("sway's headless seat has no pointer: nothing can open a menu there")
    app = launch()
    item = app.wait_item()
    app.wait_tooltip(item, fmt.credits(OK_BALANCE + 50))
    if isinstance(host, XfceHost):
        _, box = wait_badge_on_screen(host, Level.OK, "3-before-menu")
        host.click((box[0] + box[2]) // 2, (box[1] + box[3]) // 2, 1)
        menu = poll_until(host.menus, 5.0, "the item's menu to open")[0]
        host.screenshot("4-menu-open")
        low = app.change_balance(LOW_BALANCE)
        app.wait_tooltip(item, fmt.credits(low))
        # Hosts close a menu when the item replaces it; give the host time to react.
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            assert any(m.id == menu.id for m in host.menus()), "the menu closed at the update"
            time.sleep(0.1)
        host.screenshot("5-menu-open-after-update")
        host.key("Escape")
    else:
        assert isinstance(host, GnomeHost)
        host.hide_overview()  # re-enabling the extension (a panel restart) brings it back
        host.begin_pointer()  # its screen-sharing indicator shifts the tray: locate after it
        try:
            # The indicator slides in: wait until the badge stays put between two looks.
            seen: list[tuple[int, int, int, int]] = []

            def settled() -> tuple[Image.Image, tuple[int, int, int, int]] | None:
                shot, where = wait_badge_on_screen(host, Level.OK, "3-before-menu")
                seen.append(where)
                return (shot, where) if len(seen) > 1 and seen[-2] == where else None

            baseline, box = poll_until(settled, 10.0, "the badge to settle")
            x, y = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
            # Where the menu's first rows are read (the rows the update changes).
            rows_box = (max(0, x - 420), BAR_HEIGHT, baseline.width, BAR_HEIGHT + 260)
            host.click(x, y, 1)

            def menu_drawn() -> Image.Image | None:
                # Read, not compared: the overview GNOME shows as the menu opens, or a banner
                # such as "Screen Lock disabled", also changes those pixels ("4-menu-open"
                # once showed the banner and no menu).
                shot = host.screenshot()
                return shot if "credits" in read_lines(shot.crop(rows_box)) else None

            poll_until(menu_drawn, 8.0, "the item's menu to open").save(
                host.artifacts_dir / "4-menu-open.png"
            )
            low = app.change_balance(LOW_BALANCE)
            app.wait_tooltip(item, fmt.credits(low))
            for i in range(4):
                time.sleep(0.5)
                shot = host.screenshot(f"5-menu-after-update-{i}")
                text = read_lines(shot.crop(rows_box))
                assert "credits" in text, f"the menu closed at the update (shot {i}): {text!r}"
            # The open menu shows the new balance, not the rows it opened with: the extension
            # takes known rows' labels from ItemsPropertiesUpdated only (menu_model.diff).
            text = read_lines(shot.crop(rows_box))
            assert fmt.credits(low) in text, f"the open menu reads: {text!r}"
            host.key("Escape")
        finally:
            host.end_pointer()


def test_a_panel_started_after_the_app_and_a_restarted_panel_get_the_item(
    host: HostSession, launch: Callable[[], TrayApp]
) -> None:
    host.stop_panel()
    try:
        app = launch()  # it has polled: it runs, with no watcher to register with
        assert not host.client.registered_items()
    finally:
        host.start_panel()
    app.wait_item(timeout=REGISTER_WITHIN_S)
    wait_badge_on_screen(host, Level.OK, "6-panel-started-after-the-app")

    host.stop_panel()
    host.start_panel()
    app.wait_item(timeout=REGISTER_WITHIN_S)
    wait_badge_on_screen(host, Level.OK, "7-panel-restarted")


def test_quitting_removes_the_item(host: HostSession, launch: Callable[[], TrayApp]) -> None:
    app = launch()
    item = app.wait_item()
    wait_badge_on_screen(host, Level.OK, "8-before-quit")
    _, layout = app.host.client.menu_layout(item)
    quit_row = next(n for n in layout.walk() if n.props.get("label") == "Quit")
    menu_path = str(app.prop(item, "Menu"))
    app.host.client.call_method(
        item.bus_name,
        menu_path,
        "com.canonical.dbusmenu",
        "Event",
        "isvu",
        [quit_row.id, "clicked", Variant("s", ""), int(time.time()) & 0xFFFFFFFF],
    )
    poll_until(lambda: not app.running(), 10.0, "the app to quit from its menu")
    assert app.process.proc is not None
    assert app.process.proc.returncode == 0, f"Quit exited with {app.process.proc.returncode}"
    poll_until(lambda: not host.client.registered_items(), 5.0, "the item to leave the watcher")

    def no_badge() -> bool:
        image = host.screenshot()
        return find_colour(image, LEVEL_FILL[Level.OK], bar_region(image)) is None

    poll_until(no_badge, 5.0, "the badge to leave the bar")
    host.screenshot("9-after-quit")
