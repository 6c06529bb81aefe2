"""What a hook is told: the event names a `[[hooks]]` table's `on` accepts, which alert kind
each stands for, and the JSON object the hook's command reads on stdin (pure; the processes
are started by notify/hooks.py).

Hooks hear the events of the alert rules (core/alerts), each one on its own: the same events
the notifications are made of, decided once by the same saved state, so a restart repeats
none and a flapping balance fires once. A poll that crosses 20 % and spends unusually fast
gives one notification (the second folded into the first) but two hook events.

The alert kinds without an event name (large spend, runs out before the reset, the pause
summary) run no hook; the pause summary only repeats events the hooks already heard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tray_app.core.alerts import Alert, AlertKind, AlertState, threshold_lines
from tray_app.core.balance import Balance
from tray_app.core.hook_names import ANY_EVENT, EVENT_NAMES
from tray_app.core.levels import Level, Threshold, level_for

__all__ = ["ANY_EVENT", "EVENT_NAMES", "HookEvent", "event_of", "hook_events"]

#: The version of the JSON object on stdin; bumped only when a field changes meaning.
PAYLOAD_VERSION = 1

_EVENT_OF_KIND: dict[AlertKind, str] = {
    AlertKind.LOW: "low",
    AlertKind.CRITICAL: "critical",
    AlertKind.DEPLETED: "empty",
    AlertKind.RESET: "renewed",
    AlertKind.TOP_UP: "topped_up",
    AlertKind.UNUSUAL_SPEND: "unusual_spend",
    AlertKind.EXPIRING: "expiring",
    AlertKind.OFFLINE: "unreachable",
    AlertKind.KEY_REJECTED: "rejected_key",
    AlertKind.ONLINE: "recovered",
}
_THRESHOLD_KINDS = frozenset({AlertKind.LOW, AlertKind.CRITICAL, AlertKind.DEPLETED})


def event_of(kind: AlertKind) -> str | None:
    """The hook event an alert kind is (None: that kind runs no hook)."""
    return _EVENT_OF_KIND.get(kind)


@dataclass(frozen=True)
class HookEvent:
    """One event as a hook hears it (`payload()` is the JSON object on its stdin)."""

    event: str
    account: str
    key: str  # the alert's stable identity (core/alerts), for a receiver to deduplicate
    title: str  # the notification's title and text, in the user's language
    text: str
    at: float  # Unix seconds
    balance: Balance | None  # this poll's balance, or the last one known (None: none yet)
    level: Level | None  # the level of `balance` (None without one)
    thresholds: tuple[str, ...] = ()  # the lines crossed by this event ("20%", "depleted")
    test: bool = False  # made up by `lensmor-tray hooks test`

    def payload(self) -> dict[str, Any]:
        when = dt.datetime.fromtimestamp(self.at, dt.timezone.utc)
        return {
            "version": PAYLOAD_VERSION,
            "event": self.event,
            "account": self.account,
            "key": self.key,
            "title": self.title,
            "text": self.text,
            "time": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "timeMs": round(self.at * 1000),
            "level": None if self.level is None else self.level.value,
            "balance": None if self.balance is None else self.balance.to_api_dict(),
            "thresholds": list(self.thresholds),
            "test": self.test,
        }


def hook_events(
    alerts: list[Alert],
    before: AlertState,
    after: AlertState,
    *,
    account: str,
    balance: Balance | None,
    thresholds: tuple[Threshold, ...],
    now: float,
) -> list[HookEvent]:
    """The hook events of one poll's alerts (`evaluate_events`' third value, not folded).

    A threshold event names every line it crossed: the rules notify the most severe line and
    mark the others fired silently, so the lines are the ones fired by this poll."""
    level = None if balance is None else level_for(balance, thresholds)
    crossed: tuple[str, ...] = ()
    if balance is not None:
        newly = after.fired - before.fired
        order = list(threshold_lines(thresholds, balance.total_amount))
        crossed = tuple(label for label in order if label in newly)
    events: list[HookEvent] = []
    for alert in alerts:
        name = event_of(alert.kind)
        if name is None:
            continue
        lines: tuple[str, ...] = ()
        if alert.kind in _THRESHOLD_KINDS:
            # The line it is named after (in its key) even when a renewal in the same poll
            # cleared the fired lines first, so that `after - before` misses it.
            named = alert.key.split(":")[1] if alert.key.startswith("threshold:") else ""
            lines = crossed if named in crossed or not named else (*crossed, named)
        events.append(
            HookEvent(name, account, alert.key, alert.title, alert.body, now, balance, level, lines)
        )
    return events
