"""Two Lensmor accounts in one tray, on a real desktop: xfce4-panel's StatusNotifier tray on
Xvfb, a private session bus, dunst, and the real app (`python -m tray_app run`, the native SNI
item) against one simulated server that serves two accounts, each opened by its own key.

Looked at as a host does (the item's ToolTip and dbusmenu over D-Bus), as a user does (the
badge's colour in a screenshot of the bar) and as the notification server sees it (every
Notify call, recorded by dbus-monitor on the same bus).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tray_app.config.paths import account_key_file
from tray_app.core.levels import Level
from tray_app.demo.server import SimulatedAccount, SimulatedLensmorServer
from tray_app.tray.badge_palette import LEVEL_FILL

from .conftest import running_on_ci
from .harness import NotifyCall, parse_notify_log, poll_until
from .hosts.base import HostSession, Process
from .hosts.pixels import find_colour
from .hosts.sni_client import ItemAddress
from .hosts.xfce import XfceHost

pytestmark = [pytest.mark.desktop, pytest.mark.slow]

WORK_KEY = "uak_workworkworkwork0000aaaa"
HOME_KEY = "uak_homehomehomehome1111bbbb"
BAR_HEIGHT = 36

CONFIG = """
[[accounts]]
name = "Work"

[[accounts]]
name = "Home"
"""


@pytest.fixture
def host() -> Iterator[HostSession]:
    missing = XfceHost.missing_tools()
    if os.geteuid() != 0:
        missing.append("root (the hosts run as on CI)")
    if missing:
        reason = f"xfce host cannot run: missing {', '.join(missing)}"
        if running_on_ci():
            pytest.fail(f"{reason} (CI is set, so this is a failure)", pytrace=False)
        pytest.skip(reason)
    with XfceHost() as session:
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


def launch_app(host: HostSession, server: SimulatedLensmorServer) -> Process:
    env = host.env
    root = host.root / "app"
    for key, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data")):
        (root / sub).mkdir(parents=True, mode=0o700)
        env[key] = str(root / sub)
    config_dir = root / "config" / "lensmor-tray"
    config_dir.mkdir(mode=0o700)
    (config_dir / "config.toml").write_text(f'base_url = "{server.url}"\n' + CONFIG)
    for name, key in (("Work", WORK_KEY), ("Home", HOME_KEY)):
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
    return host.launch("lensmor-tray", [sys.executable, "-m", "tray_app", "-v", "run"], env=env)


def labels(host: HostSession, item: ItemAddress) -> list[str]:
    return [str(n.props.get("label", "")) for n in host.client.menu_layout(item)[1].walk()]


def section(all_labels: list[str], name: str, following: str) -> list[str]:
    """The rows of one account's section: from its name to the next account's (or the end)."""
    start = all_labels.index(name)
    end = all_labels.index(following, start + 1) if following in all_labels[start + 1 :] else None
    return all_labels[start + 1 : end]


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
    assert "9,000 of 10,000 credits (90%)" in section(menu, "Work", "Home")
    assert "8,000 of 10,000 credits (80%)" in section(menu, "Home", "Show on the icon")
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
        lambda: (
            any("Key rejected" in row for row in section(labels(host, address), "Home", "x"))
            or None
        ),
        "Home's key rejected in its section",
    )
    server.accounts["Work"].set_balance(subscriptionBalance=1_200)
    until(
        lambda: (
            "1,200 of 10,000 credits (12%)" in section(labels(host, address), "Work", "Home")
            or None
        ),
        "Work's section updated while Home's key is rejected",
    )
    # One low crossing, one notification: the later Work polls and Home's rejection add only
    # Home's own key-rejected notice, named.
    recorded = calls()
    assert [c for c in recorded if c.body == low[0].body] == low
    assert all(c.summary.startswith(("Work: ", "Home: ")) for c in recorded), recorded
    assert "Traceback" not in app.log.read_text(errors="replace")
