"""The plyer backend: the Linux route rules, the routes it refuses, plyer against a dead bus
and without pyobjus, and the icon lookup, run for real."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.unit.notify.notices import LOW
from tray_app.notify import NotifyError, PlyerNotifier
from tray_app.notify.plyer_backend import find_app_icon, linux_route


@pytest.mark.parametrize(
    ("app_dir", "flatpak", "has_dbus", "has_notify_send", "route"),
    [
        (False, False, True, True, "dbus"),
        (False, False, False, True, "notify-send"),
        (False, False, False, False, "none"),
        (True, True, True, True, "portal"),
        (True, False, True, True, "not-flatpak"),  # a Docker WORKDIR /app
    ],
)
def test_linux_route_follows_plyers_order(
    app_dir: bool, flatpak: bool, has_dbus: bool, has_notify_send: bool, route: str
) -> None:
    got = linux_route(
        app_dir=app_dir, flatpak=flatpak, has_dbus=has_dbus, has_notify_send=has_notify_send
    )
    assert got == route


@pytest.mark.parametrize("route", ["notify-send", "none", "not-flatpak"])
def test_plyer_refuses_routes_that_hide_failures(
    route: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def detect() -> str:
        calls.append(1)
        return route

    notifier = PlyerNotifier(platform="linux", route=detect)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="tray_app.notify"):
        for _ in range(3):
            with pytest.raises(NotifyError) as failure:
                notifier.send(LOW)
    assert calls == [1]  # detected once
    route_lines = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(route_lines) == 1  # and said once
    assert route_lines[0].getMessage() == str(failure.value)


def test_plyer_without_a_session_bus_is_a_notify_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("dbus")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    notifier = PlyerNotifier(platform="linux", route=lambda: "dbus")
    with pytest.raises(NotifyError, match="DBusException"):
        notifier.send(LOW)


def test_plyer_on_macos_without_pyobjus_is_a_notify_error() -> None:
    notifier = PlyerNotifier(platform="darwin")
    with pytest.raises(NotifyError, match="pyobjus"):
        notifier.send(LOW)


def test_plyer_icon_lookup_failure_costs_only_the_icon() -> None:
    def broken() -> str:
        raise OSError("assets unreadable")

    assert PlyerNotifier(icon=broken).icon_path() == ""
    assert PlyerNotifier(icon="/abs/icon.png").icon_path() == "/abs/icon.png"


def test_find_app_icon_prefers_a_mid_size_png(tmp_path: Path) -> None:
    for name in ("app-icon.png", "app-icon-512.png", "app-icon-128.png", "app-icon-32.png"):
        (tmp_path / name).write_bytes(b"png")
    (tmp_path / "badge-font.ttf").write_bytes(b"ttf")
    assert find_app_icon("linux", tmp_path) == str((tmp_path / "app-icon-128.png").resolve())

    (tmp_path / "app-icon-128.png").unlink()
    assert find_app_icon("linux", tmp_path) == str((tmp_path / "app-icon.png").resolve())


def test_find_app_icon_wants_an_ico_on_windows(tmp_path: Path) -> None:
    (tmp_path / "app-icon.png").write_bytes(b"png")
    assert find_app_icon("win32", tmp_path) == ""
    (tmp_path / "app-icon.ico").write_bytes(b"ico")
    assert find_app_icon("win32", tmp_path) == str((tmp_path / "app-icon.ico").resolve())


def test_find_app_icon_tolerates_missing_assets(tmp_path: Path) -> None:
    assert find_app_icon("linux", tmp_path / "nowhere") == ""
    assert find_app_icon("linux", tmp_path) == ""


def test_find_app_icon_default_is_absolute_or_empty() -> None:
    found = find_app_icon("linux")
    assert found == "" or (Path(found).is_absolute() and Path(found).is_file())
