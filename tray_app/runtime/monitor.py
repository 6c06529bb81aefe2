"""`Monitor.poll_once(now)`: the one place that does a poll's I/O, in order.

    1. fetch the balance               (BalanceSource -> BalanceResponse | ApiError)
    2. record the balance, read history for the forecast and the usage rows   (store)
    3. fold the result into the state  (core.state.advance, pure), evaluate the alert rules
       (core.alerts, pure), take the account's snapshot for the tray (core.view), decide the
       next poll (core.pacing, pure)
    4. save the state, deliver the alerts (notifier), hand each event to the hooks (queued:
       notify/hooks.py runs them off this thread), hand the snapshot to the tray board
       (runtime/board.py, which presents every account's at once and shows the view)

Threads: the poll runs on the scheduler's thread; pause, resume, the autostart toggle, a
settings reload and quit come from the UI thread (menu callbacks, D-Bus, signals). The lock
guards the in-memory state only and is never held across I/O: steps 1, 2 and 4 run without
it and step 3 applies their results under it. So a poll stuck on the network (bounded by the
client's deadline) never makes the menu wait. A result that arrives after the key or config
changed, or after `close()`, belongs to the old configuration and is dropped.

Time always comes in as an argument, so tests and the soak run drive it with a fake clock.
The Monitor never raises out of `poll_once`: a failure of the store, the notifier or the tray
is logged and the loop goes on.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import NamedTuple, Protocol, TypeVar

from tray_app.config.model import HookConfig, Settings
from tray_app.core import alerts as alert_rules
from tray_app.core.forecast import Forecast, Sample, runway, spent_since
from tray_app.core.hook_events import HookEvent, hook_events
from tray_app.core.language import ENGLISH, Language
from tray_app.core.notices import notice_for
from tray_app.core.pacing import (
    PRODUCTION,
    NextPoll,
    PacingProfile,
    next_poll,
    refresh_delay,
)
from tray_app.core.state import MonitorState, PollResult, Problem, advance, with_no_key
from tray_app.core.view import (
    RECENT_ALERTS,
    AccountSnapshot,
    Extras,
    TrayView,
    newest_first,
    present,
)
from tray_app.history.store import HistoryStore
from tray_app.notify.base import Notification, notification_for
from tray_app.notify.hooks import HookOutcome
from tray_app.runtime.history_reads import HistoryReads
from tray_app.runtime.poll_result import BalanceSource, close_source, fetch_result, outcome_of
from tray_app.runtime.state_saver import StateSaver
from tray_app.support.threads import in_background

log = logging.getLogger(__name__)
T = TypeVar("T")

COMPACT_EVERY_S = 86400


class NotifierPort(Protocol):
    """The notifier chain (`notify.chain.NotifierChain`); it never raises."""

    def send(self, n: Notification) -> object: ...


class HookPort(Protocol):
    """The hook runner (`notify.hooks.HookRunner`): queues the runs, never waits for them."""

    def submit(
        self,
        hooks: tuple[HookConfig, ...],
        events: list[HookEvent],
        on_failure: Callable[[HookOutcome], None],
    ) -> object: ...


class TrayPort(Protocol):
    """Where the account's snapshots go: its slot on the tray board (runtime/board.py)."""

    def show(self, snapshot: AccountSnapshot) -> None: ...


class FeedPort(Protocol):
    """Feed files for status bars and scrapers (`feeds.FeedWriter`); may raise (guarded)."""

    def publish(self, state: MonitorState, settings: Settings, now: float) -> None: ...


@dataclass(frozen=True)
class PollReport:
    """What one poll did, for the scheduler, the log and tests."""

    state: MonitorState
    snapshot: AccountSnapshot
    next_poll: NextPoll
    alerts: tuple[alert_rules.Alert, ...]

    @property
    def view(self) -> TrayView:
        """The account's view as the tray shows it with one account (logs and tests)."""
        s = self.snapshot
        return present(s.state, s.thresholds, s.now, s.extras)


class _Applied(NamedTuple):
    """What applying one poll result under the lock leaves to do outside it."""

    alerts: list[alert_rules.Alert]
    hook_events: list[HookEvent]
    snapshot: AccountSnapshot
    plan: NextPoll
    compact: bool


class _Keep:
    """`Monitor.reconfigure(source=KEEP_SOURCE)`: the same key and base URL, new settings."""


KEEP_SOURCE = _Keep()


