"""The real tray app on a headless desktop, for tests/desktop/test_tray_app_*.py: the
`start_app` fixture starts `lensmor-tray run` against the simulated API (the `server`
fixture), `RunningApp` reads its badge's colour off the screen, `ups_to` finds a menu row.

The real tray app runs on a real headless desktop: Xvfb, trayer, a private D-Bus session bus,
dunst, and the real pystray backend (appindicator), against the simulated API on loopback.
Pixels are read from screenshots of the docked icon and classified by the badge's fill colour,
so "the icon shows the low level" is checked on screen, not in a data structure.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from PIL import Image

from tests.conftest import REPO
from tests.support.waiting import poll_until
from tray_app.core.levels import Level
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer
from tray_app.tray.badge_palette import LEVEL_FILL, NEUTRAL_FILL, STALE_DESATURATE, mix

from .harness import DesktopSession

GREY = (96, 96, 96)
FILLS: dict[str, tuple[int, int, int]] = {
    "ok": LEVEL_FILL[Level.OK],
    "low": LEVEL_FILL[Level.LOW],
    "critical": LEVEL_FILL[Level.CRITICAL],
    "depleted": LEVEL_FILL[Level.DEPLETED],
    "neutral": NEUTRAL_FILL,
    "stale-ok": mix(LEVEL_FILL[Level.OK], GREY, STALE_DESATURATE),
    "stale-low": mix(LEVEL_FILL[Level.LOW], GREY, STALE_DESATURATE),
}


def badge_colour(image: Image.Image) -> str:
    """The known fill that most pixels of the icon are close to."""
    raw = image.convert("RGB").tobytes()
    counts = dict.fromkeys(FILLS, 0)
    for i in range(0, len(raw), 3):
        pixel = (raw[i], raw[i + 1], raw[i + 2])
        best, distance = min(
            (
                (name, sum((a - b) ** 2 for a, b in zip(pixel, fill, strict=True)))
                for name, fill in FILLS.items()
            ),
            key=lambda item: item[1],
        )
        if distance < 30**2:
            counts[best] += 1
    return max(counts, key=lambda name: counts[name])


@dataclass
class RunningApp:
    desktop: DesktopSession
    server: SimulatedLensmorServer
    proc: object

    @property
    def pid(self) -> int:
        return self.proc.pid  # type: ignore[attr-defined]

    def colour(self) -> str:
        icon = self.desktop.wait_for_tray_icon(timeout=10)
        return badge_colour(self.desktop.icon_image(icon))

    def wait_colour(self, expected: str, timeout: float = 15) -> None:
        def matches() -> bool | None:
            return True if self.colour() == expected else None

        try:
            poll_until(matches, timeout, f"the badge to turn {expected}")
        except TimeoutError:
            self.desktop.screenshot(f"tray-app-expected-{expected}")
            raise AssertionError(
                f"badge is {self.colour()}, expected {expected}; log:\n"
                + self.desktop.log_of(self.proc)[-3000:]  # type: ignore[arg-type]
            ) from None

    def requests(self) -> int:
        return len(self.server.account.requests)


def set_share(server: SimulatedLensmorServer, subscription_balance: int) -> None:
    server.account.set_balance(
        subscriptionAmount=35000,
        subscriptionBalance=subscription_balance,
        giftAmount=50,
        giftBalance=50,
    )


@pytest.fixture(name="server")
def fixture_server() -> Iterator[SimulatedLensmorServer]:
    """The simulated API on loopback (import this to get `server`)."""
    with SimulatedLensmorServer() as srv:
        set_share(srv, 30000)
        yield srv


@pytest.fixture(name="start_app")
def fixture_start_app(
    desktop: DesktopSession, server: SimulatedLensmorServer
) -> Iterator[Callable[..., RunningApp]]:
    apps: list[RunningApp] = []

    def start(
        pacing: str = "production", key: str = DEMO_KEY, backend: str = "appindicator"
    ) -> RunningApp:
        env = dict(desktop.env)
        env.update(
            PYTHONPATH=str(REPO),
            LENSMOR_BASE_URL=server.url,
            LENSMOR_API_KEY=key,
            LENSMOR_TRAY_PACING=pacing,
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            PYSTRAY_BACKEND=backend,
        )
        proc = desktop.popen(
            [sys.executable, "-m", "tray_app", "-v", "run"], env=env, name="lensmor-tray"
        )
        app = RunningApp(desktop, server, proc)
        apps.append(app)
        desktop.wait_for_output(proc, "poll: ", timeout=20)
        return app

    yield start
    for app in apps:
        if app.proc.poll() is None:  # type: ignore[attr-defined]
            os.kill(app.pid, signal.SIGTERM)


def ups_to(label: str) -> int:
    """Up-arrow presses from the bottom of the menu to reach an action (the menu's order is
    fixed by core.view: ... Refresh now, Open dashboard, Usage…, Settings…, Pause, Start at
    login, Quit)."""
    bottom_up = [
        "Quit",
        "Start at login",
        "Pause notifications",
        "Settings…",
        "Usage…",
        "Open Lensmor dashboard",
        "Refresh now",
    ]
    return bottom_up.index(label) + 1
