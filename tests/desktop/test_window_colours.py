"""Both windows follow the desktop's colour scheme (issue 23): a stand-in for the desktop
portal on the test's private session bus (tests/support/portal_stub.py) answers
`color-scheme` = 1 (prefer dark) or 2 (prefer light), over a real D-Bus round trip, and the
Settings and Usage windows open dark or light in the same palette.

Screenshots: test-artifacts/desktop/{settings,usage}-window-{dark,light}.png.
Cost: two windows per scheme, about 6 s.
"""

from __future__ import annotations

import pytest
from PIL import Image

from tests.desktop.settings_dialog_rig import Dialog, config_path, dialog_env
from tray_app.windows.palette import DARK, LIGHT

from .harness import DesktopSession
from .test_appearance import start_portal
from .test_usage_window import Window

pytestmark = [
    pytest.mark.desktop,
    # A session bus is what is needed; it comes with the notification daemon.
    pytest.mark.parametrize(
        "desktop",
        [{"tray": False, "notifications": True, "screen": "1366x768x24"}],
        indirect=True,
    ),
]


def mean_grey(image: Image.Image) -> float:
    grey = image.convert("L").tobytes()
    return sum(grey) / len(grey)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@pytest.mark.parametrize(("value", "scheme"), [(1, "dark"), (2, "light")])
def test_both_windows_follow_the_desktop_colour_scheme(
    desktop: DesktopSession, value: int, scheme: str
) -> None:
    start_portal(desktop, str(value))
    palette = DARK if scheme == "dark" else LIGHT

    dialog = Dialog(desktop, config_path(desktop), dialog_env(desktop))
    assert next(x for x in dialog.lines() if x.startswith("colours: ")) == f"colours: {scheme}"
    settings = dialog.screenshot(f"settings-window-{scheme}")
    # The window's background is the palette's (a corner, inside the 16 px margin).
    assert settings.convert("RGB").getpixel((6, settings.height - 6)) == hex_rgb(palette.background)
    dialog.key("Escape")
    assert dialog.wait_exit() == 1

    env = desktop.env
    env.update(dialog_env(desktop))
    usage = Window(desktop, env)
    assert usage.wait_for_line("colours: ") == scheme
    chart = usage.screenshot(f"usage-window-{scheme}")
    assert chart.convert("RGB").getpixel((4, chart.height - 4)) == hex_rgb(palette.background)
    desktop.key("Escape")
    assert usage.proc.wait(timeout=10) == 0

    for image in (settings, chart):
        if scheme == "dark":
            assert mean_grey(image) < 90
        else:
            assert mean_grey(image) > 160
