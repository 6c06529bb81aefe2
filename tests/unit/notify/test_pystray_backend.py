"""The pystray backend, with a stand-in icon: what it hands over, follows, refuses, clips,
and the gtk backend's need for a notification server on the bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.unit.notify.notices import LOW
from tray_app.notify import Notification, NotifyError, PystrayNotifier


@dataclass
class StandInIcon:
    """The three things PystrayNotifier reads from a pystray.Icon."""

    HAS_NOTIFICATION: bool = True
    visible: bool = True
    shown: list[tuple[str, str]] = field(default_factory=list)

    def notify(self, message: str, title: str | None = None) -> None:
        self.shown.append((message, title or ""))


def test_pystray_notifier_hands_body_and_title_over_unchanged() -> None:
    icon = StandInIcon()
    PystrayNotifier(icon, platform="linux").send(LOW)
    assert icon.shown == [(LOW.body, LOW.title)]


def test_pystray_notifier_follows_the_current_icon() -> None:
    icons: list[StandInIcon | None] = [None]
    notifier = PystrayNotifier(lambda: icons[-1], platform="linux")
    with pytest.raises(NotifyError, match="no tray icon yet"):
        notifier.send(LOW)
    icons.append(StandInIcon())
    notifier.send(LOW)
    assert icons[-1] is not None
    assert icons[-1].shown == [(LOW.body, LOW.title)]


@pytest.mark.parametrize(
    ("icon", "reason"),
    [
        (StandInIcon(HAS_NOTIFICATION=False), "cannot show notifications"),
        (StandInIcon(visible=False), "not shown"),
    ],
)
def test_pystray_notifier_refuses_what_cannot_show(icon: StandInIcon, reason: str) -> None:
    with pytest.raises(NotifyError, match=reason):
        PystrayNotifier(icon, platform="linux").send(LOW)
    assert icon.shown == []


def test_pystray_notifier_clips_text_for_windows_balloons() -> None:
    icon = StandInIcon()
    PystrayNotifier(icon, platform="win32").send(Notification("T" * 80, "b" * 300))
    ((body, title),) = icon.shown
    assert len(title) == 63
    assert title.endswith("…")
    assert len(body) == 255


def test_pystray_notifier_turns_backend_errors_into_notify_errors() -> None:
    class Broken(StandInIcon):
        def notify(self, message: str, title: str | None = None) -> None:
            raise OSError("Shell_NotifyIconW failed")

    with pytest.raises(NotifyError, match="OSError: Shell_NotifyIconW failed"):
        PystrayNotifier(Broken(), platform="win32").send(LOW)


class StandInGtkIcon(StandInIcon):
    """Reports the module of pystray's gtk backend, whose notify() hides every failure."""


StandInGtkIcon.__module__ = "pystray._gtk"


def test_pystray_gtk_needs_a_notification_server_on_the_bus() -> None:
    icon = StandInGtkIcon()
    with pytest.raises(NotifyError, match="no notification server"):
        PystrayNotifier(icon, platform="linux", server_check=lambda: False).send(LOW)
    assert icon.shown == []
    PystrayNotifier(icon, platform="linux", server_check=lambda: True).send(LOW)
    assert icon.shown == [(LOW.body, LOW.title)]


def test_pystray_gtk_without_a_bus_is_a_notify_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("gi")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    icon = StandInGtkIcon()
    with pytest.raises(NotifyError, match="cannot ask the session bus"):
        PystrayNotifier(icon, platform="linux").send(LOW)
    assert icon.shown == []
