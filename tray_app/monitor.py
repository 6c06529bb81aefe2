"""`Monitor.poll_once(now)`: the one place that does a poll's I/O, in order.

    1. fetch the balance               (BalanceSource -> BalanceResponse | ApiError)
    2. fold the result into the state  (core.state.advance, pure)
    3. record history and state        (store)
    4. evaluate the alert rules        (core.alerts, pure) and deliver them (notifier)
    5. present the tray view           (core.view, pure) and show it (tray)
    6. decide the next poll            (core.pacing, pure)

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
from typing import Protocol, TypeVar

from tray_app.api import (
    ApiError,
    AuthError,
    BadResponse,
    BalanceResponse,
    NetworkError,
    RateLimited,
    ServerError,
)
from tray_app.core import alerts as alert_rules
from tray_app.core.forecast import Forecast, runway
from tray_app.core.language import ENGLISH, Language
from tray_app.core.pacing import (
    PRODUCTION,
    NextPoll,
    PacingProfile,
    next_poll,
    refresh_delay,
)
from tray_app.core.state import MonitorState, PollResult, Problem, advance, with_no_key
from tray_app.core.view import Extras, TrayView, present
from tray_app.history_report import usage_today
from tray_app.notify.base import Notification, Urgency
from tray_app.settings import Settings
from tray_app.store import HistoryStore

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
    if isinstance(exc, AuthError):
        problem = Problem.KEY_REJECTED
    elif isinstance(exc, RateLimited):
        return PollResult(
            now,
            problem=Problem.RATE_LIMITED,
            message=exc.message,
            trace_id=exc.trace_id,
            retry_after=exc.retry_after,
        )
    elif isinstance(exc, ServerError):
        problem = Problem.SERVER
    elif isinstance(exc, NetworkError):
        problem = Problem.OFFLINE
    elif isinstance(exc, BadResponse):
        problem = Problem.BAD_RESPONSE
    else:  # pragma: no cover - the hierarchy is closed
        problem = Problem.BAD_RESPONSE
    return PollResult(now, problem=problem, message=exc.message, trace_id=exc.trace_id)


_URGENCY: dict[alert_rules.Severity, Urgency] = {
    alert_rules.Severity.INFO: "low",
    alert_rules.Severity.WARNING: "normal",
    alert_rules.Severity.CRITICAL: "critical",
}


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
        lang: Language = ENGLISH,
    ) -> None:
        self._pacing = pacing
        self._lang = lang
        self._source = source
        self._store = store
        self._notifier = notifier
        self._tray = tray
        self.settings = settings
        self._jitter = jitter
        self._autostart_state = autostart_state
        self._lock = threading.Lock()
        saved = store.load_state() or {}
        self.state = MonitorState.from_json(saved.get("monitor"))
        self.alert_state = alert_rules.AlertState.from_json(saved.get("alerts"))
        self.forecast: Forecast | None = None
        self.view: TrayView | None = None
        self._compacted_at: float | None = None

    # -- configuration changes (SIGHUP, settings dialog) ----------------------------------------
    def reconfigure(self, *, source: BalanceSource | None, settings: Settings) -> None:
        """A new key or config: forget a "key rejected" verdict so polling starts again."""
        with self._lock:
            old, self._source = self._source, source
            if old is not source:
                _close(old)  # its keep-alive connection would otherwise linger until GC
            self.settings = settings
            if self.state.problem in (Problem.NO_KEY, Problem.KEY_REJECTED):
                self.state = replace(self.state, problem=None, problem_message="")

    def close(self) -> None:
        """Release the source's connection (at quit)."""
        with self._lock:
            _close(self._source)

    # -- the poll ------------------------------------------------------------------------------
    def poll_once(self, now: float) -> PollReport:
        with self._lock:
            result = self._fetch(now)
            if result is None:
                self.state = with_no_key(self.state, now)
            else:
                self.state = advance(self.state, result)
                if result.balance is not None:
                    self._guard("record history", self._store.record_balance, now, result.balance)
            alerts = self._evaluate(result, now)
            self._save()
            if self._compacted_at is None or now - self._compacted_at >= COMPACT_EVERY_S:
                # Retention: fold old rows into hourly/daily buckets (cheap once a day).
                self._compacted_at = now
                self._guard("compact history", self._store.compact, now)
            view = self.refresh_view(now)
            plan = next_poll(
                self.state, self.settings.poll_interval, now, self._jitter(), self._pacing
            )
            log.info(
                "poll: %s; next in %s (%s)",
                self._describe(),
                "-" if plan.delay is None else f"{plan.delay:.0f} s",
                plan.reason,
            )
            return PollReport(self.state, view, plan, tuple(alerts))

    def refresh_delay(self, now: float) -> float:
        """Seconds a "Refresh now" must wait (a pending Retry-After), usually 0."""
        return refresh_delay(self.state, now)

    def show_saved(self, now: float) -> TrayView:
        """Show what the last run saved, before the network answers."""
        with self._lock:
            return self.refresh_view(now)

    def refresh_view(self, now: float) -> TrayView:
        today, month = self._usage(now)
        extras = Extras(
            forecast=self.forecast,
            usage_today=today,
            usage_30_days=month,
            paused_until=self.alert_state.pause_until,
            autostart_enabled=self._autostart_state(),
            badge_style=self.settings.badge_style,
        )
        view = present(self.state, self.settings.alerts.thresholds, now, extras, lang=self._lang)
        if view != self.view:
            self.view = view
            self._guard("update the tray", self._tray.show, view)
        return view

    def pause(self, until: float, now: float) -> None:
        with self._lock:
            self.alert_state = alert_rules.pause(self.alert_state, until)
            self._save()
            self.refresh_view(now)

    def resume(self, now: float) -> None:
        with self._lock:
            self.alert_state, summary = alert_rules.resume(self.alert_state, now, self._lang)
            self._deliver(summary, now)
            self._save()
            self.refresh_view(now)

    # -- steps ---------------------------------------------------------------------------------
    def _fetch(self, now: float) -> PollResult | None:
        if self._source is None:
            return None
        try:
            response = self._source.fetch_balance()
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

    def _evaluate(self, result: PollResult | None, now: float) -> list[alert_rules.Alert]:
        if result is None:
            return []
        if result.balance is not None:
            samples = (
                self._guard("read history", self._store.samples, now - FORECAST_WINDOW_S) or []
            )
            self.forecast = runway(samples, now, result.balance.reset_at_s)
        self.alert_state, alerts = alert_rules.evaluate(
            self.alert_state,
            _outcome(result),
            self.settings.alerts,
            now,
            self.forecast,
            lang=self._lang,
        )
        self._deliver(alerts, now)
        return alerts

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
            self._guard(
                "notify",
                self._notifier.send,
                Notification(
                    title=alert.title,
                    body=alert.body,
                    urgency=_URGENCY[alert.severity],
                    key=alert.key,
                ),
            )

    def _save(self) -> None:
        self._guard(
            "save state",
            self._store.save_state,
            {"monitor": self.state.to_json(), "alerts": self.alert_state.to_json()},
        )

    def _usage(self, now: float) -> tuple[float | None, float | None]:
        """Credits spent today and over the last 30 days, from the history (None: unknown)."""
        if self.state.balance is None:
            return None, None
        today = self._guard("read usage", usage_today, self._store, now, None)
        month = self._guard("read usage", self._store.usage_between, now - 30 * 86400, now + 1)
        return today, month

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
