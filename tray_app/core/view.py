"""What the tray shows: badge, title (tooltip) and menu rows, as a pure function of state.

The tray adapters (tray/) only turn a `TrayView` into menu items and pixmaps; every wording
and every "which action is the default" decision is made here, where tests read it without a
display. One account's view is `present`; several accounts' views are made from the same
parts (`account_rows`, `shared_rows`, `title`) by core/accounts_view.py, from each account's
`AccountSnapshot`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from tray_app.core import errors, fmt
from tray_app.core.badge import BadgeKind, BadgeSpec, BadgeStyle, badge_for_balance, state_badge
from tray_app.core.balance import Balance
from tray_app.core.forecast import Forecast
from tray_app.core.language import ENGLISH, Language
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
    #: A stable name for a row that appears and disappears (a submenu such as "Recent
    #: alerts"): menu adapters key the row by it, so rows around it keep their identity.
    slot: str | None = None


SEPARATOR = MenuRow("", separator=True)
RECENT_ALERTS = 5  # notifications listed under "Recent alerts"


def newest_first(
    rows: tuple[tuple[float, str], ...], added: Iterable[tuple[float, str]]
) -> tuple[tuple[float, str], ...]:
    """ "Recent alerts" `rows` (newest first) with `added` (oldest first) put in front, kept to
    the menu's length: notifications, and hooks that failed."""
    return (tuple(reversed(list(added))) + rows)[:RECENT_ALERTS]


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
    #: How the badge draws the balance (the `badge_style` setting).
    badge_style: BadgeStyle = BadgeStyle.NUMBER
    #: The poll interval in seconds: a balance older than two of them is shown as out of date
    #: (`MonitorState.is_outdated`). None: only failed polls mark it stale.
    poll_interval: float | None = None
    #: The last notifications as (time, title), newest first ("Recent alerts" submenu).
    recent_alerts: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class AccountSnapshot:
    """What one account's monitor hands to the tray: its state as of `now` and what the view
    needs besides (runtime/monitor.py makes it, core/accounts_view.py presents it)."""

    name: str
    state: MonitorState
    thresholds: tuple[Threshold, ...]
    now: float
    extras: Extras = Extras()
    #: The order its monitor made it in: the board keeps an account's newest snapshot, so one
    #: made by a poll never replaces one a pause made after it.
    seq: int = 0

    @property
    def level(self) -> Level | None:
        """How close to running out; None while the balance is unknown."""
        b = self.state.balance
        return None if b is None else level_for(b, self.thresholds)


@dataclass(frozen=True)
class TrayView:
    badge: BadgeSpec
    title: str
    rows: tuple[MenuRow, ...]

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
    *,
    lang: Language = ENGLISH,
) -> TrayView:
    """The whole tray view of one account: `state` at `now` (local time unless `tz` is
    given), in `lang`."""
    outdated = state.is_outdated(now, extras.poll_interval)
    return TrayView(
        badge(state, thresholds, extras.badge_style, outdated),
        title(state, thresholds, now, tz, lang, outdated=outdated),
        (
            *account_rows(state, now, extras, tz, lang),
            *shared_rows(state, now, extras, tz, lang),
        ),
    )


def shared_rows(
    state: MonitorState,
    now: float,
    extras: Extras,
    tz: dt.tzinfo | None = None,
    lang: Language = ENGLISH,
) -> tuple[MenuRow, ...]:
    """The rows after the account's own: Refresh, dashboard, Usage, Settings, Pause, Start at
    login, Quit. Without a key, Settings is the default action and Refresh is disabled."""
    _ = lang.gettext
    no_key = state.problem is Problem.NO_KEY
    return (
        SEPARATOR,
        MenuRow(_("Refresh now"), Action.REFRESH, default=not no_key, enabled=not no_key),
        MenuRow(_("Open Lensmor dashboard"), Action.OPEN_DASHBOARD),
        MenuRow(_("Usage…"), Action.USAGE),
        MenuRow(_("Settings…"), Action.SETTINGS, default=no_key),
        _pause_row(extras.paused_until, now, tz, lang),
        *_autostart_rows(extras.autostart_enabled, lang),
        SEPARATOR,
        MenuRow(_("Quit"), Action.QUIT),
    )


