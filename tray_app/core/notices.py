"""How an alert is shown as a desktop notification: the policy, pure (notify/ does the rest).

* Urgency: `URGENCY` maps the alert's severity to the freedesktop urgency (info -> low,
  warning -> normal, critical -> critical).
* Family: a newer notification of the same family replaces the one still on screen instead
  of stacking: "balance" (low -> critically low -> used up, and unusual/large spend, which
  also speak of the balance) and "connection" (not updating -> updating again). Other
  alerts have no family and never replace anything.
* Buttons: "Open dashboard" on low / critically low / used up (to top up), "Open API keys" on
  unusual spend (a runaway script: revoke its key), "Snooze until tomorrow" (the menu's Pause
  -> Until tomorrow) on every alert that may come again. A click on the body opens the
  dashboard.
* Without buttons (a server lacking the "actions" capability) the text says the same:
  `text_without_buttons` appends one sentence per button.
* Category hint (freedesktop): "network.error" / "network.connected" for the connection
  family, "x-lensmor.credits" for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from tray_app.core.alerts import Alert, AlertKind, Severity
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.core.view import Action

Urgency = Literal["low", "normal", "critical"]

# The web app is the only documented link (spec: dashboard, buying credits, API keys).
WEB_APP_HOST: Final = "app.lensmor.com"

URGENCY: Final[Mapping[Severity, Urgency]] = MappingProxyType(
    {Severity.INFO: "low", Severity.WARNING: "normal", Severity.CRITICAL: "critical"}
)

_BALANCE = frozenset(
    {
        AlertKind.LOW,
        AlertKind.CRITICAL,
        AlertKind.DEPLETED,
        AlertKind.UNUSUAL_SPEND,
        AlertKind.LARGE_SPEND,
    }
)
_CONNECTION = frozenset({AlertKind.OFFLINE, AlertKind.ONLINE})
_NEED_CREDITS = frozenset({AlertKind.LOW, AlertKind.CRITICAL, AlertKind.DEPLETED})
_NO_SNOOZE = frozenset({AlertKind.ONLINE, AlertKind.PAUSE_SUMMARY})

BUTTON_LABELS: Final[Mapping[Action, str]] = MappingProxyType(
    {
        Action.OPEN_DASHBOARD: N_("Open dashboard"),
        Action.OPEN_API_KEYS: N_("Open API keys"),
        Action.PAUSE_TOMORROW: N_("Snooze until tomorrow"),
    }
)
_WITHOUT_BUTTONS: Final[Mapping[Action, str]] = MappingProxyType(
    {
        Action.OPEN_DASHBOARD: N_("Top up at {host}."),
        Action.OPEN_API_KEYS: N_("API keys: {host} (Settings \u2192 API Keys)."),
        Action.PAUSE_TOMORROW: N_("To snooze, use Pause in the tray menu."),
    }
)


@dataclass(frozen=True)
class Notice:
    """An alert dressed for the desktop."""

    title: str
    body: str
    urgency: Urgency
    key: str
    family: str  # "" = replaces nothing
    buttons: tuple[Action, ...]
    default_action: Action | None  # what a click on the body does
    category: str


def family(kind: AlertKind) -> str:
    if kind in _BALANCE:
        return "balance"
    return "connection" if kind in _CONNECTION else ""


def buttons(kind: AlertKind) -> tuple[Action, ...]:
    first: tuple[Action, ...] = ()
    if kind in _NEED_CREDITS:
        first = (Action.OPEN_DASHBOARD,)
    elif kind is AlertKind.UNUSUAL_SPEND:
        first = (Action.OPEN_API_KEYS,)
    return first if kind in _NO_SNOOZE else (*first, Action.PAUSE_TOMORROW)


def category(kind: AlertKind) -> str:
    if kind is AlertKind.OFFLINE:
        return "network.error"
    return "network.connected" if kind is AlertKind.ONLINE else "x-lensmor.credits"


def notice_for(alert: Alert) -> Notice:
    """The notice for one poll's notification (its headline kind decides the dress)."""
    return Notice(
        title=alert.title,
        body=alert.body,
        urgency=URGENCY[alert.severity],
        key=alert.key,
        family=family(alert.kind),
        buttons=buttons(alert.kind),
        default_action=Action.OPEN_DASHBOARD,
        category=category(alert.kind),
    )


def button_label(action: Action, lang: Language = ENGLISH) -> str:
    return lang.gettext(BUTTON_LABELS[action])


def text_without_buttons(body: str, actions: tuple[Action, ...], lang: Language = ENGLISH) -> str:
    """The body for a server that shows no buttons: one sentence per button appended."""
    sentences = (
        lang.gettext(_WITHOUT_BUTTONS[action]).format(host=WEB_APP_HOST) for action in actions
    )
    return " ".join([body, *sentences])
