"""Several Lensmor accounts in one tray, on a real desktop: xfce4-panel's StatusNotifier tray
on Xvfb (a 1366x768 laptop screen), a private session bus, dunst, and the real app (`python -m
tray_app run`, the native SNI item) against one simulated server that serves the accounts, each
opened by its own key.

Looked at as a host does (the item's ToolTip and dbusmenu over D-Bus), as a user does (the
badge's colour in a screenshot of the bar) and as the notification server sees it (every
Notify call, recorded by dbus-monitor on the same bus). The menu with one, two and five
accounts is opened on screen and measured: under 600 px, and still open after an update.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import REPO
from tray_app.config.paths import account_key_file
from tray_app.core.levels import Level
from tray_app.demo.server import SimulatedAccount, SimulatedLensmorServer
from tray_app.tray.badge_palette import LEVEL_FILL
from tray_app.tray.sni.dbusmenu import OPEN_MENU_HOLD_S

from .conftest import running_on_ci
from .harness import NotifyCall, parse_notify_log, poll_until
from .hosts.base import HostSession, Process
from .hosts.pixels import find_colour
from .hosts.sni_client import ItemAddress, MenuNode
from .hosts.xfce import XfceHost

pytestmark = [pytest.mark.desktop, pytest.mark.slow]

WORK_KEY = "uak_workworkworkwork0000aaaa"
HOME_KEY = "uak_homehomehomehome1111bbbb"
BAR_HEIGHT = 36
#: The small laptop screen the menu must fit on (issue 23): under 600 px tall.
MENU_HEIGHT_LIMIT = 600


class LaptopXfceHost(XfceHost):
    """A screen taller than the limit, so a menu too tall shows its full height (on a
    600 px screen GTK would cut it to the screen and scroll)."""

    screen = "1366x768x24"


@pytest.fixture
def host() -> Iterator[HostSession]:
    missing = LaptopXfceHost.missing_tools()
    if os.geteuid() != 0:
        missing.append("root (the hosts run as on CI)")
    if missing:
        reason = f"xfce host cannot run: missing {', '.join(missing)}"
        if running_on_ci():
            pytest.fail(f"{reason} (CI is set, so this is a failure)", pytrace=False)
        pytest.skip(reason)
    with LaptopXfceHost() as session:
        yield session


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    accounts = {
        "Work": SimulatedAccount(total_subscription=10_000, gift=0, valid_keys=(WORK_KEY,)),
        "Home": SimulatedAccount(total_subscription=10_000, gift=0, valid_keys=(HOME_KEY,)),
    }
    with SimulatedLensmorServer(accounts=accounts) as srv:
        srv.accounts["Work"].set_balance(subscriptionBalance=9_000)  # 90 %
        srv.accounts["Home"].set_balance(subscriptionBalance=8_000)  # 80 %: closer to empty
        yield srv


def record_notifications(host: HostSession) -> Path:
    log = host.log_dir / "notify-monitor.log"
    out = log.open("wb")
    host.launch(
        "dbus-monitor",
        [
            "dbus-monitor",
            "--address",
            host.env["DBUS_SESSION_BUS_ADDRESS"],
            "interface='org.freedesktop.Notifications'",
            "type='method_return'",
            "type='error'",
        ],
        stdout=out,
    )
    out.close()
    poll_until(lambda: "member=NameLost" in log.read_text(errors="replace"), 10, "dbus-monitor")
    return log


def launch_app(
    host: HostSession,
    server: SimulatedLensmorServer,
    keys: Sequence[tuple[str, str]] = (("Work", WORK_KEY), ("Home", HOME_KEY)),
) -> Process:
    """The app with one `[[accounts]]` entry and stored key per (name, key), its own files."""
    env = host.env
    run = f"app-{len(list((host.root).glob('app-*')))}"
    root = host.root / run
    for key, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data")):
        (root / sub).mkdir(parents=True, mode=0o700)
        env[key] = str(root / sub)
    config_dir = root / "config" / "lensmor-tray"
    config_dir.mkdir(mode=0o700)
    entries = "".join(f'\n[[accounts]]\nname = "{name}"\n' for name, _key in keys)
    (config_dir / "config.toml").write_text(f'base_url = "{server.url}"\n' + entries)
    for name, key in keys:
        path = account_key_file(config_dir / "api-key", name)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.write_text(key + "\n")
        path.chmod(0o600)
    env.update(
        PYTHONPATH=str(REPO),
        LENSMOR_TRAY_PACING="demo",  # polls every few seconds
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        LENSMOR_TRAY="sni",
    )
    env.pop("LENSMOR_API_KEY", None)
    return host.launch(run, [sys.executable, "-m", "tray_app", "-v", "run"], env=env)


def labels(host: HostSession, item: ItemAddress) -> list[str]:
    return [str(n.props.get("label", "")) for n in host.client.menu_layout(item)[1].walk()]


def account_row(root: MenuNode, name: str) -> MenuNode | None:
    """The account's summary row ("Work: 9,000 of 10,000 credits (90%) · ok")."""
    return next(
        (n for n in root.children if str(n.props.get("label", "")).startswith(f"{name}: ")), None
    )


