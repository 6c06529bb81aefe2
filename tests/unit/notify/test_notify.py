"""The notification chain and backends without a display: order, fallback, retry window,
one warning per failure streak, the bound on a hanging send, and what each backend refuses.

The chain is driven with small in-test backends (the Notifier protocol is the seam); the log
sink, plyer against a dead bus, the icon lookup and the route rules run for real.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.waiting import poll_until
from tray_app.core import fmt
from tray_app.notify import (
    LogNotifier,
    Notification,
    NotifierChain,
    NotifyError,
    PlyerNotifier,
    PystrayNotifier,
    build_default_chain,
)
from tray_app.notify.base import clip_utf16
from tray_app.notify.plyer_backend import find_app_icon, linux_route

LOW = Notification("Credits low", f"{fmt.credits(30050)} credits left (15%)", key="low:1")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Backend:
    """A Notifier that records what it was given and fails while `error` is set."""

    name: str
    error: Exception | None = None
    sent: list[Notification] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)

    def send(self, n: Notification) -> None:
        self.threads.append(threading.current_thread().name)
        if self.error is not None:
            raise self.error
        self.sent.append(n)


@dataclass
class Hanging:
    """A Notifier whose send blocks until released, like a D-Bus call to a stuck daemon."""

    name: str = "stuck"
    release: threading.Event = field(default_factory=threading.Event)
    calls: int = 0

    def send(self, n: Notification) -> None:
        self.calls += 1
        self.release.wait()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hanging() -> Iterator[Hanging]:
    backend = Hanging()
    yield backend
    backend.release.set()  # let its thread finish


def warnings_about(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and f"backend {name} " in r.getMessage()
    ]


# --- the chain ---------------------------------------------------------------------------


def test_first_working_backend_delivers_and_later_ones_are_not_tried() -> None:
    first, second = Backend("first"), Backend("second")
    chain = NotifierChain([first, second, LogNotifier()])

    assert chain.send(LOW) == "first"
    assert first.sent == [LOW]
    assert second.sent == []
    assert chain.backend_names == ["first", "second", "log"]


def test_sends_run_off_the_callers_thread() -> None:
    backend = Backend("plyer")
    NotifierChain([backend]).send(LOW)
    assert backend.threads == ["notify-plyer"]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (NotifyError("DBusException: ServiceUnknown"), "DBusException: ServiceUnknown"),
        (RuntimeError("broke its promise"), "RuntimeError: broke its promise"),
    ],
)
def test_a_failing_backend_falls_back_to_the_next(
    error: Exception, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    broken, tray = Backend("plyer", error=error), Backend("pystray")
    chain = NotifierChain([broken, tray, LogNotifier()])

    with caplog.at_level(logging.DEBUG, logger="tray_app.notify"):
        assert chain.send(LOW) == "pystray"

    assert tray.sent == [LOW]
    (warning,) = warnings_about(caplog, "plyer")
    assert f"backend plyer failed: {reason}; falling back, will retry in 5 min" in warning
    assert chain.failing() == {"plyer": reason}
    delivered = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("delivered by pystray" in m and "low:1" in m for m in delivered)


def test_never_raises_and_reports_when_nothing_delivered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chain = NotifierChain([Backend("a", error=NotifyError("x")), Backend("b", error=OSError())])
    with caplog.at_level(logging.WARNING, logger="tray_app.notify"):
        assert chain.send(LOW) is None
    assert any("could not be delivered by any of a, b" in r.getMessage() for r in caplog.records)


def test_a_failed_backend_is_skipped_until_its_retry_window_ends(clock: FakeClock) -> None:
    plyer = Backend("plyer", error=NotifyError("no server"))
    chain = NotifierChain([plyer, LogNotifier()], retry_after=300, clock=clock)

    assert chain.send(LOW) == "log"
    assert len(plyer.threads) == 1

    clock.now += 299  # inside the window: not even tried
    plyer.error = None  # (the daemon came back meanwhile)
    assert chain.send(LOW) == "log"
    assert len(plyer.threads) == 1

    clock.now += 1  # the window is over: tried again, and it works
    assert chain.send(LOW) == "plyer"
    assert plyer.sent == [LOW]
    assert chain.failing() == {}


@dataclass
class ProbedBackend(Backend):
    """A backend that can say cheaply whether its server is back (like a D-Bus name check)."""

    server_up: bool = False
    probes: int = 0

    def ready(self) -> bool:
        self.probes += 1
        return self.server_up


def test_a_backend_whose_server_is_back_is_tried_before_its_window_ends(clock: FakeClock) -> None:
    plyer = ProbedBackend("plyer", error=NotifyError("no server"))
    chain = NotifierChain([plyer, LogNotifier()], retry_after=300, clock=clock)
    assert chain.send(LOW) == "log"

    clock.now += 10
    assert chain.send(LOW) == "log"  # probe says no: skipped, not sent
    assert (plyer.probes, len(plyer.threads)) == (1, 1)

    clock.now += 10
    plyer.error, plyer.server_up = None, True  # the daemon was restarted
    assert chain.send(LOW) == "plyer"
    assert plyer.sent == [LOW]


def test_the_retry_window_restarts_from_each_failed_retry(clock: FakeClock) -> None:
    plyer = Backend("plyer", error=NotifyError("no server"))
    chain = NotifierChain([plyer, LogNotifier()], retry_after=300, clock=clock)
    chain.send(LOW)
    clock.now += 300
    chain.send(LOW)  # retried, fails again
    clock.now += 299
    chain.send(LOW)
    assert len(plyer.threads) == 2


def test_one_warning_per_failure_streak_not_per_notification(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    plyer = Backend("plyer", error=NotifyError("ServiceUnknown"))
    chain = NotifierChain([plyer, LogNotifier()], retry_after=300, clock=clock)

    with caplog.at_level(logging.DEBUG, logger="tray_app.notify"):
        for _ in range(6):  # failing on every retry for half an hour
            assert chain.send(LOW) == "log"
            clock.now += 301
        assert len(plyer.threads) == 6
        assert len(warnings_about(caplog, "plyer")) == 1

        plyer.error = None
        assert chain.send(LOW) == "plyer"
        assert any("plyer works again" in r.getMessage() for r in caplog.records)

        plyer.error = NotifyError("ServiceUnknown")  # a new streak warns again, once
        chain.send(LOW)
        clock.now += 301
        chain.send(LOW)
    assert len(warnings_about(caplog, "plyer")) == 2


def test_a_hanging_send_is_bounded_and_not_piled_up(
    clock: FakeClock, hanging: Hanging, caplog: pytest.LogCaptureFixture
) -> None:
    # 1 s, so that "at once" below (well under the timeout) holds on a loaded machine too.
    chain = NotifierChain([hanging, LogNotifier()], send_timeout=1.0, retry_after=60, clock=clock)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="tray_app.notify"):
        assert chain.send(LOW) == "log"
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 3.0
    assert "no answer within 1 s" in warnings_about(caplog, "stuck")[0]

    # Still stuck when its retry comes: refused at once, no second thread blocked on it
    # (which would take the 1 s timeout again).
    clock.now += 61
    started = time.monotonic()
    assert chain.send(LOW) == "log"
    assert time.monotonic() - started < 0.9
    assert hanging.calls == 1
    assert "previous send has not returned" in chain.failing()["stuck"]

    # Once it answers, the next retry goes through it again.
    hanging.release.set()
    clock.now += 61
    poll_until(
        lambda: not any(t.name == "notify-stuck" for t in threading.enumerate()),
        5,
        "the stuck send's thread ended",
    )
    assert chain.send(LOW) == "stuck"
    assert hanging.calls == 2


def test_a_hanging_backend_does_not_delay_the_others(hanging: Hanging) -> None:
    tray = Backend("pystray")
    chain = NotifierChain([hanging, tray, LogNotifier()], send_timeout=0.2)
    assert chain.send(LOW) == "pystray"
    assert tray.sent == [LOW]


def test_concurrent_sends_are_serialised() -> None:
    backend = Backend("plyer")
    chain = NotifierChain([backend])
    threads = [threading.Thread(target=chain.send, args=(LOW,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(backend.sent) == 8


def test_an_empty_chain_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one backend"):
        NotifierChain([])


@pytest.mark.parametrize(
    ("platform", "with_icon", "order"),
    [
        ("linux", False, ["plyer", "log"]),
        ("linux", True, ["plyer", "pystray", "log"]),
        ("win32", True, ["pystray", "plyer", "log"]),
        ("darwin", True, ["pystray", "plyer", "log"]),
        ("win32", False, ["plyer", "log"]),
    ],
)
def test_default_chain_order(platform: str, with_icon: bool, order: list[str]) -> None:
    chain = build_default_chain((lambda: None) if with_icon else None, platform=platform)
    assert chain.backend_names == order


# --- the log sink ------------------------------------------------------------------------


def test_log_notifier_writes_title_and_body_at_info(caplog: pytest.LogCaptureFixture) -> None:
    n = Notification(
        "Credits renewed", "35,000 available;\nnext reset on 1 Dec", "low", key="reset:2024-12"
    )
    with caplog.at_level(logging.INFO, logger="tray_app.notify"):
        LogNotifier().send(n)
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert "'Credits renewed'" in message
    assert "'35,000 available;\\nnext reset on 1 Dec'" in message  # one line, text intact
    assert "[reset:2024-12]" in message
    assert "(low)" in message


def test_log_notifier_accepts_a_given_logger(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("lensmor.test.sink")
    with caplog.at_level(logging.INFO, logger="lensmor.test.sink"):
        LogNotifier(logger).send(LOW)
    assert [r.name for r in caplog.records] == ["lensmor.test.sink"]
    assert "30,050 credits left" in caplog.records[0].getMessage()


# --- the notification itself ------------------------------------------------------------


def test_urgency_is_checked() -> None:
    with pytest.raises(ValueError, match="urgency"):
        Notification("t", "b", urgency="urgent")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "units", "expected"),
    [
        ("Credits low", 63, "Credits low"),
        ("x" * 63, 63, "x" * 63),
        ("x" * 64, 63, "x" * 62 + "…"),
        ("ab cd", 4, "ab…"),  # no space left dangling before the ellipsis
        ("a😀b", 3, "a…"),  # the emoji takes two units and is not split
        ("a😀b", 4, "a😀b"),
    ],
)
def test_clip_utf16(text: str, units: int, expected: str) -> None:
    clipped = clip_utf16(text, units)
    assert clipped == expected
    assert len(clipped.encode("utf-16-le")) // 2 <= units


# --- plyer -------------------------------------------------------------------------------


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


# --- pystray -----------------------------------------------------------------------------


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
