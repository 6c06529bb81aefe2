"""The alert rules: previous state + one poll result + settings + now -> new state + alerts.

Pure and deterministic: the same inputs always give the same state and alerts, so a restart
(state saved with `AlertState.to_json` and read back with `AlertState.from_json`) changes
nothing. Every rule keeps the memory it needs in `AlertState`; that is what makes "never
repeat, never miss" hold across polls, errors, pauses and restarts.

The rules, exactly:

Thresholds
    The lines are `settings.thresholds` (percent of `totalAmount` or absolute credits, any
    number of them) plus "depleted" at 0. A line is crossed when `totalBalance < line`
    (depleted: `totalBalance <= 0`), the same comparison `levels.level_for` uses. Each line is
    either armed or fired. An armed line that the balance is below fires: it is marked fired
    and notified. Several lines firing in one poll give ONE notification, for the most severe
    (depleted, else the lowest line); the others are marked fired silently. A fired line
    re-arms only when the balance is back at or above `line + rearm_margin(totalAmount)`, where
    the margin is the larger of 1 % of `totalAmount` and 50 credits (one search), or at a reset.
    First poll ever: all lines start armed, so a balance already below a line is notified once:
    the user should know, and that single notice is never repeated afterwards. A line added in
    the settings while the balance is below it is notified once the same way. The kind is
    DEPLETED, CRITICAL (the lowest configured line, as `level_for` calls it critical) or LOW.

Reset (new subscription period)
    `resetAt` is the primary signal: it moved forward by at least an hour (`RESET_MIN_ADVANCE_MS`,
    which ignores jitter) compared with the period the state remembers, into a period not
    announced before. The last `PERIOD_MEMORY` periods seen are remembered (and saved), so a
    reset into one of them is adopted silently: replicas behind a load balancer that disagree
    (resetAt A, B, A, B...) give one "renewed", and the back-and-forth is noted in the state
    (`flap`, the pair of periods) for the monitor to log once. When there is no date to
    compare (the new `resetAt` is null, or no period is known yet), a subscription balance that
    rose to its full `subscriptionAmount` counts as a reset (a refill). A `resetAt` that moves
    back by an hour or more (a plan change) is adopted silently. A reset re-arms every threshold
    and starts new per-period flags; it is notified once ("Subscription credits renewed: 35,000
    available; next reset on 1 Dec"). A reset that happened while the app was not running is
    found at the next poll by comparing with the saved period, and reported once, however many
    periods were missed. The first poll ever only learns the period; it reports no reset.

Top-up / gift
    Outside a reset, `giftBalance` or `totalAmount` rose since the last balance. A rise of at
    least `TOP_UP_MIN_CREDITS` (50, one search) notifies at once. A smaller one must go above
    the highest level seen this period (`top_up_high`) and still be there at the next balance
    (it is then measured from that high). So a gift balance wobbling 50 <-> 40 between
    replicas never notifies; the price is that a small grant after gift credits were spent
    below an earlier high is not announced (the balance still shows it). One notification
    names the larger of the two rises.

Unusual spend
    The credits spent in the last hour (`last_hour_spend`, from the history, given by the
    monitor) compared with the user's usual hourly pace (the forecast's trimmed daily rate / 24,
    see forecast.py). It notifies when the hour's spend is at least `UNUSUAL_SPEND_FLOOR`
    (5,000 credits) and, when a pace is known (a day of history or more), at least
    `UNUSUAL_SPEND_FACTOR` (4) times that pace. The floor keeps a new account quiet; the factor
    makes "unusual" relative to the user. At most once per `UNUSUAL_SPEND_QUIET_S` (an hour),
    and not within the hour after the period changed (a renewal, a plan change, or resetAt
    going back and forth): that hour's samples mix two periods, so their drops are not spend.

Large spend (off by default)
    Outside a reset, `totalBalance` fell by at least `settings.large_spend` since the last
    balance (default 0: off): one notification naming the amount and since when. Failed polls
    in between do not count as polls: the drop is measured between balances.

Expiring soon
    `settings.expiring_hours` (default 48; 0 turns it off) or less before `resetAt` (and not
    after it), with subscription credits left: one notification per period.

Runway
    When the `Forecast` passed in says the balance reaches 0 before the reset (see
    `forecast.py` for how the pace is computed) and credits remain: one notification per period.

Key rejected
    The first AUTH_REJECTED of an episode notifies; further rejections are silent; the next
    balance ends the episode quietly (no "fixed" notification); a later rejection is a new one.

Offline
    OFFLINE, RATE_LIMITED and BAD_RESPONSE all mean "no fresh balance". An outage starts at the
    first such poll and ends at the next balance or AUTH_REJECTED (the server answered). Only an
    outage lasting `settings.offline_minutes` (default 60) notifies, once. A gap between two
    polls longer than `max(offline window, 3 h)` (the app was not running, the machine slept)
    restarts the outage clock, so waking up offline does not claim an outage nobody saw.
    When a notified outage ends with a balance, "updating again" is notified (it replaces the
    offline notification on screen, see notices.py).

Notifications off, pause
    The state always advances: crossings are marked fired, flags are set, periods move on.
    With `settings.notifications` False the alerts are dropped for good. While paused
    (`now < pause_until`) they are kept in the state instead, and when the pause ends (`resume`,
    or the first `evaluate` at or after `pause_until`) ONE summary notification lists them; they
    are never replayed one by one. Nothing is notified while paused. At most `MAX_SUPPRESSED`
    alerts are kept; more are only counted. A pause that ends while notifications are off
    ends without a summary.

One notification per poll, at most
    When several rules fire in one poll (or a pause ends with a summary), the most important
    alert is the headline (its title, kind, key and severity) and the others are folded into
    its body, each with its own key kept in `folded` (`Alert.parts()` gives them back, for
    the history and the tests). A fact several alerts may state, the balance left or the
    renewal date (`Fact`), is stated once: the headline's body states its facts, and each
    folded alert reads in the variant that leaves out the facts already stated before it
    (`Alert.tells` and `Alert.shorter`), so "Unusual spend: 25,000 credits in the last hour.
    5,050 left." folds a low-balance warning as "14% of 35,050 left, below your 20% warning."
    and not "5,050 credits left (14% of 35,050), ...". The fixed order of importance, most
    important first, is
    `IMPORTANCE`: used up, critically low, key rejected, unusual spend, low, large spend,
    runs out before the reset, expiring soon, not updating (offline), renewed, credits added,
    updating again, pause summary. Money at risk comes first, then what the user can act on,
    then news.

Each alert's `key` names the event once and for all: `threshold:<label>:period=<resetAt
ms>:t=<poll time>`, `reset:period=<ms>`, `expiring:period=<ms>`, `runway:period=<ms>`,
`top-up:t=<s>`, `unusual-spend:t=<s>`, `large-spend:t=<s>`, `key-rejected:since=<s>`,
`offline:since=<s>`, `online:t=<s>`, `pause-summary:t=<s>`.

Numbers are written with `fmt.credits` ("30,050") and dates with `fmt.short_date` in the `tz`
given (None means the local zone; tests pass UTC), texts and formats in the `lang` given
(English by default). An alert keeps the text it was made with: held alerts summarised after a
pause keep their titles as they were.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeAlias, TypeVar

from tray_app.core import errors, fmt
from tray_app.core.balance import Balance, BalanceFormatError, parse_balance
from tray_app.core.forecast import Forecast
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.core.levels import Threshold
from tray_app.core.saved import opt_float, opt_int
from tray_app.core.state import Problem

N = TypeVar("N", int, float)

STATE_VERSION = 1
HOUR_S = 3600.0
DEPLETED_LABEL = "depleted"
# Hysteresis for re-arming a fired threshold: 1 % of totalAmount, at least one search (50).
REARM_FRACTION = 0.01
REARM_MIN_CREDITS = 50.0
# resetAt must move at least this far to mean a new period; smaller moves are jitter.
RESET_MIN_ADVANCE_MS = 3_600_000
# A gap between polls longer than this (or the offline window) restarts the outage clock.
OUTAGE_GAP_S = 3 * HOUR_S
# Bound on alerts kept during a pause, so a long pause cannot grow the state file unbounded.
MAX_SUPPRESSED = 200
_SUMMARY_LINES = 5
# How many announced periods are remembered: enough for replicas that disagree over a few
# periods, small enough to keep the saved state short.
PERIOD_MEMORY = 6
# A rise of gift credits or totalAmount this large notifies at once; a smaller one must last.
TOP_UP_MIN_CREDITS = 50.0
# Unusual spend: at least this many credits in the last hour, and this many times the usual
# hourly pace when one is known; then quiet for an hour.
UNUSUAL_SPEND_FLOOR = 5_000.0
UNUSUAL_SPEND_FACTOR = 4.0
UNUSUAL_SPEND_QUIET_S = HOUR_S


class AlertKind(str, enum.Enum):
    LOW = "low"
    CRITICAL = "critical"
    DEPLETED = "depleted"
    RESET = "reset"
    TOP_UP = "top_up"
    EXPIRING = "expiring"
    LARGE_SPEND = "large_spend"
    RUNWAY = "runway"
    KEY_REJECTED = "key_rejected"
    OFFLINE = "offline"
    PAUSE_SUMMARY = "pause_summary"
    UNUSUAL_SPEND = "unusual_spend"
    ONLINE = "online"


#: The fixed order of importance, most important first: the headline of a poll's one
#: notification is the first kind present here (see the module docstring for why).
IMPORTANCE: tuple[AlertKind, ...] = (
    AlertKind.DEPLETED,
    AlertKind.CRITICAL,
    AlertKind.KEY_REJECTED,
    AlertKind.UNUSUAL_SPEND,
    AlertKind.LOW,
    AlertKind.LARGE_SPEND,
    AlertKind.RUNWAY,
    AlertKind.EXPIRING,
    AlertKind.OFFLINE,
    AlertKind.RESET,
    AlertKind.TOP_UP,
    AlertKind.ONLINE,
    AlertKind.PAUSE_SUMMARY,
)


class Fact(str, enum.Enum):
    """A fact several alerts of one poll may state; the notification states each once."""

    BALANCE = "balance"  # the credits left (or available) now
    RENEWAL = "renewal"  # the date the subscription credits renew
    SPEND = "spend"  # the credits spent lately (unusual spend, large spend)


#: Every combination of facts a folded alert may have to leave out.
_FACT_SETS: tuple[frozenset[Fact], ...] = tuple(
    frozenset(combo) for size in (1, 2, 3) for combo in itertools.combinations(Fact, size)
)


class Severity(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


#: The result of one poll: the balance, or why there is none (the same `Problem` the monitor
#: state and the tray view use; every problem but a rejected key counts as an outage).
PollOutcome: TypeAlias = Balance | Problem


class AlertConfig(Protocol):
    """What the rules read from the settings (`tray_app.config.model.AlertSettings` fits)."""

    @property
    def thresholds(self) -> tuple[Threshold, ...]: ...

    @property
    def expiring_hours(self) -> float: ...

    @property
    def large_spend(self) -> float: ...

    @property
    def offline_minutes(self) -> float: ...

    @property
    def notifications(self) -> bool: ...


@dataclass(frozen=True)
class Alert:
    """One notification. `key` is a stable identity for the event (for dedup and the history);
    a pause summary lists the keys of the alerts it stands for in `covers`."""

    kind: AlertKind
    title: str
    body: str
    key: str
    severity: Severity
    covers: tuple[str, ...] = ()
    folded: tuple[Alert, ...] = ()  # the other alerts of the same poll, told in `body`
    brief: str = ""  # how this alert reads when folded into another one's body ("" = body)
    # The facts `body` and `brief` state, and how the alert reads folded after parts that
    # already stated some of them: (the facts left out, the text). Only `compose` reads them,
    # right after the rules made the alerts, so they are not saved (`to_json`).
    tells: frozenset[Fact] = field(default=frozenset(), compare=False, repr=False)
    shorter: tuple[tuple[frozenset[Fact], str], ...] = field(default=(), compare=False, repr=False)

    def folded_text(self, stated: frozenset[Fact]) -> str:
        """How this alert reads folded after parts that stated `stated` ("" = nothing new)."""
        repeated = self.tells & stated
        if repeated:
            for left_out, text in self.shorter:
                if left_out == repeated:
                    return text
        return self.brief or self.body

    def parts(self) -> tuple[Alert, ...]:
        """The headline alone, then each folded alert: every event of this notification."""
        return (replace(self, folded=()), *self.folded) if self.folded else (self,)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "title": self.title,
            "body": self.body,
            "key": self.key,
            "severity": self.severity.value,
            "covers": list(self.covers),
        }
        if self.folded:
            data["folded"] = [alert.to_json() for alert in self.folded]
        if self.brief:
            data["brief"] = self.brief
        return data

    @classmethod
    def from_json(cls, data: Any) -> Alert | None:
        """The alert, or None when `data` is not a valid one."""
        if not isinstance(data, dict):
            return None
        try:
            kind = AlertKind(data.get("kind"))
            severity = Severity(data.get("severity"))
        except ValueError:
            return None
        texts = [data.get(name) for name in ("title", "body", "key")]
        if not all(isinstance(text, str) for text in texts):
            return None
        title, body, key = (str(text) for text in texts)
        raw = data.get("folded")
        folded = [cls.from_json(item) for item in raw] if isinstance(raw, list) else []
        return cls(
            kind,
            title,
            body,
            key,
            severity,
            _str_tuple(data.get("covers")),
            tuple(alert for alert in folded if alert is not None),
            brief if isinstance(brief := data.get("brief"), str) else "",
        )


@dataclass(frozen=True)
class AlertState:
    """Everything the rules remember between polls (and across restarts)."""

    last: Balance | None = None  # the last balance received
    last_ok_at: float | None = None  # when it was received
    last_poll_at: float | None = None  # the last poll of any outcome
    period_ms: int | None = None  # the resetAt that identifies the current period
    fired: frozenset[str] = frozenset()  # threshold labels fired and not re-armed
    expiring_warned_ms: int | None = None  # period already warned about expiring credits
    runway_warned_ms: int | None = None  # period already warned about the runway
    key_rejected_since: float | None = None
    outage_since: float | None = None
    outage_notified: bool = False
    pause_until: float | None = None
    suppressed: tuple[Alert, ...] = ()  # alerts held back by the pause, for the summary
    suppressed_more: int = 0  # held back beyond MAX_SUPPRESSED (counted only)
    periods: tuple[int, ...] = ()  # the last PERIOD_MEMORY periods seen, newest last
    flap: tuple[int, int] | None = None  # (older, newer) period resetAt went back and forth
    top_up_high: tuple[float, float] | None = None  # highest (giftBalance, totalAmount)
    # seen this period: a small rise must go above it
    top_up_base: tuple[float, float] | None = None  # that high before a small rise, which
    # must still be there at the next balance
    unusual_spend_at: float | None = None  # when unusual spend was last notified
    period_changed_at: float | None = None  # the last poll whose period differed (a reset,
    # a plan change, or replicas disagreeing): the hour after it is not measured for spend

    def paused(self, now: float) -> bool:
        return self.pause_until is not None and now < self.pause_until

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (with `version`)."""
        return {
            "version": STATE_VERSION,
            "last": None if self.last is None else self.last.to_api_dict(),
            "last_ok_at": self.last_ok_at,
            "last_poll_at": self.last_poll_at,
            "period_ms": self.period_ms,
            "fired": sorted(self.fired),
            "expiring_warned_ms": self.expiring_warned_ms,
            "runway_warned_ms": self.runway_warned_ms,
            "key_rejected_since": self.key_rejected_since,
            "outage_since": self.outage_since,
            "outage_notified": self.outage_notified,
            "pause_until": self.pause_until,
            "suppressed": [alert.to_json() for alert in self.suppressed],
            "suppressed_more": self.suppressed_more,
            "periods": list(self.periods),
            "flap": None if self.flap is None else list(self.flap),
            "top_up_high": None if self.top_up_high is None else list(self.top_up_high),
            "top_up_base": None if self.top_up_base is None else list(self.top_up_base),
            "unusual_spend_at": self.unusual_spend_at,
            "period_changed_at": self.period_changed_at,
        }

    @classmethod
    def from_json(cls, data: Any) -> AlertState:
        """Read a saved state. Never raises: a missing or corrupt field takes its safe default
        (the default is what a first run would have), the rest is kept."""
        if not isinstance(data, dict):
            return cls()
        suppressed = data.get("suppressed")
        alerts = (
            [Alert.from_json(item) for item in suppressed] if isinstance(suppressed, list) else []
        )
        return cls(
            last=_balance_or_none(data.get("last")),
            last_ok_at=opt_float(data.get("last_ok_at")),
            last_poll_at=opt_float(data.get("last_poll_at")),
            period_ms=opt_int(data.get("period_ms")),
            fired=frozenset(_str_tuple(data.get("fired"))),
            expiring_warned_ms=opt_int(data.get("expiring_warned_ms")),
            runway_warned_ms=opt_int(data.get("runway_warned_ms")),
            key_rejected_since=opt_float(data.get("key_rejected_since")),
            outage_since=opt_float(data.get("outage_since")),
            outage_notified=data.get("outage_notified") is True,
            pause_until=opt_float(data.get("pause_until")),
            suppressed=tuple(alert for alert in alerts if alert is not None),
            suppressed_more=max(0, opt_int(data.get("suppressed_more")) or 0),
            periods=_int_tuple(data.get("periods"))[-PERIOD_MEMORY:],
            flap=_pair(data.get("flap"), opt_int),
            top_up_high=_pair(data.get("top_up_high"), opt_float),
            top_up_base=_pair(data.get("top_up_base"), opt_float),
            unusual_spend_at=opt_float(data.get("unusual_spend_at")),
            period_changed_at=opt_float(data.get("period_changed_at")),
        )


