"""A real Monitor over the real simulated API on loopback, with an injected clock.

Everything is real except the clock (a number the test moves), the tray (it records views)
and the notifier (it records notifications; delivery is tested in tests/unit/notify/ and
on the desktop). Used by the monitor, fault and soak tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tray_app.api.client import LensmorClient
from tray_app.config.model import Settings
from tray_app.core.accounts_view import present_accounts
from tray_app.core.alerts import Alert
from tray_app.core.view import AccountSnapshot, TrayView
from tray_app.demo.server import DEMO_KEY, SimulatedAccount, SimulatedLensmorServer
from tray_app.history.store import HistoryStore
from tray_app.notify.base import Notification
from tray_app.runtime.monitor import FeedPort, HookPort, Monitor, PollReport
from tray_app.runtime.poll_result import BalanceSource

START = 1_800_000_000.0
DAY = 86400.0


@dataclass
class Clock:
    now: float = START

    def __call__(self) -> float:
        return self.now


@dataclass
class RecordingTray:
    """A one-account tray board: keeps the newest snapshot and records each view that
    changed, presented as the real board presents it (core/accounts_view.py)."""

    views: list[TrayView] = field(default_factory=list)
    snapshots: list[AccountSnapshot] = field(default_factory=list)

    def show(self, snapshot: AccountSnapshot) -> None:
        if self.snapshots and self.snapshots[-1].seq >= snapshot.seq:
            return
        self.snapshots[:] = [snapshot]
        view = present_accounts([snapshot.name], {snapshot.name: snapshot}, None)
        if view is not None and (not self.views or self.views[-1] != view):
            self.views.append(view)


@dataclass
class RecordingNotifier:
    sent: list[Notification] = field(default_factory=list)
    fail: bool = False

    def send(self, n: Notification) -> str:
        if self.fail:
            raise RuntimeError("notification daemon gone")
        self.sent.append(n)
        return "recording"


@dataclass
class Rig:
    clock: Clock
    server: SimulatedLensmorServer
    store_path: Path
    tray: RecordingTray = field(default_factory=RecordingTray)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)
    settings: Settings = field(default_factory=Settings)
    monitor: Monitor | None = None
    store: HistoryStore | None = None
    #: Every event notified, folded ones included (`Alert.parts`), oldest first.
    events: list[Alert] = field(default_factory=list)
    feed: FeedPort | None = None
    hooks: HookPort | None = None  # the real HookRunner in the hook tests

    @property
    def account(self) -> SimulatedAccount:
        return self.server.account

    client_options: dict[str, Any] = field(default_factory=dict)

    clients: list[LensmorClient] = field(default_factory=list)

    def client(self, base_url: str | None = None, key: str = DEMO_KEY) -> LensmorClient:
        made = LensmorClient(base_url or self.server.url, key, **self.client_options)
        self.clients.append(made)  # closed at teardown: no socket left to the GC
        return made

    def start(self, source: BalanceSource | None = None) -> Monitor:
        """(Re)start the app: a new store handle and Monitor over the same files."""
        if self.store is not None:
            self.store.close()
        self.store = HistoryStore.open(self.store_path)
        self.tray.snapshots.clear()  # as the board's new slot: the new monitor counts afresh
        self.monitor = Monitor(
            source=source if source is not None else self.client(),
            store=self.store,
            notifier=self.notifier,
            tray=self.tray,
            settings=self.settings,
            jitter=lambda: 0.5,
            # Sends the UI thread hands off (a resume's summary) run inline here, so a test
            # reads them right after the call; test_monitor checks the hand-off itself.
            background=lambda fn: fn(),
            feed=self.feed,
            hooks=self.hooks,
        )
        return self.monitor

    def poll(self) -> PollReport:
        assert self.monitor is not None
        report = self.monitor.poll_once(self.clock.now)
        assert len(report.alerts) <= 1, "one notification per poll at most"
        self.events += [part for alert in report.alerts for part in alert.parts()]
        return report

    def kinds(self) -> list[str]:
        """The key prefix of every event notified, folded ones included."""
        return [alert.key.split(":", 1)[0] for alert in self.events]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    clock = Clock()
    account = SimulatedAccount(total_subscription=30_000, gift=0, period_days=30, clock=clock)
    account.set_balance(resetAt=int((START + 10 * DAY) * 1000))
    with SimulatedLensmorServer(account) as server:
        r = Rig(clock, server, tmp_path / "history.sqlite3")
        r.start()
        yield r
        for client in r.clients:
            client.close()
        if r.store is not None:
            r.store.close()