class Monitor:
    def __init__(
        self,
        *,
        source: BalanceSource | None,
        store: HistoryStore,
        notifier: NotifierPort,
        tray: TrayPort,
        settings: Settings,
        jitter: Callable[[], float] = random.random,
        autostart_state: Callable[[], bool | None] = lambda: None,
        pacing: PacingProfile = PRODUCTION,
        background: Callable[[Callable[[], None]], None] | None = None,
        lang: Language = ENGLISH,
        feed: FeedPort | None = None,
        name: str = "default",
        hooks: HookPort | None = None,
    ) -> None:
        self.name = name
        self._hooks = hooks
        self._feed = feed
        self._pacing = pacing
        self._lang = lang
        self._source = source
        self._store = store
        self._notifier = notifier
        self._tray = tray
        self.settings = settings
        self._jitter = jitter
        self._autostart_state = autostart_state
        # Where work started from the UI thread that may block (a notification send) runs.
        self._background = background or partial(in_background, name="lensmor-deliver")
        # Guards the fields below; held for in-memory work only, never across I/O.
        self._lock = threading.Lock()
        # Order tray updates and state saves from the poll thread and the UI thread: each
        # snapshot and saved state is numbered under the lock, and an older one never
        # replaces a newer one (the board keeps the newest snapshot; the poll's save must not
        # undo a pause saved meanwhile).
        # Held while a poll records a balance, for close() and reconfigure() to wait on
        # (a short SQLite write); taken before _lock, never while holding it.
        self._record_lock = threading.Lock()
        saved = store.load_state() or {}
        self.state = MonitorState.from_json(saved.get("monitor"))
        self.alert_state = alert_rules.AlertState.from_json(saved.get("alerts"))
        self.forecast: Forecast | None = None
        self._usage: tuple[float | None, float | None] = (None, None)
        # The "Recent alerts" rows: read from the store once, then kept in memory.
        self._recent = self._read_recent_alerts()
        self._compacted_at: float | None = None
        # Bumped by reconfigure(): a fetch that started before belongs to the old key/config.
        self._generation = 0
        self._closed = False
        self._snapshots_made = 0  # the account snapshots handed to the tray (under _lock)
        self._saver = StateSaver(lambda data: self._guard("save state", store.save_state, data))
        self._history = HistoryReads(store, self._guard)

    # -- configuration changes (a reload: SIGHUP, the CLI, the settings window) ----------------
    def reconfigure(
        self, *, source: BalanceSource | _Keep | None = KEEP_SOURCE, settings: Settings
    ) -> None:
        """A new key (or KEEP_SOURCE) or config: forget a "key rejected" verdict."""
        with self._lock:
            old = self._source
            if not isinstance(source, _Keep):
                self._source = source
            new, self.settings = self._source, settings
            self._generation += 1
            if self.state.problem in (Problem.NO_KEY, Problem.KEY_REJECTED):
                self.state = replace(self.state, problem=None, problem_message="")
        # A balance read with the old key must not land after the new key's (another key may
        # be another account: the history would show a top-up that never happened).
        with self._record_lock:
            pass
        if old is not new:
            # Its keep-alive connection would otherwise linger until GC; a request of it still
            # in flight is cut short (its answer would be dropped anyway).
            close_source(old)

    def close(self) -> None:
        """At quit or when the account is removed: drop any later poll result, cut a request
        in flight, save the state. The history is not written after this returns."""
        with self._lock:
            self._closed = True
            source = self._source
            self._mark_for_save()
        close_source(source)
        with self._record_lock:
            pass  # a balance being recorded right now is finished; later ones are dropped
        self._save(wait=True)

    # -- the poll ------------------------------------------------------------------------------
    def poll_once(self, now: float) -> PollReport:
        with self._lock:
            source, generation, closed = self._source, self._generation, self._closed
        if closed:
            return self._unchanged(now, NextPoll(None, "stopped"))
        result = fetch_result(source, now)  # the network: no lock held
        dropped = self._dropped(generation)
        if dropped is not None:
            return self._unchanged(now, dropped)
        samples: list[Sample] | None = None
        if result is not None and result.balance is not None:
            with self._record_lock:  # close() and reconfigure() wait for it: see there
                dropped = self._dropped(generation)
                if dropped is None:
                    recorded = self._guard(
                        "record history", self._store.record_balance, now, result.balance
                    )
                    if recorded is not False:  # a row written (or perhaps: the write failed)
                        self._history.recorded()
            if dropped is not None:
                return self._unchanged(now, dropped)
            samples = self._history.samples(now)
        knows_balance = self.state.balance is not None or (
            result is not None and result.balance is not None
        )
        usage = self._history.usage(now) if knows_balance else (None, None)
        with self._lock:
            dropped = self._dropped_locked(generation)
            # Reconfigured or closed while we read the history: drop it too.
            applied = None if dropped else self._apply(result, samples, usage, now)
            state, settings = self.state, self.settings
        if applied is None:
            return self._unchanged(now, dropped or NextPoll(None, "stopped"))
        alerts, events, snapshot, plan, compact = applied
        self._save()
        if self._feed is not None:
            self._guard("write the feed files", self._feed.publish, state, settings, now)
        self._deliver(alerts, now)
        if events and self._hooks is not None:
            self._guard("run the hooks", self._hooks.submit, settings.hooks, events, self._failed)
        if alerts:
            with self._lock:
                # Kept in memory: the menu's "Recent alerts" (no store read).
                self._recent = newest_first(self._recent, ((now, a.title) for a in alerts))
                snapshot = self._account_snapshot(now)
        if compact:
            # Retention: fold old rows into hourly/daily buckets (cheap once a day).
            self._guard("compact history", self._store.compact, now)
            self._history.forget()
        self._show(snapshot)
        log.info(
            "poll: %s; next in %s (%s)",
            self._describe(),
            "-" if plan.delay is None else f"{plan.delay:.0f} s",
            plan.reason,
        )
        return PollReport(self.state, snapshot, plan, tuple(alerts))

    def refresh_delay(self, now: float) -> float:
        """Seconds a "Refresh now" must wait (a pending Retry-After), usually 0."""
        with self._lock:
            return refresh_delay(self.state, now)

    def show_saved(self, now: float) -> AccountSnapshot:
        """Show what the last run saved, before the network answers."""
        return self.refresh_view(now)

    def refresh_view(self, now: float) -> AccountSnapshot:
        """Hand the tray the account as of `now`. Called after every change and periodically,
        so the age of the balance shows even while a poll is stuck."""
        with self._lock:
            snapshot = self._account_snapshot(now)
        self._show(snapshot)
        return snapshot

    def pause(self, until: float, now: float) -> None:
        with self._lock:
            self.alert_state = alert_rules.pause(self.alert_state, until)
            self._mark_for_save()
            snapshot = self._account_snapshot(now)
        self._show(snapshot)
        self._save()

    def resume(self, now: float) -> None:
        with self._lock:
            self.alert_state, summary = alert_rules.resume(self.alert_state, now, self._lang)
            self._mark_for_save()
            snapshot = self._account_snapshot(now)
        self._show(snapshot)
        self._save()
        if summary:
            # Called from the menu: the summary's send may block (a slow notification daemon).
            self._background(lambda: self._deliver(summary, now))

    # -- under the lock: in-memory only ---------------------------------------------------------
    def _apply(
        self,
        result: PollResult | None,
        samples: list[Sample] | None,
        usage: tuple[float | None, float | None],
        now: float,
    ) -> _Applied:
        if result is None:
            self.state = with_no_key(self.state, now)
        else:
            self.state = advance(self.state, result)
        self._usage = usage if self.state.balance is not None else (None, None)
        alerts: list[alert_rules.Alert] = []
        events: list[HookEvent] = []
        if result is not None:
            last_hour: float | None = None
            if result.balance is not None and samples is not None:
                self.forecast = runway(samples, now, result.balance.reset_at_s)
                last_hour = spent_since(samples, now - 3600, now)
            before = self.alert_state
            flap = before.flap
            self.alert_state, alerts, parts = alert_rules.evaluate_events(
                self.alert_state,
                outcome_of(result),
                self.settings.alerts,
                now,
                self.forecast,
                last_hour_spend=last_hour,
                lang=self._lang,
            )
            if parts and self.settings.hooks:
                events = hook_events(
                    parts,
                    before,
                    self.alert_state,
                    account=self.name,
                    balance=self.state.balance,
                    thresholds=self.settings.alerts.thresholds,
                    now=now,
                )
            if self.alert_state.flap not in (None, flap):
                log.info(
                    "resetAt moves back and forth between %s and %s (servers disagree); "
                    "treated as one period, not announced again",
                    *self.alert_state.flap,
                )
        snapshot = self._account_snapshot(now)
        plan = next_poll(self.state, self.settings.poll_interval, now, self._jitter(), self._pacing)
        compact = self._compacted_at is None or now - self._compacted_at >= COMPACT_EVERY_S
        if compact:
            self._compacted_at = now
        self._mark_for_save()
        return _Applied(alerts, events, snapshot, plan, compact)

    def _account_snapshot(self, now: float) -> AccountSnapshot:
        """The account as of `now` for the tray, numbered (call under the lock)."""
        today, window = self._usage
        extras = Extras(
            forecast=self.forecast,
            usage_today=today,
            usage_30_days=window,
            paused_until=self.alert_state.pause_until,
            autostart_enabled=self._autostart_state(),
            poll_interval=max(self.settings.poll_interval, self._pacing.min_interval),
            recent_alerts=self._recent,
            badge_style=self.settings.badge_style,
        )
        self._snapshots_made += 1
        return AccountSnapshot(
            self.name,
            self.state,
            self.settings.alerts.thresholds,
            now,
            extras,
            seq=self._snapshots_made,
        )

    def _mark_for_save(self) -> None:
        """The state as it is now is the newest to save (call under the lock: the saver's
        numbers then follow the order of the changes)."""
        self._saver.mark({"monitor": self.state.to_json(), "alerts": self.alert_state.to_json()})

    def _dropped(self, generation: int) -> NextPoll | None:
        with self._lock:
            return self._dropped_locked(generation)

    def _dropped_locked(self, generation: int) -> NextPoll | None:
        """Why a poll that started at `generation` must not be applied (None: apply it)."""
        if self._closed:
            return NextPoll(None, "stopped")
        if generation != self._generation:
            return NextPoll(0.0, "the key or config changed during the poll")
        return None

    def _unchanged(self, now: float, plan: NextPoll) -> PollReport:
        snapshot = self.refresh_view(now)
        log.info("poll result dropped (%s)", plan.reason)
        return PollReport(self.state, snapshot, plan, ())

    # -- outside the lock: I/O -----------------------------------------------------------------
    def _show(self, snapshot: AccountSnapshot) -> None:
        # The board keeps the newest of this account's snapshots (by `seq`) and shows the
        # view only when it changed.
        self._guard("update the tray", self._tray.show, snapshot)

    # -- steps ---------------------------------------------------------------------------------
    def _deliver(self, alerts: list[alert_rules.Alert], now: float) -> None:
        for alert in alerts:
            self._guard(
                "record an alert",
                self._store.record_alert,
                now,
                alert.kind.value,
                alert.key,
                alert.title,
                alert.body,
            )
            notification = notification_for(notice_for(alert), self._lang)
            self._guard("notify", self._notifier.send, notification)

    def _failed(self, outcome: HookOutcome) -> None:
        """A hook failed (on a hook thread): a "Recent alerts" row, in the store and the menu."""
        with self._lock:
            if self._closed:  # the account was removed or the app quits: its store is closed
                return
        at = outcome.event.at + outcome.seconds
        text = outcome.failure_text(self._lang)
        key = f"hook:{outcome.program}:{outcome.event.key}"
        self._guard(
            "record an alert",
            self._store.record_alert,
            at,
            "hook_failed",
            key,
            text,
            outcome.describe(),
        )
        with self._lock:
            self._recent = newest_first(self._recent, [(at, text)])
            snapshot = self._account_snapshot(at)
        self._show(snapshot)

    def _save(self, *, wait: bool = False) -> None:
        self._saver.save(wait=wait)

    def _read_recent_alerts(self) -> tuple[tuple[float, str], ...]:
        records = self._guard("read alerts", self._store.alerts, 0.0, RECENT_ALERTS) or []
        return tuple((record.ts, record.title) for record in records)

    def _describe(self) -> str:
        s = self.state
        if s.problem is not None:
            return f"{s.problem.value} ({s.problem_message})"
        if s.balance is not None:
            return f"balance {s.balance.total_balance} of {s.balance.total_amount}"
        return "no balance"

    @staticmethod
    def _guard(what: str, fn: Callable[..., T], *args: object) -> T | None:
        # One failing adapter (disk full, tray host gone, notification daemon dead) must not
        # stop the poll loop; it is logged with what we were doing.
        try:
            return fn(*args)
        except Exception:
            log.exception("could not %s", what)
            return None