def rearm_margin(total_amount: float) -> float:
    """How far above a fired line the balance must rise before the line re-arms."""
    return max(REARM_FRACTION * total_amount, REARM_MIN_CREDITS)


def threshold_lines(thresholds: tuple[Threshold, ...], total_amount: float) -> dict[str, float]:
    """Label -> line in credits, for the configured thresholds plus depleted (0)."""
    lines = {str(t): t.credits(total_amount) for t in thresholds}
    lines[DEPLETED_LABEL] = 0.0
    return lines


def is_below(label: str, line: float, total_balance: float) -> bool:
    """Whether `total_balance` is past the line `label` (depleted means at or below 0)."""
    return total_balance <= 0 if label == DEPLETED_LABEL else total_balance < line


def evaluate(
    prev: AlertState,
    outcome: PollOutcome,
    settings: AlertConfig,
    now: float,
    forecast: Forecast | None = None,
    *,
    last_hour_spend: float | None = None,
    tz: dt.tzinfo | None = None,
    lang: Language = ENGLISH,
) -> tuple[AlertState, list[Alert]]:
    """Apply one poll result. Returns the new state and the notification to show now (a list
    of at most one alert: the headline, with the poll's other alerts folded into it).

    `last_hour_spend` is the credits spent in the hour before `now`, from the history (None:
    unknown, and the unusual-spend rule stays quiet)."""
    state = prev
    pause_over = state.pause_until is not None and now >= state.pause_until
    if isinstance(outcome, Balance):
        state, events = _on_balance(
            state,
            outcome,
            settings=settings,
            now=now,
            forecast=forecast,
            last_hour_spend=last_hour_spend,
            tz=tz,
            lang=lang,
        )
    else:
        state, events = _on_failure(state, outcome, settings, now, lang)
    state = replace(state, last_poll_at=now)
    summary: list[Alert] = []
    if pause_over:
        # Summarised after this poll so that its "now N credits" is the fresh balance.
        state, summary = _end_pause(state, now, lang)
    if not settings.notifications:
        return state, []
    if state.paused(now):
        return _hold(state, events), []
    return state, compose(summary + events)


