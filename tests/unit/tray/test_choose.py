"""`choose_tray`: which tray implementation a desktop gets, decided in one place.

The desktop is described by its environment and by probes (is a StatusNotifier watcher on the
bus, an XEmbed tray on the display, GTK importable); the probes are plain functions here, and
the real ones run against a real bus in tests/unit/tray/sni/test_item.py and the desktop suite.
"""

from __future__ import annotations

import logging

import pytest

from tests.support.sni_bus import MiniWatcher, private_bus
from tray_app.support.aio_loop import AsyncioThread
from tray_app.tray import host_probe as tray_host
from tray_app.tray.choose import Probes, TrayKind, choose_tray

X11 = {"DISPLAY": ":1", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"}


def probes(*, watcher: bool = False, xembed: bool = False, gtk: str | None = None) -> Probes:
    return Probes(
        watcher_present=lambda _env: watcher,
        xembed_present=lambda _env: xembed,
        menu_backend=lambda: gtk,
        session_bus=lambda env: bool(env.get("DBUS_SESSION_BUS_ADDRESS")),
    )


@pytest.mark.parametrize(
    ("env", "found", "kind"),
    [
        # A StatusNotifier watcher (KDE, GNOME + extension, XFCE, waybar): the native item,
        # even when the same panel also offers an XEmbed tray (XFCE's systray does both).
        (X11, probes(watcher=True, xembed=True, gtk="appindicator"), TrayKind.SNI),
        # XEmbed only (trayer, stalonetray): pystray; with GTK it has a menu.
        (X11, probes(xembed=True, gtk="appindicator"), TrayKind.PYSTRAY_APPINDICATOR),
        (X11, probes(xembed=True, gtk="gtk"), TrayKind.PYSTRAY_GTK),
        (X11, probes(xembed=True), TrayKind.PYSTRAY_XORG),
        # Nothing yet but a session bus: the native item waits for a panel.
        (X11, probes(), TrayKind.SNI),
        ({"WAYLAND_DISPLAY": "wayland-1", **X11}, probes(), TrayKind.SNI),
        # No session bus at all: X11 docking is the only way left.
        ({"DISPLAY": ":1"}, probes(), TrayKind.PYSTRAY_XORG),
    ],
)
def test_linux_desktops(env: dict[str, str], found: Probes, kind: TrayKind) -> None:
    assert choose_tray(env, platform="linux", probes=found).kind is kind


def test_the_environment_override_wins_and_a_bad_value_is_said_in_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    found = probes(watcher=True)
    assert (
        choose_tray({**X11, "LENSMOR_TRAY": "pystray-xorg"}, platform="linux", probes=found).kind
        is TrayKind.PYSTRAY_XORG
    )
    assert (
        choose_tray(
            {**X11, "LENSMOR_TRAY": "SNI"}, platform="linux", probes=probes(xembed=True)
        ).kind
        is TrayKind.SNI
    )
    with caplog.at_level(logging.WARNING):
        choice = choose_tray({**X11, "LENSMOR_TRAY": "kde"}, platform="linux", probes=found)
    assert choice.kind is TrayKind.SNI
    (record,) = caplog.records
    assert "LENSMOR_TRAY='kde' is not a tray; use one of: sni, pystray" in record.getMessage()


def test_pystray_backend_alone_still_means_pystray_with_that_backend() -> None:
    choice = choose_tray(
        {**X11, "PYSTRAY_BACKEND": "appindicator"}, platform="linux", probes=probes(watcher=True)
    )
    assert choice.kind is TrayKind.PYSTRAY
    assert choice.pystray_backend == "appindicator"


def test_pystray_without_any_host_runs_headless_with_the_reason() -> None:
    choice = choose_tray({**X11, "PYSTRAY_BACKEND": "gtk"}, platform="linux", probes=probes())
    assert choice.kind is TrayKind.NONE
    assert choice.notice.startswith("no system tray found")


def test_the_xorg_fallback_without_a_tray_waits_for_one() -> None:
    choice = choose_tray({"DISPLAY": ":1"}, platform="linux", probes=probes())
    assert choice.kind is TrayKind.PYSTRAY_XORG
    assert choice.notice.endswith("the icon docks when a tray starts")


def test_no_graphical_session() -> None:
    choice = choose_tray({"DBUS_SESSION_BUS_ADDRESS": "x"}, platform="linux", probes=probes())
    assert choice.kind is TrayKind.NONE
    assert choice.notice == "no graphical session (DISPLAY is not set)"


def test_the_native_item_without_a_watcher_says_the_icon_comes_with_a_panel() -> None:
    choice = choose_tray(X11, platform="linux", probes=probes())
    assert choice.notice.startswith("no system tray found")
    assert choice.notice.endswith("the icon appears when a panel starts")
    assert choose_tray(X11, platform="linux", probes=probes(watcher=True)).notice == ""


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_windows_and_macos_get_pystray(platform: str) -> None:
    choice = choose_tray({}, platform=platform, probes=probes(watcher=True))
    assert choice.kind is TrayKind.PYSTRAY
    assert choice.kind.pystray_backend == ""


@pytest.mark.desktop
def test_the_real_watcher_probe_on_a_private_bus() -> None:
    loop = AsyncioThread("probe-test")
    with private_bus() as address:
        env = {"DBUS_SESSION_BUS_ADDRESS": address}
        assert tray_host.sni_watcher_present(env) is False
        assert tray_host.sni_watcher_present(env, loop) is False
        watcher = MiniWatcher(address).start()
        try:
            assert tray_host.sni_watcher_present(env) is True
            assert tray_host.sni_watcher_present(env, loop) is True
            assert (
                choose_tray(
                    {**env, "DISPLAY": ":99"}, platform="linux", probes=Probes.on(loop)
                ).kind
                is TrayKind.SNI
            )
        finally:
            watcher.close()
            loop.stop()
    assert (
        tray_host.sni_watcher_present({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"})
        is False
    )


def test_the_notices_are_english_for_the_log_and_worded_in_the_users_language() -> None:
    from tray_app.core.language import Message
    from tray_app.support.i18n import language_for

    german = language_for("de_DE")
    none = choose_tray({"DBUS_SESSION_BUS_ADDRESS": "x"}, platform="linux", probes=probes())
    waiting = choose_tray(X11, platform="linux", probes=probes())
    docking = choose_tray({"DISPLAY": ":1"}, platform="linux", probes=probes())
    for choice in (none, waiting, docking):
        assert isinstance(choice.notice, Message)
    assert none.notice.text(german) == "keine grafische Sitzung (DISPLAY ist nicht gesetzt)"
    assert waiting.notice.text(german) == (
        german.gettext(tray_host.no_tray_message(X11))
        + "; das Symbol erscheint, sobald eine Leiste startet"
    )
    assert docking.notice.text(german).endswith(
        "; das Symbol wird angedockt, sobald ein Tray startet"
    )
    assert "no system tray found" not in docking.notice.text(german)
