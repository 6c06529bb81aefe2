"""The windows' palette (issue 23): light and dark share every colour name, dark is chosen
only when the desktop says it prefers dark, and the chart draws in the palette it is given."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tray_app.windows.palette import DARK, LIGHT, Palette, desktop_palette


def brightness(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue


def test_light_is_light_and_dark_is_dark_with_readable_text() -> None:
    assert not LIGHT.dark
    assert DARK.dark
    assert brightness(LIGHT.background) > 200
    assert brightness(DARK.background) < 60
    for palette in (LIGHT, DARK):
        # Text, hints and messages stand out from the background they are drawn on.
        for name in ("text", "muted", "error", "ok", "warn", "link"):
            colour = getattr(palette, name)
            assert abs(brightness(colour) - brightness(palette.background)) > 60, (
                palette.dark,
                name,
            )


def test_every_colour_is_a_tk_colour() -> None:
    for palette in (LIGHT, DARK):
        for field in dataclasses.fields(Palette):
            value = getattr(palette, field.name)
            if field.name != "dark":
                assert len(value) == 7, field.name
                assert value.startswith("#"), field.name
                int(value[1:], 16)


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_other_systems_get_the_light_palette_without_asking(platform: str) -> None:
    assert desktop_palette(platform) is LIGHT


def test_without_a_session_bus_linux_gets_the_light_palette(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No bus to ask (the real lookup: dbus-python finds no address): the freedesktop default.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")
    assert desktop_palette("linux") is LIGHT


def test_a_session_bus_that_never_answers_gives_the_light_palette_at_once(
    tmp_path: Path,
) -> None:
    # A hung dbus-daemon: it accepts the connection and never speaks. The window opens light
    # within the half second, not whenever libdbus gives up. In a child process: libdbus reads
    # DBUS_SESSION_BUS_ADDRESS once per process.
    pytest.importorskip("dbus")
    path = tmp_path / "bus"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen(8)
        code = (
            "import time\n"
            "from tray_app.windows.palette import LIGHT, desktop_palette\n"
            "started = time.monotonic()\n"
            "light = desktop_palette('linux') is LIGHT\n"
            "print(light, round(time.monotonic() - started, 2))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": f"unix:path={path}"},
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    light, seconds = done.stdout.split()
    assert light == "True"
    assert float(seconds) < 1.0, done.stdout


@pytest.mark.parametrize("palette", [LIGHT, DARK])
def test_the_chart_draws_in_the_palette(palette: Palette) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    from tray_app.core.levels import DEFAULT_THRESHOLDS
    from tray_app.core.usage_series import build
    from tray_app.windows import usage_chart

    figure = Figure(figsize=(6, 4), dpi=50)
    series = build([], [], None, now=1_700_000_000.0, days=30, reset_at_s=None)
    top, bottom = usage_chart.draw(
        figure, series, total_amount=0, thresholds=DEFAULT_THRESHOLDS, palette=palette
    )
    assert to_hex(figure.get_facecolor()) == palette.background
    assert to_hex(top.get_facecolor()) == palette.panel == to_hex(bottom.get_facecolor())