def compose(alerts: list[Alert]) -> list[Alert]:
    """At most one notification: the most important alert (by `IMPORTANCE`) as the headline,
    the others folded into its body in the same order; the urgency is the highest of all."""
    if len(alerts) <= 1:
        return list(alerts)
    ordered = sorted(alerts, key=lambda alert: IMPORTANCE.index(alert.kind))
    head, rest = ordered[0], tuple(ordered[1:])
    texts, stated = [head.body], head.tells
    for alert in rest:
        texts.append(alert.folded_text(stated))
        stated |= alert.tells
    body = " ".join(text for text in texts if text)
    severity = max((alert.severity for alert in ordered), key=lambda s: s.rank)
    return [replace(head, body=body, severity=severity, folded=rest)]


def _shorter(
    tells: frozenset[Fact], text: Callable[[frozenset[Fact]], str]
) -> tuple[tuple[frozenset[Fact], str], ...]:
    """`Alert.shorter`: `text(left_out)` for every combination of the facts it tells."""
    return tuple((facts, text(facts)) for facts in _FACT_SETS if facts <= tells)


def pause(state: AlertState, until: float) -> AlertState:
    """Hold notifications back until `until` (the latest choice wins); state keeps advancing."""
    return replace(state, pause_until=until)


def resume(
    state: AlertState, now: float, lang: Language = ENGLISH
) -> tuple[AlertState, list[Alert]]:
    """End a pause now: the state without the pause and at most one summary alert."""
    if state.pause_until is None:
        return state, []
    return _end_pause(state, now, lang)


