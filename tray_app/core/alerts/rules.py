"""One poll through the alert rules: `evaluate` threads the state through the checks of a
balance (or the outage and key-rejected rules of a failed poll), holds the alerts during a
pause and folds them into one notification (`compose`); `pause` and `resume` start and end a
pause, whose end gives one summary.

This is the module that decides what the user is told and when; the checks of each rule are in
`detectors`, the sentences of each alert in `wording` (the pause summary, which counts the held
alerts, is made here), and the rules themselves are stated in the package docstring.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from tray_app.core import fmt
from tray_app.core.alerts.detectors import (
    check_expiring,
    check_large_spend,
    check_runway,
    check_thresholds,
    check_top_up,
    check_unusual_spend,
)
from tray_app.core.alerts.model import (
    IMPORTANCE,
    MAX_SUPPRESSED,
    OUTAGE_GAP_S,
    PERIOD_MEMORY,
    RESET_MIN_ADVANCE_MS,
    UNUSUAL_SPEND_QUIET_S,
    Alert,
    AlertConfig,
    AlertKind,
    Fact,
    PollOutcome,
    Severity,
    shorter_texts,
)
from tray_app.core.alerts.state import AlertState
from tray_app.core.alerts.wording import (
    key_rejected_alert,
    offline_alert,
    online_alert,
    reset_alert,
)
from tray_app.core.balance import Balance
from tray_app.core.forecast import Forecast
from tray_app.core.language import ENGLISH, Language
from tray_app.core.state import Problem

# How many kinds of held alert a pause summary names; the others are only counted.
_SUMMARY_LINES = 5


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
    state, notify, _events = evaluate_events(
        prev, outcome, settings, now, forecast, last_hour_spend=last_hour_spend, tz=tz, lang=lang
    )
    return state, notify


def evaluate_events(
    prev: AlertState,
    outcome: PollOutcome,
    settings: AlertConfig,
    now: float,
    forecast: Forecast | None = None,
    *,
    last_hour_spend: float | None = None,
    tz: dt.tzinfo | None = None,
    lang: Language = ENGLISH,
) -> tuple[AlertState, list[Alert], list[Alert]]:
    """`evaluate`, and also every event of this poll on its own (not folded, whatever the
    pause and `settings.notifications` say): what the hooks hear (core/hook_events.py). The
    pause and the notifications switch are about the desktop; the events are decided by the
    same state, so each is still told once."""
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
        return state, [], events
    if state.paused(now):
        return _hold(state, events), [], events
    return state, compose(summary + events), events


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
        events.append(online_alert(state.outage_since, now, lang))
    fired = state.fired
    top_up_base = state.top_up_base
    top_up_high = (b.gift_balance, b.total_amount)
    if is_reset:
        fired = frozenset()
        top_up_base = None
        events.append(reset_alert(b, period, now, tz, lang))
    elif prev is not None:
        high = state.top_up_high or (prev.gift_balance, prev.total_amount)
        top_up, top_up_base = check_top_up(prev, b, high, top_up_base, now, lang=lang)
        events.extend(top_up)
        top_up_high = (max(high[0], b.gift_balance), max(high[1], b.total_amount))
    fired, crossing = check_thresholds(
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
        check_unusual_spend(b, last_hour_spend, forecast, unusual_at, now, lang=lang)
        if settled
        else None
    )
    if unusual is not None:
        events.append(unusual)
        unusual_at = now
    if not is_reset and prev is not None:
        events.extend(
            check_large_spend(
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
    expiring = check_expiring(
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
    runway = check_runway(b, forecast, period, runway_warned, tz, lang=lang)
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
        return replace(state, key_rejected_since=now), [key_rejected_alert(now, lang)]
    window = max(0.0, settings.offline_minutes) * 60
    since, notified = state.outage_since, state.outage_notified
    slept = state.last_poll_at is not None and now - state.last_poll_at > max(window, OUTAGE_GAP_S)
    if since is None or slept:
        since, notified = now, False
    events: list[Alert] = []
    if not notified and now - since >= window:
        events.append(offline_alert(failure, since, now, lang))
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
        shorter=shorter_texts(
            tells, lambda _facts: _("While paused: {summary}").format(summary=listed)
        ),
    )
