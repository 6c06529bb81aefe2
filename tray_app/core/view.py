"""What the tray shows: badge, title (tooltip) and menu rows, as a pure function of state.

The tray adapter (`ui/tray.py`) only turns a `TrayView` into pystray objects; every wording and
every "which action is the default" decision is made here, where tests read it without a
display.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from tray_app.core import errors, fmt
from tray_app.core.badge import BadgeKind, BadgeSpec, badge_for_balance, state_badge
from tray_app.core.balance import Balance
from tray_app.core.forecast import Forecast
from tray_app.core.levels import Level, Threshold, level_for
from tray_app.core.state import MonitorState, Problem


class Action(str, enum.Enum):
    REFRESH = "refresh"
    OPEN_DASHBOARD = "open_dashboard"
    SETTINGS = "settings"
    USAGE = "usage"
    PAUSE_HOUR = "pause_hour"
    PAUSE_TOMORROW = "pause_tomorrow"
    RESUME = "resume"
    TOGGLE_AUTOSTART = "toggle_autostart"
    QUIT = "quit"
    OPEN_API_KEYS = "open_api_keys"  # a notification's button (core/notices.py)


@dataclass(frozen=True)
class PinAccount:
    """A menu action about one account: show `account` on the badge (None: the account
    closest to running out). Several accounts only (core/accounts_view.py)."""

    account: str | None

    @property
    def value(self) -> str:
        """A stable id, like Action.value (the SNI menu keys its items by it)."""
        return "pin:" if self.account is None else f"pin:{self.account}"


#: What a menu row can do: one of the fixed actions, or an action about one account.
MenuAction = Action | PinAccount


@dataclass(frozen=True)
class MenuRow:
    """One menu line. A row with no action is read-only text; `children` makes a submenu."""

    text: str
    action: MenuAction | None = None
    default: bool = False
    checked: bool | None = None
    enabled: bool = True
    children: tuple[MenuRow, ...] = ()
    separator: bool = False


SEPARATOR = MenuRow("", separator=True)
RECENT_ALERTS = 5  # notifications listed under "Recent alerts"


@dataclass(frozen=True)
class Extras:
    """Inputs that come from other parts of the app than the poll state."""

    forecast: Forecast | None = None
    #: Credits spent since local midnight and over the last 30 days (None: unknown).
    usage_today: float | None = None
    usage_30_days: float | None = None
    paused_until: float | None = None
    #: None when start-at-login is not available on this system (no row is shown).
    autostart_enabled: bool | None = None
    #: The poll interval in seconds: a balance older than two of them is shown as out of date
    #: (`MonitorState.is_outdated`). None: only failed polls mark it stale.
    poll_interval: float | None = None
    #: The last notifications as (time, title), newest first ("Recent alerts" submenu).
    recent_alerts: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class TrayView:
    badge: BadgeSpec
    title: str
    rows: tuple[MenuRow, ...]
    #: The account's own rows (balance, split, reset, usage, forecast, status, recent alerts):
    #: the start of `rows`, which the menu of several accounts shows once per account.
    section: tuple[MenuRow, ...] = ()
    #: How close to running out (core/accounts_view.py picks the badge's account by these);
    #: None when the balance is unknown.
    level: Level | None = None
    fraction: float | None = None

    @property
    def default_action(self) -> MenuAction | None:
        for row in self.rows:
            if row.default:
                return row.action
        return None


def present(
    state: MonitorState,
    thresholds: tuple[Threshold, ...],
    now: float,
    extras: Extras = Extras(),
    tz: dt.tzinfo | None = None,
) -> TrayView:
    """The whole tray view for `state` at `now` (local time unless `tz` is given)."""
    no_key = state.problem is Problem.NO_KEY
    outdated = state.is_outdated(now, extras.poll_interval)
    section = _info_rows(state, now, extras, tz, outdated)
    rows = (
        *section,
        SEPARATOR,
        MenuRow("Refresh now", Action.REFRESH, default=not no_key, enabled=not no_key),
        MenuRow("Open Lensmor dashboard", Action.OPEN_DASHBOARD),
        MenuRow("Usage…", Action.USAGE),
        MenuRow("Settings…", Action.SETTINGS, default=no_key),
        _pause_row(extras.paused_until, now, tz),
        *_autostart_rows(extras.autostart_enabled),
        SEPARATOR,
        MenuRow("Quit", Action.QUIT),
    )
    b = state.balance
    return TrayView(
        badge(state, thresholds, outdated),
        title(state, thresholds, now, tz, outdated),
        rows,
        section=section,
        level=None if b is None else level_for(b, thresholds),
        fraction=None if b is None else b.fraction_remaining,
    )


def badge(
    state: MonitorState, thresholds: tuple[Threshold, ...], outdated: bool = False
) -> BadgeSpec:
    if state.problem is Problem.NO_KEY:
        return state_badge(BadgeKind.NO_KEY)
    if state.problem is Problem.KEY_REJECTED:
        return state_badge(BadgeKind.KEY_REJECTED)
    b = state.balance
    if b is None:
        if state.problem is Problem.RATE_LIMITED:
            return state_badge(BadgeKind.RATE_LIMITED)
        if state.problem is not None:
            return state_badge(BadgeKind.STALE)
        return state_badge(BadgeKind.STARTING)
    return badge_for_balance(
        b.total_balance,
        b.fraction_remaining,
        level_for(b, thresholds),
        stale=state.is_stale or outdated,
        rate_limited=state.problem is Problem.RATE_LIMITED,
    )


def title(
    state: MonitorState,
    thresholds: tuple[Threshold, ...],
    now: float,
    tz: dt.tzinfo | None,
    outdated: bool = False,
) -> str:
    """The tooltip: the balance in words, then what is wrong if anything."""
    b = state.balance
    if state.problem is Problem.NO_KEY:
        return "Lensmor: no API key set — open Settings… to add one"
    if state.problem is Problem.KEY_REJECTED:
        return "Lensmor: API key rejected — set a new key in Settings…"
    if b is None:
        if state.problem is not None:
            return f"Lensmor: {_problem_text(state, now, tz)}"
        return "Lensmor: checking your credits…"
    text = f"Lensmor: {_amounts(b)}"
    if b.reset_at_s is not None and b.reset_at_s > now:
        text += f" · resets in {fmt.duration(b.reset_at_s - now)}"
    level = level_for(b, thresholds)
    if level is not Level.OK:
        text += f" · {level.value}"
    if state.problem is not None:
        text += f" · {_problem_text(state, now, tz)}"
    elif state.from_previous_run:
        text += " · not yet refreshed"
    elif outdated and state.fetched_at is not None:
        text += f" · {_age_text(state.fetched_at, now)}"
    return text


def _age_text(fetched_at: float, now: float) -> str:
    return f"out of date: last updated {fmt.duration(now - fetched_at)} ago"


def _amounts(b: Balance) -> str:
    fraction = b.fraction_remaining
    share = f" ({fmt.percent(fraction)})" if fraction is not None else ""
    return f"{fmt.credits(b.total_balance)} of {fmt.credits(b.total_amount)} credits{share}"


def _info_rows(
    state: MonitorState, now: float, extras: Extras, tz: dt.tzinfo | None, outdated: bool
) -> tuple[MenuRow, ...]:
    rows: list[MenuRow] = []
    b = state.balance
    if b is not None:
        rows.append(MenuRow(_amounts(b)))
        rows.append(
            MenuRow(
                f"Subscription: {fmt.credits(b.subscription_balance)} of "
                f"{fmt.credits(b.subscription_amount)}"
            )
        )
        rows.append(MenuRow(f"Gift: {fmt.credits(b.gift_balance)} of {fmt.credits(b.gift_amount)}"))
        rows.append(MenuRow(_reset_text(b, now, tz)))
        usage = _usage_text(extras)
        if usage:
            rows.append(MenuRow(usage))
        if extras.forecast is not None:
            rows.append(MenuRow(extras.forecast.describe()))
    rows.append(MenuRow(_status_text(state, now, tz, outdated)))
    if extras.recent_alerts:
        rows.append(MenuRow("Recent alerts", children=recent_alert_rows(extras, now, tz)))
    return tuple(rows)


def recent_alert_rows(extras: Extras, now: float, tz: dt.tzinfo | None) -> tuple[MenuRow, ...]:
    """ "22:45  Lensmor credits low" (today) or "29 Nov 22:45  ..." (earlier), read-only."""
    today = fmt.date(now, tz)
    return tuple(
        MenuRow(
            f"{'' if fmt.date(at, tz) == today else fmt.short_date(at, tz) + ' '}"
            f"{fmt.clock(at, tz)}  {title}"
        )
        for at, title in extras.recent_alerts[:RECENT_ALERTS]
    )


def _usage_text(extras: Extras) -> str | None:
    if extras.usage_today is None:
        return None
    text = f"Usage today: {fmt.credits(round(extras.usage_today))}"
    if extras.usage_30_days is not None:
        # "Last 30 days" rather than "this period": the API gives the end of the period
        # (resetAt), not its length, and 30 days is what a monthly plan means.
        text += f" · last 30 days: {fmt.credits(round(extras.usage_30_days))}"
    return text


def _reset_text(b: Balance, now: float, tz: dt.tzinfo | None) -> str:
    reset = b.reset_at_s
    if reset is None:
        return "No scheduled reset"
    if reset <= now:
        return f"Reset due ({fmt.date(reset, tz)})"
    return f"Resets {fmt.date(reset, tz)} (in {fmt.duration(reset - now)})"


def _status_text(
    state: MonitorState, now: float, tz: dt.tzinfo | None, outdated: bool = False
) -> str:
    if state.problem is not None:
        return _problem_text(state, now, tz)
    if state.from_previous_run and state.fetched_at is not None:
        return f"Last known {fmt.clock(state.fetched_at, tz)} · not yet refreshed"
    if outdated and state.fetched_at is not None:
        return f"Updated {fmt.clock(state.fetched_at, tz)} · {_age_text(state.fetched_at, now)}"
    if state.fetched_at is not None:
        return f"Updated {fmt.clock(state.fetched_at, tz)}"
    return "Checking…"


def _problem_text(state: MonitorState, now: float, tz: dt.tzinfo | None) -> str:
    since = state.problem_since if state.problem_since is not None else now
    problem = state.problem
    if problem is None:  # pragma: no cover - callers check
        return ""
    label = errors.LABEL[problem]
    if problem is Problem.NO_KEY:
        return f"{label} — open Settings… to add one"
    if problem is Problem.KEY_REJECTED:
        return f"{label} — set a new key"
    if problem is Problem.RATE_LIMITED:
        if state.retry_at is not None:
            return f"{label}, retrying at {fmt.clock(state.retry_at, tz)}"
        return label
    return f"{label} since {fmt.clock(since, tz)}"


def _pause_row(paused_until: float | None, now: float, tz: dt.tzinfo | None) -> MenuRow:
    if paused_until is not None and paused_until > now:
        return MenuRow(
            f"Notifications paused until {fmt.clock(paused_until, tz)}",
            children=(MenuRow("Resume notifications", Action.RESUME),),
        )
    return MenuRow(
        "Pause notifications",
        children=(
            MenuRow("For 1 hour", Action.PAUSE_HOUR),
            MenuRow("Until tomorrow", Action.PAUSE_TOMORROW),
        ),
    )


def _autostart_rows(enabled: bool | None) -> tuple[MenuRow, ...]:
    if enabled is None:
        return ()
    return (MenuRow("Start at login", Action.TOGGLE_AUTOSTART, checked=enabled),)