# --- one poll ------------------------------------------------------------------------------


def _on_balance(
    state: AlertState,
    b: Balance,
    *,
    settings: AlertConfig,
    now: float,
    forecast: Forecast | None,
    last_hour_spend: float | None,
    tz: dt.tzinfo | None,
    lang: Language,
) -> tuple[AlertState, list[Alert]]:
    prev = state.last
    is_reset, period = _detect_reset(state, prev, b)
    events: list[Alert] = []
    if state.outage_notified:
        events.append(_online_alert(state.outage_since, now, lang))
    fired = state.fired
    top_up_base = state.top_up_base
    top_up_high = (b.gift_balance, b.total_amount)
    if is_reset:
        fired = frozenset()
        top_up_base = None
        events.append(_reset_alert(b, period, now, tz, lang))
    elif prev is not None:
        high = state.top_up_high or (prev.gift_balance, prev.total_amount)
        top_up, top_up_base = _top_up(prev, b, high, top_up_base, now, lang=lang)
        events.extend(top_up)
        top_up_high = (max(high[0], b.gift_balance), max(high[1], b.total_amount))
    fired, crossing = _thresholds(
        fired, b, thresholds=settings.thresholds, period=period, now=now, tz=tz, lang=lang
    )
    events.extend(crossing)
    changed_at = state.period_changed_at
    if is_reset or (state.period_ms is not None and period != state.period_ms):
        changed_at = now
    unusual_at = state.unusual_spend_at
    # Within the hour after a period change the samples mix two periods (or two replicas'
    # views): their drops are not spending, so the hour is not measured.
    settled = changed_at is None or now - changed_at >= UNUSUAL_SPEND_QUIET_S
    unusual = (
        _unusual_spend(b, last_hour_spend, forecast, unusual_at, now, lang=lang)
        if settled
        else None
    )
    if unusual is not None:
        events.append(unusual)
        unusual_at = now
    if not is_reset and prev is not None:
        events.extend(
            _large_spend(
                prev,
                b,
                limit=settings.large_spend,
                since=state.last_ok_at,
                now=now,
                tz=tz,
                lang=lang,
            )
        )
    expiring_warned = state.expiring_warned_ms
    expiring = _expiring(
        b,
        hours=settings.expiring_hours,
        period=period,
        warned=expiring_warned,
        now=now,
        tz=tz,
        lang=lang,
    )
    if expiring is not None:
        events.append(expiring)
        expiring_warned = period
    runway_warned = state.runway_warned_ms
    runway = _runway(b, forecast, period, runway_warned, tz, lang=lang)
    if runway is not None:
        events.append(runway)
        runway_warned = period
    new_state = replace(
        state,
        last=b,
        last_ok_at=now,
        period_ms=period,
        periods=_remember(state.periods, period),
        flap=_flap(state, period),
        fired=fired,
        expiring_warned_ms=expiring_warned,
        runway_warned_ms=runway_warned,
        key_rejected_since=None,  # a balance means the key works: back to normal, quietly
        outage_since=None,
        outage_notified=False,
        top_up_base=top_up_base,
        top_up_high=top_up_high,
        unusual_spend_at=unusual_at,
        period_changed_at=changed_at,
    )
    return new_state, events


