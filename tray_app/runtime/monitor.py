"""`Monitor.poll_once(now)`: the one place that does a poll's I/O, in order.

    1. fetch the balance               (BalanceSource -> BalanceResponse | ApiError)
    2. record the balance, read history for the forecast and the usage rows   (store)
    3. fold the result into the state  (core.state.advance, pure), evaluate the alert rules
       (core.alerts, pure), present the tray view (core.view, pure), decide the next poll
       (core.pacing, pure)
    4. save the state, deliver the alerts (notifier), show the view (tray)

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
from typing import NamedTuple, Protocol, TypeVar

from tray_app.api.client import ApiError, BalanceResponse, RateLimited, problem_of
from tray_app.config.model import Settings
from tray_app.core import alerts as alert_rules
from tray_app.core.forecast import Forecast, Sample, runway, spent_since
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
from tray_app.core.usage import USAGE_WINDOW_S
from tray_app.core.view import RECENT_ALERTS, Extras, TrayView, present
from tray_app.history.store import HistoryStore
from tray_app.history.usage_data import usage_today
from tray_app.notify.base import Notification, notification_for

log = logging.getLogger(__name__)
T = TypeVar("T")

FORECAST_WINDOW_S = 14 * 86400
COMPACT_EVERY_S = 86400


class BalanceSource(Protocol):
    def fetch_balance(self) -> BalanceResponse: ...


class NotifierPort(Protocol):
    """The notifier chain (`notify.chain.NotifierChain`); it never raises."""

    def send(self, n: Notification) -> object: ...


class TrayPort(Protocol):
    def show(self, view: TrayView) -> None: ...


class FeedPort(Protocol):
    """Feed files for status bars and scrapers (`feeds.FeedWriter`); may raise (guarded)."""

    def publish(self, state: MonitorState, settings: Settings, now: float) -> None: ...


@dataclass(frozen=True)
class PollReport:
    """What one poll did, for the scheduler, the log and tests."""

    state: MonitorState
    view: TrayView
    next_poll: NextPoll
    alerts: tuple[alert_rules.Alert, ...]


def _close(source: BalanceSource | None) -> None:
    close = getattr(source, "close", None)
    if callable(close):
        close()


def result_from_error(exc: ApiError, now: float) -> PollResult:
    """Map a client error to plain data (the core never sees exceptions)."""
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    return PollResult(
        now,
        problem=problem_of(exc),
        message=exc.message,
        trace_id=exc.trace_id,
        retry_after=retry_after,
    )


class _Applied(NamedTuple):
    """What applying one poll result under the lock leaves to do outside it."""

    alerts: list[alert_rules.Alert]
    view: TrayView
    seq: int
    plan: NextPoll
    compact: bool


class _Snapshot(NamedTuple):
    """The state to save, numbered in the order it was taken."""

    seq: int
    data: dict[str, object]


class _Keep:
    """`Monitor.reconfigure(source=KEEP_SOURCE)`: the same key and base URL, new settings."""


KEEP_SOURCE = _Keep()


def run_in_thread(fn: Callable[[], None]) -> None:
    threading.Thread(target=fn, name="lensmor-deliver", daemon=True).start()


def _outcome(result: PollResult) -> alert_rules.PollOutcome:
    if result.balance is not None:
        return result.balance
    return result.problem or Problem.BAD_RESPONSE


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
        background: Callable[[Callable[[], None]], None] = run_in_thread,
        lang: Language = ENGLISH,
        feed: FeedPort | None = None,
    ) -> None:
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
        self._background = background
        # Guards the fields below; held for in-memory work only, never across I/O.
        self._lock = threading.Lock()
        # Order tray updates and state saves from the poll thread and the UI thread: each
        # view and snapshot is numbered under the lock, and an older one never replaces a
        # newer one (the poll's save must not undo a pause saved meanwhile).
        self._show_lock = threading.Lock()
        self._write_lock = threading.Lock()  # held by the one thread writing the state
        # Held while a poll records a balance, for close() and reconfigure() to wait on
        # (a short SQLite write); taken before _lock, never while holding it.
        self._record_lock = threading.Lock()
        saved = store.load_state() or {}
        self.state = MonitorState.from_json(saved.get("monitor"))
        self.alert_state = alert_rules.AlertState.from_json(saved.get("alerts"))
        self.forecast: Forecast | None = None
        self.view: TrayView | None = None
        self._usage: tuple[float | None, float | None] = (None, None)
        # The "Recent alerts" rows, read from the store outside the lock after each delivery.
        self._recent = self._read_recent_alerts()
        self._compacted_at: float | None = None
        # Bumped by reconfigure(): a fetch that started before belongs to the old key/config.
        self._generation = 0
        self._closed = False
        self._views_made = 0
        self._views_shown = 0
        self._snapshots_made = 0
        self._latest = _Snapshot(0, {})  # the newest snapshot taken (under _lock)
        self._written = 0  # the seq of the snapshot last written (under _write_lock)

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
            _close(old)

    def close(self) -> None:
        """At quit or when the account is removed: drop any later poll result, cut a request
        in flight, save the state. The history is not written after this returns."""
        with self._lock:
            self._closed = True
            source = self._source
            self._snapshot()
        _close(source)
        with self._record_lock:
            pass  # a balance being recorded right now is finished; later ones are dropped
        self._save(wait=True)

    # -- the poll ------------------------------------------------------------------------------
    def poll_once(self, now: float) -> PollReport:
        with self._lock:
            source, generation, closed = self._source, self._generation, self._closed
        if closed:
            return self._unchanged(now, NextPoll(None, "stopped"))
        result = self._fetch(source, now)  # the network: no lock held
        dropped = self._dropped(generation)
        if dropped is not None:
            return self._unchanged(now, dropped)
        samples: list[Sample] | None = None
        if result is not None and result.balance is not None:
            with self._record_lock:  # close() and reconfigure() wait for it: see there
                dropped = self._dropped(generation)
                if dropped is None:
                    self._guard("record history", self._store.record_balance, now, result.balance)
            if dropped is not None:
                return self._unchanged(now, dropped)
            since = now - FORECAST_WINDOW_S
            samples = self._guard("read history", self._store.spending_samples, since) or []
        knows_balance = self.state.balance is not None or (
            result is not None and result.balance is not None
        )
        usage = self._read_usage(now) if knows_balance else (None, None)
        with self._lock:
            dropped = self._dropped_locked(generation)
            # Reconfigured or closed while we read the history: drop it too.
            applied = None if dropped else self._apply(result, samples, usage, now)
            state, settings = self.state, self.settings
        if applied is None:
            return self._unchanged(now, dropped or NextPoll(None, "stopped"))
        alerts, view, seq, plan, compact = applied
        self._save()
        if self._feed is not None:
            self._guard("write the feed files", self._feed.publish, state, settings, now)
        self._deliver(alerts, now)
        if alerts:
            recent = self._read_recent_alerts()
            with self._lock:
                self._recent = recent
                view, seq = self._present(now)
        if compact:
            # Retention: fold old rows into hourly/daily buckets (cheap once a day).
            self._guard("compact history", self._store.compact, now)
        self._show(view, seq)
        log.info(
            "poll: %s; next in %s (%s)",
            self._describe(),
            "-" if plan.delay is None else f"{plan.delay:.0f} s",
            plan.reason,
        )
        return PollReport(self.state, view, plan, tuple(alerts))

    def refresh_delay(self, now: float) -> float:
        """Seconds a "Refresh now" must wait (a pending Retry-After), usually 0."""
        with self._lock:
            return refresh_delay(self.state, now)

    def show_saved(self, now: float) -> TrayView:
        """Show what the last run saved, before the network answers."""
        return self.refresh_view(now)

    def refresh_view(self, now: float) -> TrayView:
        """Present the state as of `now` and show it if it changed. Called after every change
        and periodically, so the age of the balance shows even while a poll is stuck."""
        with self._lock:
            view, seq = self._present(now)
        self._show(view, seq)
        return view

    def pause(self, until: float, now: float) -> None:
        with self._lock:
            self.alert_state = alert_rules.pause(self.alert_state, until)
            self._snapshot()
            view, seq = self._present(now)
        self._show(view, seq)
        self._save()

    def resume(self, now: float) -> None:
        with self._lock:
            self.alert_state, summary = alert_rules.resume(self.alert_state, now, self._lang)
            self._snapshot()
            view, seq = self._present(now)
        self._show(view, seq)
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
        if result is not None:
            last_hour: float | None = None
            if result.balance is not None and samples is not None:
                self.forecast = runway(samples, now, result.balance.reset_at_s)
                last_hour = spent_since(samples, now - 3600, now)
            flap = self.alert_state.flap
            self.alert_state, alerts = alert_rules.evaluate(
                self.alert_state,
                _outcome(result),
                self.settings.alerts,
                now,
                self.forecast,
                last_hour_spend=last_hour,
                lang=self._lang,
            )
            if self.alert_state.flap not in (None, flap):
                log.info(
                    "resetAt moves back and forth between %s and %s (servers disagree); "
                    "treated as one period, not announced again",
                    *self.alert_state.flap,
                )
        view, seq = self._present(now)
        plan = next_poll(self.state, self.settings.poll_interval, now, self._jitter(), self._pacing)
        compact = self._compacted_at is None or now - self._compacted_at >= COMPACT_EVERY_S
        if compact:
            self._compacted_at = now
        self._snapshot()
        return _Applied(alerts, view, seq, plan, compact)

    def _present(self, now: float) -> tuple[TrayView, int]:
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
        self._views_made += 1
        view = present(self.state, self.settings.alerts.thresholds, now, extras, lang=self._lang)
        return view, self._views_made

    def _snapshot(self) -> None:
        """Number the state to save and make it the newest (call under the lock)."""
        self._snapshots_made += 1
        data: dict[str, object] = {
            "monitor": self.state.to_json(),
            "alerts": self.alert_state.to_json(),
        }
        self._latest = _Snapshot(self._snapshots_made, data)

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
        view = self.refresh_view(now)
        log.info("poll result dropped (%s)", plan.reason)
        return PollReport(self.state, view, plan, ())

    # -- outside the lock: I/O -----------------------------------------------------------------
    def _show(self, view: TrayView, seq: int) -> None:
        with self._show_lock:
            if seq <= self._views_shown:
                return  # a newer view is already on screen
            self._views_shown = seq
            if view == self.view:
                return
            self.view = view
            self._guard("update the tray", self._tray.show, view)

    # -- steps ---------------------------------------------------------------------------------
    def _fetch(self, source: BalanceSource | None, now: float) -> PollResult | None:
        if source is None:
            return None
        try:
            response = source.fetch_balance()
        except ApiError as exc:
            log.warning("poll failed: %s", exc)
            return result_from_error(exc, now)
        rl = response.rate_limit
        return PollResult(
            now,
            balance=response.balance,
            trace_id=response.trace_id,
            rate_limit_limit=rl.limit,
            rate_limit_remaining=rl.remaining,
            rate_limit_reset=rl.reset_at,
        )

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

    def _save(self, *, wait: bool = False) -> None:
        """Write the newest state. Whoever holds the write lock writes until nothing newer is
        left, so a caller that finds it taken (the UI thread while a poll's write is slow)
        returns at once: its snapshot is written by that thread, never overwritten by an
        older one. `wait` (quit): block until it is on disk."""
        while True:
            if not self._write_lock.acquire(blocking=wait):
                return
            try:
                while True:
                    with self._lock:
                        latest = self._latest
                    if latest.seq <= self._written:
                        break
                    self._guard("save state", self._store.save_state, latest.data)
                    self._written = latest.seq
            finally:
                self._write_lock.release()
            # A snapshot taken between the last check and the release found the lock held
            # and left it to us: look once more.
            with self._lock:
                if self._latest.seq <= self._written:
                    return

    def _read_usage(self, now: float) -> tuple[float | None, float | None]:
        """Credits spent today and over the usage window, from the history (None: unknown)."""
        today = self._guard("read usage", usage_today, self._store, now, None)
        window = self._guard("read usage", self._store.usage_between, now - USAGE_WINDOW_S, now + 1)
        return today, window

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
