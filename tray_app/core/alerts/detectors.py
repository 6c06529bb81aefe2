"""The checks of one balance, one per rule: the threshold crossings, a top-up, unusual and
large spend, credits expiring soon, the runway. Each says whether its rule fires now (and what
it remembers for the next poll); the package docstring states the rules.

Separate from `rules` (which threads the state through one poll and folds the alerts into one
notification) so that each rule's condition reads on its own, and from `wording` so that the
conditions are not buried in the sentences.
"""

from __future__ import annotations

import datetime as dt

from tray_app.core.alerts.model import (
    DEPLETED_LABEL,
    HOUR_S,
    REARM_FRACTION,
    REARM_MIN_CREDITS,
    TOP_UP_MIN_CREDITS,
    UNUSUAL_SPEND_FACTOR,
    UNUSUAL_SPEND_FLOOR,
    UNUSUAL_SPEND_QUIET_S,
    Alert,
    AlertKind,
)
from tray_app.core.alerts.wording import (
    expiring_alert,
    large_spend_alert,
    runway_alert,
    threshold_alert,
    top_up_alert,
    unusual_spend_alert,
)
from tray_app.core.balance import Balance
from tray_app.core.forecast import Forecast
from tray_app.core.language import Language
from tray_app.core.levels import Threshold


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


def check_thresholds(
    fired: frozenset[str],
    b: Balance,
    *,
    thresholds: tuple[Threshold, ...],
    period: int | None,
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
) -> tuple[frozenset[str], list[Alert]]:
    """(the lines fired and not re-armed, the alert for the lines newly crossed if any)."""
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
    alert = threshold_alert(
        kind, worst, threshold=threshold, b=b, period=period, now=now, tz=tz, lang=lang
    )
    return still | newly, [alert]


def check_top_up(
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
        return [top_up_alert(rise, b, now, lang)], None
    if base is not None:
        # A small rise was seen at the last balance: notify it only if it is still there.
        amount = max(b.gift_balance - base[0], b.total_amount - base[1])
        return ([top_up_alert(amount, b, now, lang)] if amount > 0 else []), None
    above = max(b.gift_balance - high[0], b.total_amount - high[1])
    if rise > 0 and above > 0:
        # Small, and higher than anything seen this period: wait for the next balance.
        return [], high
    return [], None


def usual_hourly_pace(forecast: Forecast | None) -> float | None:
    """The user's usual credits per hour (the forecast's daily rate / 24), None if unknown."""
    if forecast is None or not forecast.enough_history or forecast.burn_per_day <= 0:
        return None
    return forecast.burn_per_day / 24


def check_unusual_spend(
    b: Balance,
    last_hour: float | None,
    forecast: Forecast | None,
    last_at: float | None,
    now: float,
    *,
    lang: Language,
) -> Alert | None:
    """The unusual-spend alert, if the hour's spend is unusual and the rule is not quiet."""
    if last_hour is None or last_hour < UNUSUAL_SPEND_FLOOR:
        return None
    if last_at is not None and now - last_at < UNUSUAL_SPEND_QUIET_S:
        return None
    usual = usual_hourly_pace(forecast)
    if usual is not None and last_hour < UNUSUAL_SPEND_FACTOR * usual:
        return None
    return unusual_spend_alert(b, last_hour, usual, now, lang)


def check_large_spend(
    prev: Balance,
    b: Balance,
    *,
    limit: float,
    since: float | None,
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
) -> list[Alert]:
    """The large-spend alert, if the balance fell by `limit` or more since `prev` (0: off)."""
    drop = prev.total_balance - b.total_balance
    if limit <= 0 or drop < limit:
        return []
    return [large_spend_alert(drop, b, since=since, now=now, tz=tz, lang=lang)]


def check_expiring(
    b: Balance,
    *,
    hours: float,
    period: int | None,
    warned: int | None,
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
) -> Alert | None:
    """The expiring alert, if subscription credits are left within `hours` of the reset and
    this period was not warned about yet (`hours` 0: off)."""
    reset_at = b.reset_at_s
    if hours <= 0 or reset_at is None or period is None or warned == period:
        return None
    left = reset_at - now
    if b.subscription_balance <= 0 or not 0 < left <= hours * HOUR_S:
        return None
    return expiring_alert(b, reset_at, left, period, tz=tz, lang=lang)


def check_runway(
    b: Balance,
    forecast: Forecast | None,
    period: int | None,
    warned: int | None,
    tz: dt.tzinfo | None,
    *,
    lang: Language,
) -> Alert | None:
    """The runway alert, if the forecast runs out before the reset, credits remain and this
    period was not warned about yet."""
    if forecast is None or not forecast.runs_out_before_reset or forecast.seconds_to_empty is None:
        return None
    reset_at = b.reset_at_s
    if reset_at is None or period is None or warned == period or b.total_balance <= 0:
        return None
    return runway_alert(forecast.seconds_to_empty, reset_at, period, tz, lang)