def _remember(periods: tuple[int, ...], period: int | None) -> tuple[int, ...]:
    if period is None or period in periods:
        return periods
    return (*periods, period)[-PERIOD_MEMORY:]


def _flap(state: AlertState, period: int | None) -> tuple[int, int] | None:
    """The pair of periods resetAt went back and forth between, once it came back to one
    already seen (kept until another pair shows up, so the monitor logs each pair once)."""
    old = state.period_ms
    if period is None or old is None or period == old or period not in state.periods:
        return state.flap
    return (min(old, period), max(old, period))


def _on_failure(
    state: AlertState, failure: Problem, settings: AlertConfig, now: float, lang: Language
) -> tuple[AlertState, list[Alert]]:
    if failure is Problem.NO_KEY:
        return state, []  # nothing was asked: the tray shows the no-key state
    if failure is Problem.KEY_REJECTED:
        # The server answered, so any network outage is over.
        state = replace(state, outage_since=None, outage_notified=False)
        if state.key_rejected_since is not None:
            return state, []
        return replace(state, key_rejected_since=now), [_key_rejected_alert(now, lang)]
    window = max(0.0, settings.offline_minutes) * 60
    since, notified = state.outage_since, state.outage_notified
    slept = state.last_poll_at is not None and now - state.last_poll_at > max(window, OUTAGE_GAP_S)
    if since is None or slept:
        since, notified = now, False
    events: list[Alert] = []
    if not notified and now - since >= window:
        events.append(_offline_alert(failure, since, now, lang))
        notified = True
    return replace(state, outage_since=since, outage_notified=notified), events


def _detect_reset(state: AlertState, prev: Balance | None, b: Balance) -> tuple[bool, int | None]:
    """(a new period started?, the period identity to remember)."""
    period, new = state.period_ms, b.reset_at_ms
    if new is not None and period is not None:
        if new - period >= RESET_MIN_ADVANCE_MS:
            # Forward into a period already seen: a replica behind on the news, not a renewal.
            return new not in state.periods, new
        if period - new >= RESET_MIN_ADVANCE_MS:
            return False, new  # moved back: a plan change, not a renewal
        return False, period  # jitter: same period
    refilled = (
        prev is not None
        and b.subscription_amount > 0
        and b.subscription_balance >= b.subscription_amount
        and b.subscription_balance > prev.subscription_balance
    )
    if refilled:
        # Remember the new date, even None: a date that appears later for this same refill is
        # then adopted silently instead of being reported as a second reset.
        return True, new
    return False, new if new is not None else period


def _thresholds(
    fired: frozenset[str],
    b: Balance,
    *,
    thresholds: tuple[Threshold, ...],
    period: int | None,
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
) -> tuple[frozenset[str], list[Alert]]:
    lines = threshold_lines(thresholds, b.total_amount)
    margin = rearm_margin(b.total_amount)
    balance = b.total_balance
    # Forget labels no longer configured, and re-arm lines the balance is clearly above.
    still = frozenset(
        label for label in fired if label in lines and balance < lines[label] + margin
    )
    below = {label for label, line in lines.items() if is_below(label, line, balance)}
    newly = below - still
    if not newly:
        return still, []
    worst = min(newly, key=lambda label: (label != DEPLETED_LABEL, lines[label], label))
    lowest = min(t.credits(b.total_amount) for t in thresholds) if thresholds else None
    if worst == DEPLETED_LABEL:
        kind = AlertKind.DEPLETED
    elif lines[worst] == lowest:
        kind = AlertKind.CRITICAL
    else:
        kind = AlertKind.LOW
    threshold = next((t for t in thresholds if str(t) == worst), None)
    alert = _threshold_alert(
        kind, worst, threshold=threshold, b=b, period=period, now=now, tz=tz, lang=lang
    )
    return still | newly, [alert]