def badge(
    state: MonitorState,
    thresholds: tuple[Threshold, ...],
    style: BadgeStyle = BadgeStyle.NUMBER,
    outdated: bool = False,
) -> BadgeSpec:
    if state.problem is Problem.NO_KEY:
        return state_badge(BadgeKind.NO_KEY, style)
    if state.problem is Problem.KEY_REJECTED:
        return state_badge(BadgeKind.KEY_REJECTED, style)
    b = state.balance
    if b is None:
        if state.problem is Problem.RATE_LIMITED:
            return state_badge(BadgeKind.RATE_LIMITED, style)
        if state.problem is not None:
            return state_badge(BadgeKind.STALE, style)
        return state_badge(BadgeKind.STARTING, style)
    return badge_for_balance(
        b.total_balance,
        b.fraction_remaining,
        level_for(b, thresholds),
        stale=state.is_stale or outdated,
        rate_limited=state.problem is Problem.RATE_LIMITED,
        style=style,
    )


def title(
    state: MonitorState,
    thresholds: tuple[Threshold, ...],
    now: float,
    tz: dt.tzinfo | None,
    lang: Language = ENGLISH,
    *,
    outdated: bool = False,
    account: str | None = None,
) -> str:
    """The tooltip: the balance in words, then what is wrong if anything. Always the whole
    sentence (what a screen reader reads for the icon), never just the badge's number.
    `account`: named after "Lensmor" (several accounts)."""
    _ = lang.gettext
    details = _title_details(state, thresholds, now, tz, lang, outdated=outdated)
    if account is None:
        return _("Lensmor: {details}").format(details=details)
    return _("Lensmor — {account}: {details}").format(account=account, details=details)


def _title_details(
    state: MonitorState,
    thresholds: tuple[Threshold, ...],
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
    *,
    outdated: bool,
) -> str:
    _ = lang.gettext
    b = state.balance
    if state.problem is Problem.NO_KEY:
        return _("no API key set — open Settings… to add one")
    if state.problem is Problem.KEY_REJECTED:
        return _("API key rejected — set a new key in Settings…")
    if b is None:
        if state.problem is not None:
            return _problem_text(state, now, tz, lang)
        return _("checking your credits…")
    text = amounts(b, lang)
    if b.reset_at_s is not None and b.reset_at_s > now:
        text += _(" · resets in {duration}").format(duration=fmt.duration(b.reset_at_s - now, lang))
    level = level_for(b, thresholds)
    if level is not Level.OK:
        text += " · " + level_name(level, lang)
    if state.problem is not None:
        text += " · " + _problem_text(state, now, tz, lang)
    elif state.from_previous_run:
        text += " · " + _("not yet refreshed")
    elif outdated and state.fetched_at is not None:
        text += " · " + _age_text(state.fetched_at, now, lang)
    return text


def _age_text(fetched_at: float, now: float, lang: Language) -> str:
    return lang.gettext("out of date: last updated {duration} ago").format(
        duration=fmt.duration(now - fetched_at, lang)
    )


def level_name(level: Level, lang: Language = ENGLISH) -> str:
    """The level in words (\"low\", \"niedrig\")."""
    _ = lang.gettext
    names = {
        Level.OK: _("ok"),
        Level.LOW: _("low"),
        Level.CRITICAL: _("critical"),
        Level.DEPLETED: _("depleted"),
    }
    return names[level]


def amounts(b: Balance, lang: Language) -> str:
    """ "800 of 10,000 credits (8%)": the balance row, and the start of the tooltip."""
    _ = lang.gettext
    fraction = b.fraction_remaining
    balance, total = fmt.credits(b.total_balance, lang), fmt.credits(b.total_amount, lang)
    if fraction is None:
        return _("{balance} of {total} credits").format(balance=balance, total=total)
    return _("{balance} of {total} credits ({percent})").format(
        balance=balance, total=total, percent=fmt.percent(fraction, lang)
    )


def account_rows(
    state: MonitorState,
    now: float,
    extras: Extras,
    tz: dt.tzinfo | None = None,
    lang: Language = ENGLISH,
) -> tuple[MenuRow, ...]:
    """The account's own rows: balance, split, reset, usage, forecast, status, recent alerts
    (the section each account gets in the menu of several)."""
    _ = lang.gettext
    outdated = state.is_outdated(now, extras.poll_interval)
    rows: list[MenuRow] = []
    b = state.balance
    if b is not None:
        rows.append(MenuRow(amounts(b, lang)))
        rows.append(
            MenuRow(
                _("Subscription: {balance} of {total}").format(
                    balance=fmt.credits(b.subscription_balance, lang),
                    total=fmt.credits(b.subscription_amount, lang),
                )
            )
        )
        rows.append(
            MenuRow(
                _("Gift: {balance} of {total}").format(
                    balance=fmt.credits(b.gift_balance, lang),
                    total=fmt.credits(b.gift_amount, lang),
                )
            )
        )
        rows.append(MenuRow(_reset_text(b, now, tz, lang)))
        usage = _usage_text(extras, lang)
        if usage:
            rows.append(MenuRow(usage))
        if extras.forecast is not None:
            rows.append(MenuRow(extras.forecast.describe(lang)))
    rows.append(MenuRow(_status_text(state, now, tz, lang, outdated)))
    if extras.recent_alerts:
        rows.append(
            MenuRow(
                _("Recent alerts"),
                children=recent_alert_rows(extras, now, tz, lang),
                slot="recent-alerts",
            )
        )
    return tuple(rows)


