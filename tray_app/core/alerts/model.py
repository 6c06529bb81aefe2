"""What an alert is: its kinds, severities and facts, the `Alert` itself, and the constants the
rules are tuned by.

The vocabulary every other module of the package (and the notices and the monitor) speaks;
separate so that the state, the checks, the wording and the rules can share it without
importing one another. The rules themselves are described in the package docstring.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeAlias

from tray_app.core.balance import Balance
from tray_app.core.levels import Threshold
from tray_app.core.saved import str_tuple
from tray_app.core.state import Problem

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
#: notification is the first kind present here (see the package docstring for why).
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
            str_tuple(data.get("covers")),
            tuple(alert for alert in folded if alert is not None),
            brief if isinstance(brief := data.get("brief"), str) else "",
        )


def shorter_texts(
    tells: frozenset[Fact], text: Callable[[frozenset[Fact]], str]
) -> tuple[tuple[frozenset[Fact], str], ...]:
    """`Alert.shorter`: `text(left_out)` for every combination of the facts it tells."""
    return tuple((facts, text(facts)) for facts in _FACT_SETS if facts <= tells)