def _top_up(
    prev: Balance,
    b: Balance,
    high: tuple[float, float],
    base: tuple[float, float] | None,
    now: float,
    *,
    lang: Language,
) -> tuple[list[Alert], tuple[float, float] | None]:
    """(the top-up alert if any, the baseline of a small rise still to be confirmed)."""
    rise = max(b.gift_balance - prev.gift_balance, b.total_amount - prev.total_amount)
    if rise >= TOP_UP_MIN_CREDITS:
        return [_top_up_alert(rise, b, now, lang)], None
    if base is not None:
        # A small rise was seen at the last balance: notify it only if it is still there.
        amount = max(b.gift_balance - base[0], b.total_amount - base[1])
        return ([_top_up_alert(amount, b, now, lang)] if amount > 0 else []), None
    above = max(b.gift_balance - high[0], b.total_amount - high[1])
    if rise > 0 and above > 0:
        # Small, and higher than anything seen this period: wait for the next balance.
        return [], high
    return [], None


def _top_up_alert(amount: float, b: Balance, now: float, lang: Language) -> Alert:
    _ = lang.gettext
    added = fmt.credits(amount, lang)
    tells = frozenset({Fact.BALANCE})
    return Alert(
        AlertKind.TOP_UP,
        _("Lensmor credits added"),
        _("{added} credits added; {balance} available now.").format(
            added=added, balance=fmt.credits(b.total_balance, lang)
        ),
        f"top-up:t={int(now)}",
        Severity.INFO,
        tells=tells,
        shorter=_shorter(tells, lambda _facts: _("{added} credits added.").format(added=added)),
    )


def usual_hourly_pace(forecast: Forecast | None) -> float | None:
    """The user's usual credits per hour (the forecast's daily rate / 24), None if unknown."""
    if forecast is None or not forecast.enough_history or forecast.burn_per_day <= 0:
        return None
    return forecast.burn_per_day / 24


def _unusual_spend(
    b: Balance,
    last_hour: float | None,
    forecast: Forecast | None,
    last_at: float | None,
    now: float,
    *,
    lang: Language,
) -> Alert | None:
    if last_hour is None or last_hour < UNUSUAL_SPEND_FLOOR:
        return None
    if last_at is not None and now - last_at < UNUSUAL_SPEND_QUIET_S:
        return None
    usual = usual_hourly_pace(forecast)
    if usual is not None and last_hour < UNUSUAL_SPEND_FACTOR * usual:
        return None
    _ = lang.gettext
    spent, left = fmt.credits(last_hour, lang), fmt.credits(max(0, b.total_balance), lang)
    factor = f"{last_hour / usual:.0f}" if usual else ""
    if usual:
        body = _(
            "{spent} credits in the last hour, about {factor}\u00d7 your usual pace. {left} left."
        ).format(spent=spent, factor=factor, left=left)
        without_balance = _(
            "{spent} credits in the last hour, about {factor}\u00d7 your usual pace."
        ).format(spent=spent, factor=factor)
    else:
        body = _("{spent} credits in the last hour. {left} left.").format(spent=spent, left=left)
        without_balance = _("{spent} credits in the last hour.").format(spent=spent)

    def text(left_out: frozenset[Fact]) -> str:
        if Fact.SPEND in left_out:
            return "" if Fact.BALANCE in left_out else _("{left} left.").format(left=left)
        details = without_balance if Fact.BALANCE in left_out else body
        return _("Unusual spend: {details}").format(details=details)

    tells = frozenset({Fact.BALANCE, Fact.SPEND})
    return Alert(
        AlertKind.UNUSUAL_SPEND,
        _("Unusual Lensmor spend"),
        body,
        f"unusual-spend:t={int(now)}",
        Severity.WARNING,
        brief=text(frozenset()),
        tells=tells,
        shorter=_shorter(tells, text),
    )


def _large_spend(
    prev: Balance,
    b: Balance,
    *,
    limit: float,
    since: float | None,
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
) -> list[Alert]:
    _ = lang.gettext
    drop = prev.total_balance - b.total_balance
    if limit <= 0 or drop < limit:
        return []
    used, left = fmt.credits(drop, lang), fmt.credits(b.total_balance, lang)
    if since is None:
        body = _("{used} credits used; {left} left.").format(used=used, left=left)
        brief = _("{used} used.").format(used=used)
    else:
        # Same day: the time is enough; after a long gap (a restart) the date says more.
        when = (
            fmt.clock(since, tz, lang) if now - since < 86_400 else fmt.short_date(since, tz, lang)
        )
        body = _("{used} credits used since {when}; {left} left.").format(
            used=used, when=when, left=left
        )
        brief = _("{used} used since {when}.").format(used=used, when=when)

    def text(left_out: frozenset[Fact]) -> str:
        # Folded, the spend is told briefly and the balance only if nothing before told it.
        if Fact.SPEND in left_out:
            return "" if Fact.BALANCE in left_out else _("{left} left.").format(left=left)
        return brief if Fact.BALANCE in left_out else body

    tells = frozenset({Fact.BALANCE, Fact.SPEND})
    return [
        Alert(
            AlertKind.LARGE_SPEND,
            _("Large Lensmor spend"),
            body,
            f"large-spend:t={int(now)}",
            Severity.INFO,
            tells=tells,
            shorter=_shorter(tells, text),
        )
    ]