def recent_alert_rows(
    extras: Extras, now: float, tz: dt.tzinfo | None, lang: Language = ENGLISH
) -> tuple[MenuRow, ...]:
    """ "22:45  Lensmor credits low" (today) or "29 Nov 22:45  ..." (earlier), read-only."""
    today = fmt.date(now, tz)
    return tuple(
        MenuRow(
            f"{'' if fmt.date(at, tz) == today else fmt.short_date(at, tz, lang) + ' '}"
            f"{fmt.clock(at, tz, lang)}  {title}"
        )
        for at, title in extras.recent_alerts[:RECENT_ALERTS]
    )


def _usage_text(extras: Extras, lang: Language) -> str | None:
    _ = lang.gettext
    if extras.usage_today is None:
        return None
    text = _("Usage today: {credits}").format(credits=fmt.credits(round(extras.usage_today), lang))
    if extras.usage_30_days is not None:
        # "Last 30 days" rather than "this period": the API gives the end of the period
        # (resetAt), not its length, and 30 days is what a monthly plan means.
        text += _(" · last 30 days: {credits}").format(
            credits=fmt.credits(round(extras.usage_30_days), lang)
        )
    return text


def _reset_text(b: Balance, now: float, tz: dt.tzinfo | None, lang: Language) -> str:
    _ = lang.gettext
    reset = b.reset_at_s
    if reset is None:
        return _("No scheduled reset")
    if reset <= now:
        return _("Reset due ({date})").format(date=fmt.date(reset, tz, lang))
    return _("Resets {date} (in {duration})").format(
        date=fmt.date(reset, tz, lang), duration=fmt.duration(reset - now, lang)
    )


def _status_text(
    state: MonitorState, now: float, tz: dt.tzinfo | None, lang: Language, outdated: bool = False
) -> str:
    _ = lang.gettext
    if state.problem is not None:
        return _problem_text(state, now, tz, lang)
    if state.from_previous_run and state.fetched_at is not None:
        return _("Last known {time} · not yet refreshed").format(
            time=fmt.clock(state.fetched_at, tz, lang)
        )
    if outdated and state.fetched_at is not None:
        return _("Updated {time} · {age}").format(
            time=fmt.clock(state.fetched_at, tz, lang), age=_age_text(state.fetched_at, now, lang)
        )
    if state.fetched_at is not None:
        return _("Updated {time}").format(time=fmt.clock(state.fetched_at, tz, lang))
    return _("Checking…")


def _problem_text(
    state: MonitorState, now: float, tz: dt.tzinfo | None, lang: Language = ENGLISH
) -> str:
    _ = lang.gettext
    since = state.problem_since if state.problem_since is not None else now
    problem = state.problem
    if problem is None:  # pragma: no cover - callers check
        return ""
    label = _(errors.LABEL[problem])
    if problem is Problem.NO_KEY:
        return _("{label} — open Settings… to add one").format(label=label)
    if problem is Problem.KEY_REJECTED:
        return _("{label} — set a new key").format(label=label)
    if problem is Problem.RATE_LIMITED:
        if state.retry_at is not None:
            return _("{label}, retrying at {time}").format(
                label=label, time=fmt.clock(state.retry_at, tz, lang)
            )
        return label
    return _("{label} since {time}").format(label=label, time=fmt.clock(since, tz, lang))


def _pause_row(
    paused_until: float | None, now: float, tz: dt.tzinfo | None, lang: Language
) -> MenuRow:
    _ = lang.gettext
    if paused_until is not None and paused_until > now:
        return MenuRow(
            _("Notifications paused until {time}").format(time=fmt.clock(paused_until, tz, lang)),
            children=(MenuRow(_("Resume notifications"), Action.RESUME),),
            slot="pause",
        )
    return MenuRow(
        _("Pause notifications"),
        children=(
            MenuRow(_("For 1 hour"), Action.PAUSE_HOUR),
            MenuRow(_("Until tomorrow"), Action.PAUSE_TOMORROW),
        ),
        slot="pause",
    )


def _autostart_rows(enabled: bool | None, lang: Language) -> tuple[MenuRow, ...]:
    if enabled is None:
        return ()
    return (MenuRow(lang.gettext("Start at login"), Action.TOGGLE_AUTOSTART, checked=enabled),)