def details(host: HostSession, item: ItemAddress, name: str) -> list[str]:
    """The rows of one account's submenu (empty while it has none)."""
    row = account_row(host.client.menu_layout(item)[1], name)
    return [] if row is None else [str(n.props.get("label", "")) for n in row.children]


def badge_in_bar(host: HostSession, level: Level) -> bool:
    image = host.screenshot()
    return find_colour(image, LEVEL_FILL[level], (0, 0, image.width, BAR_HEIGHT)) is not None


def test_two_accounts_share_one_icon_and_each_keeps_its_own_story(
    host: HostSession, server: SimulatedLensmorServer
) -> None:
    notify_log = record_notifications(host)
    app = launch_app(host, server)

    def log_tail() -> str:
        return app.log.read_text(errors="replace")[-3000:]

    def item() -> ItemAddress | None:
        found = host.client.items_of_pid(app.pid)
        return found[0] if found else None

    address = poll_until(item, 20, "the app's item")

    def tooltip() -> str:
        return str(host.client.item_property(address, "ToolTip")[2])

    def until(predicate: object, what: str, timeout: float = 20) -> None:
        try:
            poll_until(predicate, timeout, what)  # type: ignore[arg-type]
        except TimeoutError:
            host.screenshot("accounts-failure")
            raise AssertionError(
                f"{what}: tooltip {tooltip()!r}, menu {labels(host, address)}; log:\n{log_tail()}"
            ) from None

    # Both accounts poll; Home (80 %) is closer to running out, so the badge shows Home.
    until(lambda: "Lensmor — Home: 8,000 of 10,000" in tooltip() or None, "Home on the badge")
    menu = labels(host, address)
    assert "9,000 of 10,000 credits (90%)" in details(host, address, "Work")
    assert "8,000 of 10,000 credits (80%)" in details(host, address, "Home")
    # Home is closer to running out: its row comes first.
    top = [str(n.props.get("label", "")) for n in host.client.menu_layout(address)[1].children]
    assert top[:2] == [
        "Home: 8,000 of 10,000 credits (80%) · ok",
        "Work: 9,000 of 10,000 credits (90%) · ok",
    ], top
    assert "Closest to running out" in menu
    assert server.accounts["Work"].requests
    assert server.accounts["Home"].requests

    # Work drops to 15 %: low. The badge follows the lower account, the bar shows the low
    # colour, and exactly one notification says so, naming Work.
    server.accounts["Work"].set_balance(subscriptionBalance=1_500)
    os.kill(app.pid, signal.SIGUSR1)
    until(lambda: "Lensmor — Work: 1,500 of 10,000" in tooltip() or None, "Work on the badge")
    until(lambda: badge_in_bar(host, Level.LOW) or None, "a low badge in the bar")
    host.screenshot("accounts-work-low")

    def calls() -> list[NotifyCall]:
        return parse_notify_log(notify_log.read_text(errors="replace"))

    low = poll_until(lambda: [c for c in calls() if "20% warning" in c.body] or None, 15, "low")
    assert len(low) == 1
    assert low[0].summary.startswith("Work: ")
    assert not any(c.summary.startswith("Home: ") for c in calls())

    # Home's key is now rejected (seen at Home's next poll: "Refresh now", so the test does not
    # depend on which account the previous refresh polled first). Work's section keeps
    # following Work's balance.
    server.accounts["Home"].set_valid_keys(["uak_someoneelse0000000000000"])
    os.kill(app.pid, signal.SIGUSR1)
    until(
        lambda: any("Key rejected" in row for row in details(host, address, "Home")) or None,
        "Home's key rejected in its section",
    )
    server.accounts["Work"].set_balance(subscriptionBalance=1_200)
    until(
        lambda: "1,200 of 10,000 credits (12%)" in details(host, address, "Work") or None,
        "Work's section updated while Home's key is rejected",
    )
    # One low crossing, one notification: the later Work polls and Home's rejection add only
    # Home's own key-rejected notice, named.
    recorded = calls()
    assert [c for c in recorded if c.body == low[0].body] == low
    assert all(c.summary.startswith(("Work: ", "Home: ")) for c in recorded), recorded
    assert "Traceback" not in app.log.read_text(errors="replace")