def _expiring(
    b: Balance,
    *,
    hours: float,
    period: int | None,
    warned: int | None,
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
) -> Alert | None:
    _ = lang.gettext
    reset_at = b.reset_at_s
    if hours <= 0 or reset_at is None or period is None or warned == period:
        return None
    left = reset_at - now
    if b.subscription_balance <= 0 or not 0 < left <= hours * HOUR_S:
        return None
    credits = fmt.credits(b.subscription_balance, lang)
    duration, date = fmt.duration(left, lang), fmt.short_date(reset_at, tz, lang)

    def text(left_out: frozenset[Fact]) -> str:
        # The subscription credits count as the balance (often the same number).
        if Fact.BALANCE in left_out:
            if Fact.RENEWAL in left_out:
                return _("Subscription credits expire in {duration}.").format(duration=duration)
            return _("Subscription credits expire in {duration} (on {date}).").format(
                duration=duration, date=date
            )
        if Fact.RENEWAL in left_out:
            return _("{credits} subscription credits expire in {duration}.").format(
                credits=credits, duration=duration
            )
        return _("{credits} subscription credits expire in {duration} (on {date}).").format(
            credits=credits, duration=duration, date=date
        )

    tells = frozenset({Fact.BALANCE, Fact.RENEWAL})
    return Alert(
        AlertKind.EXPIRING,
        _("Lensmor credits expire soon"),
        text(frozenset()),
        f"expiring:period={period}",
        Severity.WARNING,
        tells=tells,
        shorter=_shorter(tells, text),
    )


def _runway(
    b: Balance,
    forecast: Forecast | None,
    period: int | None,
    warned: int | None,
    tz: dt.tzinfo | None,
    *,
    lang: Language,
) -> Alert | None:
    _ = lang.gettext
    if forecast is None or not forecast.runs_out_before_reset or forecast.seconds_to_empty is None:
        return None
    reset_at = b.reset_at_s
    if reset_at is None or period is None or warned == period or b.total_balance <= 0:
        return None
    duration = fmt.duration(forecast.seconds_to_empty, lang)
    tells = frozenset({Fact.RENEWAL})
    return Alert(
        AlertKind.RUNWAY,
        _("Lensmor credits may run out"),
        _(
            "At the current pace credits run out in about {duration}, before the reset on {date}."
        ).format(duration=duration, date=fmt.short_date(reset_at, tz, lang)),
        f"runway:period={period}",
        Severity.WARNING,
        tells=tells,
        shorter=_shorter(
            tells,
            lambda _facts: _(
                "At the current pace credits run out in about {duration}, before the reset."
            ).format(duration=duration),
        ),
    )


# --- texts ---------------------------------------------------------------------------------


def _reset_alert(
    b: Balance, period: int | None, now: float, tz: dt.tzinfo | None, lang: Language
) -> Alert:
    _ = lang.gettext
    credits = fmt.credits(b.subscription_balance, lang)
    reset_at = b.reset_at_s
    date = None if reset_at is None else fmt.short_date(reset_at, tz, lang)

    def text(left_out: frozenset[Fact]) -> str:
        with_date = date is not None and Fact.RENEWAL not in left_out
        if Fact.BALANCE in left_out:
            if with_date:
                return _("Subscription credits renewed; next reset on {date}.").format(date=date)
            return _("Subscription credits renewed.")
        if with_date:
            return _(
                "Subscription credits renewed: {credits} available; next reset on {date}."
            ).format(credits=credits, date=date)
        return _("Subscription credits renewed: {credits} available.").format(credits=credits)

    tells = frozenset({Fact.BALANCE} if date is None else {Fact.BALANCE, Fact.RENEWAL})
    key = f"reset:period={period}" if period is not None else f"reset:t={int(now)}"
    return Alert(
        AlertKind.RESET,
        _("Lensmor credits renewed"),
        text(frozenset()),
        key,
        Severity.INFO,
        tells=tells,
        shorter=_shorter(tells, text),
    )


_THRESHOLD_TITLES = {
    AlertKind.LOW: (N_("Lensmor credits low"), Severity.WARNING),
    AlertKind.CRITICAL: (N_("Lensmor credits critically low"), Severity.CRITICAL),
    AlertKind.DEPLETED: (N_("Lensmor credits used up"), Severity.CRITICAL),
}


#: The threshold alert's first sentence: (balance told here or "without" it, a share of the
#: total known or "plain", the kind of warning line) -> the message ("" = nothing to add).
_THRESHOLD_SENTENCES = {
    ("with", "plain", "none"): N_("{credits} credits left."),
    ("with", "plain", "percent"): N_("{credits} credits left, below your {threshold} warning."),
    ("with", "plain", "credits"): N_("{credits} credits left, below your {line}-credit warning."),
    ("with", "share", "none"): N_("{credits} credits left ({percent} of {total})."),
    ("with", "share", "percent"): N_(
        "{credits} credits left ({percent} of {total}), below your {threshold} warning."
    ),
    ("with", "share", "credits"): N_(
        "{credits} credits left ({percent} of {total}), below your {line}-credit warning."
    ),
    ("without", "plain", "none"): "",
    ("without", "plain", "percent"): N_("Below your {threshold} warning."),
    ("without", "plain", "credits"): N_("Below your {line}-credit warning."),
    ("without", "share", "none"): N_("{percent} of {total} left."),
    ("without", "share", "percent"): N_(
        "{percent} of {total} left, below your {threshold} warning."
    ),
    ("without", "share", "credits"): N_(
        "{percent} of {total} left, below your {line}-credit warning."
    ),
}


