"""How alerts are dressed as desktop notifications (core/notices.py, notify/base.py)."""

from __future__ import annotations

import pytest

from tray_app.core.alerts import Alert, AlertKind, Severity
from tray_app.core.notices import buttons, category, family, notice_for, text_without_buttons
from tray_app.core.view import Action
from tray_app.notify.base import notification_for
from tray_app.support.i18n import language_for

K = AlertKind


@pytest.mark.parametrize(
    ("kind", "expected_family", "expected_buttons"),
    [
        (K.LOW, "balance", (Action.OPEN_DASHBOARD, Action.PAUSE_TOMORROW)),
        (K.CRITICAL, "balance", (Action.OPEN_DASHBOARD, Action.PAUSE_TOMORROW)),
        (K.DEPLETED, "balance", (Action.OPEN_DASHBOARD, Action.PAUSE_TOMORROW)),
        (K.UNUSUAL_SPEND, "balance", (Action.OPEN_API_KEYS, Action.PAUSE_TOMORROW)),
        (K.OFFLINE, "connection", (Action.PAUSE_TOMORROW,)),
        (K.ONLINE, "connection", ()),
        (K.RESET, "", (Action.PAUSE_TOMORROW,)),
        (K.PAUSE_SUMMARY, "", ()),
    ],
)
def test_families_and_buttons(
    kind: AlertKind, expected_family: str, expected_buttons: tuple[Action, ...]
) -> None:
    assert family(kind) == expected_family
    assert buttons(kind) == expected_buttons


def test_a_notification_carries_buttons_urgency_category_and_a_plain_text() -> None:
    alert = Alert(
        K.CRITICAL, "Lensmor credits critically low", "1,550 left.", "k", Severity.CRITICAL
    )
    n = notification_for(notice_for(alert))
    assert n.buttons == (
        ("open_dashboard", "Open dashboard"),
        ("pause_tomorrow", "Snooze until tomorrow"),
    )
    assert (n.urgency, n.family, n.default_action) == ("critical", "balance", "open_dashboard")
    assert n.category == category(K.CRITICAL) == "x-lensmor.credits"
    assert n.plain_body == (
        "1,550 left. Top up at app.lensmor.com. To snooze, use Pause in the tray menu."
    )
    assert category(K.OFFLINE) == "network.error"
    assert text_without_buttons("Back.", ()) == "Back."
    # Every button the policy can give has a label and a wordy equivalent.
    assert all(Action(action) for action, _ in n.buttons)


def test_the_buttons_and_the_text_without_them_are_in_the_monitors_language() -> None:
    german = language_for("de_DE")
    alert = Alert(
        K.UNUSUAL_SPEND, "Ungewöhnlicher Lensmor-Verbrauch", "900 übrig.", "k", Severity.WARNING
    )
    n = notification_for(notice_for(alert), german)
    assert n.buttons == (
        ("open_api_keys", "API-Schlüssel öffnen"),
        ("pause_tomorrow", "Bis morgen pausieren"),
    )
    # The host is filled in after translation: no catalog can get it wrong.
    assert n.plain_body == (
        "900 übrig. API-Schlüssel: app.lensmor.com (Settings \u2192 API Keys). "
        "Zum Pausieren im Tray-Menü „Benachrichtigungen pausieren“ wählen."
    )
