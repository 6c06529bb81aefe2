"""Shared by the alert rule tests: the times and plan they use, an account builder, and a
Driver that feeds poll results to `evaluate` in order."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from tray_app.config.model import AlertSettings
from tray_app.core.alerts import Alert, AlertKind, AlertState, PollOutcome, evaluate
from tray_app.core.balance import Balance
from tray_app.core.forecast import Forecast

UTC = dt.timezone.utc
HOUR = 3600.0
RESET_MS = 1_796_083_200_000  # 2026-12-01 00:00 UTC
PERIOD_MS = 30 * 86_400_000
NOW = 1_795_176_000.0  # 2026-11-20 12:00 UTC, more than 48 h before RESET_MS
SUB = 35_000

K = AlertKind


def acct(
    sub: float = 30_000,
    gift: float = 0,
    *,
    sub_amount: float = SUB,
    gift_amount: float | None = None,
    reset_ms: int | None = RESET_MS,
) -> Balance:
    """An account: subscription and gift credits left; totals follow as the API computes them."""
    granted_gift = gift if gift_amount is None else gift_amount
    return Balance(
        sub_amount + granted_gift, sub + gift, sub_amount, sub, granted_gift, gift, reset_ms
    )


@dataclass
class Driver:
    """Feeds poll results to `evaluate` in order, five minutes apart unless told otherwise."""

    settings: AlertSettings = field(default_factory=AlertSettings)
    state: AlertState = field(default_factory=AlertState)
    now: float = NOW

    def poll(
        self,
        outcome: PollOutcome,
        *,
        after: float = 300,
        forecast: Forecast | None = None,
        last_hour_spend: float | None = None,
    ) -> list[Alert]:
        """The events of this poll (the headline, then what is folded into it)."""
        self.now += after
        self.state, shown = evaluate(
            self.state,
            outcome,
            self.settings,
            self.now,
            forecast,
            last_hour_spend=last_hour_spend,
            tz=UTC,
        )
        assert len(shown) <= 1, "one notification per poll at most"
        self.shown = shown
        return [part for alert in shown for part in alert.parts()]

    def kinds(self, outcomes: Sequence[PollOutcome]) -> list[list[AlertKind]]:
        return [[a.kind for a in self.poll(o)] for o in outcomes]

    def restart(self) -> None:
        self.state = AlertState.from_json(json.loads(json.dumps(self.state.to_json())))