def _threshold_alert(
    kind: AlertKind,
    label: str,
    *,
    threshold: Threshold | None,
    b: Balance,
    period: int | None,
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
) -> Alert:
    _ = lang.gettext
    title, severity = _THRESHOLD_TITLES[kind]
    fraction = b.fraction_remaining
    values = {
        "credits": fmt.credits(max(0, b.total_balance), lang),
        "percent": "" if fraction is None else fmt.percent(fraction, lang),
        "total": fmt.credits(b.total_amount, lang),
        "line": "" if threshold is None else fmt.credits(threshold.value, lang),
        # "20%" as configured in English; the locale's form elsewhere ("20 %").
        "threshold": ""
        if threshold is None
        else str(threshold)
        if lang.locale is None
        else fmt.percent(threshold.value / 100, lang),
    }
    line = "none" if threshold is None else "percent" if threshold.is_percent else "credits"
    renews = kind is not AlertKind.LOW and b.reset_at_s is not None

    def text(left_out: frozenset[Fact]) -> str:
        # Whole sentences per case (no pieces glued together), chosen by: the balance told
        # here or not, a share of the total known or not, which kind of warning line.
        told = "without" if Fact.BALANCE in left_out else "with"
        shared = "share" if fraction is not None else "plain"
        template = _THRESHOLD_SENTENCES[(told, shared, line)]
        head = _(template).format(**values) if template else ""
        if renews and Fact.RENEWAL not in left_out and b.reset_at_s is not None:
            renewal = _("Subscription credits renew on {date}.").format(
                date=fmt.short_date(b.reset_at_s, tz, lang)
            )
            return f"{head} {renewal}" if head else renewal
        return head

    tells = frozenset({Fact.BALANCE, Fact.RENEWAL} if renews else {Fact.BALANCE})
    key = f"threshold:{label}:period={period}:t={int(now)}"
    return Alert(
        kind,
        _(title),
        text(frozenset()),
        key,
        severity,
        tells=tells,
        shorter=_shorter(tells, text),
    )


def _key_rejected_alert(now: float, lang: Language) -> Alert:
    _ = lang.gettext
    return Alert(
        AlertKind.KEY_REJECTED,
        _("Lensmor API key rejected"),
        _("{cause}. {steps} and set it in lensmor-tray.").format(
            cause=errors.capitalised(_(errors.CAUSE[Problem.KEY_REJECTED])),
            steps=errors.capitalised(_(errors.NEW_KEY_STEPS)),
        ),
        f"key-rejected:since={int(now)}",
        Severity.CRITICAL,
    )


def _online_alert(since: float | None, now: float, lang: Language) -> Alert:
    _ = lang.gettext
    if since is None:
        body, brief = _("The Lensmor API answers again."), _("Updating again.")
    else:
        gone = fmt.duration(now - since, lang)
        body = _("The Lensmor API answers again after {duration}.").format(duration=gone)
        brief = _("Updating again after {duration}.").format(duration=gone)
    return Alert(
        AlertKind.ONLINE,
        _("Lensmor balance updating again"),
        body,
        f"online:t={int(now)}",
        Severity.INFO,
        brief=brief,
    )


def _offline_alert(failure: Problem, since: float, now: float, lang: Language) -> Alert:
    _ = lang.gettext
    return Alert(
        AlertKind.OFFLINE,
        _("Lensmor balance not updating"),
        _("No balance for {duration}: {reason}. The balance shown may be out of date.").format(
            duration=fmt.duration(now - since, lang), reason=_(errors.CAUSE[failure])
        ),
        f"offline:since={int(since)}",
        Severity.WARNING,
    )


# --- pause ---------------------------------------------------------------------------------


def _hold(state: AlertState, events: list[Alert]) -> AlertState:
    room = MAX_SUPPRESSED - len(state.suppressed)
    kept = tuple(events[: max(0, room)])
    dropped = len(events) - len(kept)
    return replace(
        state,
        suppressed=state.suppressed + kept,
        suppressed_more=state.suppressed_more + dropped,
    )


def _end_pause(
    state: AlertState, now: float, lang: Language = ENGLISH
) -> tuple[AlertState, list[Alert]]:
    held, more = state.suppressed, state.suppressed_more
    state = replace(state, pause_until=None, suppressed=(), suppressed_more=0)
    if not held and not more:
        return state, []
    return state, [_summary(held, more, state.last, now, lang)]


def _summary(
    held: tuple[Alert, ...], more: int, last: Balance | None, now: float, lang: Language
) -> Alert:
    _ = lang.gettext
    counts: dict[str, int] = {}
    for alert in held:
        counts[alert.title] = counts.get(alert.title, 0) + 1
    items = list(counts.items())
    parts = [f"{title} (x{n})" if n > 1 else title for title, n in items[:_SUMMARY_LINES]]
    hidden = sum(n for _title, n in items[_SUMMARY_LINES:]) + more
    body = "; ".join(parts)
    if hidden and body:
        body += "; " + _("and {count} more").format(count=hidden)
    elif hidden:
        body = lang.ngettext("{count} notification", "{count} notifications", hidden).format(
            count=hidden
        )
    body += "."
    listed = body
    tells: frozenset[Fact] = frozenset()
    if last is not None:
        body += " " + _("Now {credits} credits available.").format(
            credits=fmt.credits(last.total_balance, lang)
        )
        tells = frozenset({Fact.BALANCE})
    total = len(held) + more
    severity = max((a.severity for a in held), key=lambda s: s.rank, default=Severity.INFO)
    return Alert(
        AlertKind.PAUSE_SUMMARY,
        lang.ngettext(
            "Lensmor: {count} notification while paused",
            "Lensmor: {count} notifications while paused",
            total,
        ).format(count=total),
        body,
        f"pause-summary:t={int(now)}",
        severity,
        tuple(alert.key for alert in held),
        brief=_("While paused: {summary}").format(summary=body),
        tells=tells,
        shorter=_shorter(tells, lambda _facts: _("While paused: {summary}").format(summary=listed)),
    )


# --- tolerant JSON readers -----------------------------------------------------------------


def _balance_or_none(data: Any) -> Balance | None:
    if data is None:
        return None
    try:
        return parse_balance(data)
    except BalanceFormatError:
        return None


def _int_tuple(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(n for n in (opt_int(item) for item in value) if n is not None)


def _pair(value: Any, read: Callable[[Any], N | None]) -> tuple[N, N] | None:
    if not isinstance(value, list) or len(value) != 2:
        return None
    first, second = read(value[0]), read(value[1])
    return None if first is None or second is None else (first, second)


def _str_tuple(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))