@pytest.mark.parametrize("count", [1, 2, 5])
def test_the_menu_fits_a_small_screen_and_stays_open_across_an_update(
    host: HostSession, count: int
) -> None:
    names = ["Work", "Home", "Lab", "Side", "Team"][:count]
    keys = [(name, f"uak_{name.lower():x<20}{index:04d}cccc") for index, name in enumerate(names)]
    accounts = {
        name: SimulatedAccount(total_subscription=10_000, gift=0, valid_keys=(key,))
        for name, key in keys
    }
    with SimulatedLensmorServer(accounts=accounts) as server:
        for index, name in enumerate(names):  # 90 %, 85 %, ...: all ok, Work the fullest
            server.accounts[name].set_balance(subscriptionBalance=9_000 - 500 * index)
        app = launch_app(host, server, keys)
        try:
            found = poll_until(lambda: host.client.items_of_pid(app.pid) or None, 20, "the item")
            address = found[0]

            def tooltip() -> str:
                return str(host.client.item_property(address, "ToolTip")[2])

            last = names[-1]
            shown = "Lensmor: " if count == 1 else f"Lensmor — {last}: "
            poll_until(lambda: shown in tooltip() or None, 20, f"{shown!r} in the tooltip")
            balances = [f"{9_000 - 500 * index:,} of 10,000" for index in range(count)]
            poll_until(  # every account has polled: the menu shows each balance
                lambda: all(b in " ".join(labels(host, address)) for b in balances) or None,
                20,
                "every account's balance in the menu",
            )
            box = poll_until(lambda: _badge_box(host, Level.OK), 10, "the ok badge in the bar")
            host.click((box[0] + box[2]) // 2, (box[1] + box[3]) // 2, 1)
            menu = poll_until(host.menus, 5.0, "the item's menu to open")[0]
            host.screenshot(f"menu-{count}-accounts")
            assert menu.height < MENU_HEIGHT_LIMIT, (
                f"the menu of {count} accounts is {menu.height} px tall"
            )
            rows_open = _rows(host.client.menu_layout(address)[1])
            # Work drops to 15 %: low, the worst now, so its row moves to the top (and with
            # one account, its rows change). The open menu stays open: every row keeps its id.
            server.accounts["Work"].set_balance(subscriptionBalance=1_500)
            os.kill(app.pid, signal.SIGUSR1)
            poll_until(lambda: "1,500 of 10,000" in tooltip() or None, 20, "Work low")
            if count > 1:
                first = host.client.menu_layout(address)[1].children[0]
                assert str(first.props.get("label", "")).startswith("Work: 1,500"), first.props
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                assert any(m.id == menu.id for m in host.menus()), "the menu closed at the update"
                time.sleep(0.1)
            host.screenshot(f"menu-{count}-accounts-after-update")
            # Work's new "Recent alerts" waits for the menu to close: added to the open menu,
            # it pushed "Quit" behind a scroll arrow (the menu keeps the height it opened with).
            assert _rows(host.client.menu_layout(address)[1]) == rows_open
            host.key("Escape")
            if count == 1:  # xfce4-panel never says the menu closed: the hold ends on a timer
                poll_until(
                    lambda: "Recent alerts" in " ".join(labels(host, address)) or None,
                    OPEN_MENU_HOLD_S + 10,
                    "the held rows after the open menu's hold",
                )
        finally:
            host.stop(app.name)


def _rows(root: MenuNode) -> set[tuple[int, int]]:
    return {(node.id, child.id) for node in root.walk() for child in node.children}


def _badge_box(host: HostSession, level: Level) -> tuple[int, int, int, int] | None:
    image = host.screenshot()
    return find_colour(image, LEVEL_FILL[level], (0, 0, image.width, BAR_HEIGHT))
