"""`AlertState`: everything the alert rules remember between polls, and its saved JSON form.

Separate from the rules because it is also the file format: `to_json` is written after every
poll and `from_json` reads it back after a restart, an upgrade or a hand edit, never failing
(a field that is not what was written takes the default a first run would have).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tray_app.core.alerts.model import PERIOD_MEMORY, STATE_VERSION, Alert
from tray_app.core.balance import Balance, BalanceFormatError, parse_balance
from tray_app.core.saved import int_tuple, opt_float, opt_int, opt_pair, str_tuple


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
            fired=frozenset(str_tuple(data.get("fired"))),
            expiring_warned_ms=opt_int(data.get("expiring_warned_ms")),
            runway_warned_ms=opt_int(data.get("runway_warned_ms")),
            key_rejected_since=opt_float(data.get("key_rejected_since")),
            outage_since=opt_float(data.get("outage_since")),
            outage_notified=data.get("outage_notified") is True,
            pause_until=opt_float(data.get("pause_until")),
            suppressed=tuple(alert for alert in alerts if alert is not None),
            suppressed_more=max(0, opt_int(data.get("suppressed_more")) or 0),
            periods=int_tuple(data.get("periods"))[-PERIOD_MEMORY:],
            flap=opt_pair(data.get("flap"), opt_int),
            top_up_high=opt_pair(data.get("top_up_high"), opt_float),
            top_up_base=opt_pair(data.get("top_up_base"), opt_float),
            unusual_spend_at=opt_float(data.get("unusual_spend_at")),
            period_changed_at=opt_float(data.get("period_changed_at")),
        )


def _balance_or_none(data: Any) -> Balance | None:
    if data is None:
        return None
    try:
        return parse_balance(data)
    except BalanceFormatError:
        return None
