"""One notification tells each fact once (issue 10): when rules fire together, the folded
alerts leave out the balance, the renewal date and the spend the parts before them already
told ("25,000 credits in the last hour. 5,050 left. 14% of 35,050 left, below your 20%
warning.", not "... 5,050 left. 5,050 credits left (14% of 35,050) ...").

Every alert a poll with a balance can raise is made from ONE balance by the rules' own
builders, with numbers chosen so that different facts never share a number by chance; then
every combination that can fold (one threshold alert at most, as `check_thresholds` gives) is
composed, and no number may appear twice in the body, in English and in German."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from tray_app.core.alerts import (
    DEPLETED_LABEL,
    Alert,
    AlertKind,
    compose,
    detectors,
    rules,
    wording,
)
from tray_app.core.balance import Balance
from tray_app.core.forecast import Forecast
from tray_app.core.language import ENGLISH, Language
from tray_app.core.levels import Threshold
from tray_app.support.i18n import language_from_environ

UTC = dt.timezone.utc
RESET_MS = 1_796_083_200_000  # 2026-12-01 00:00 UTC
NOW = RESET_MS / 1000 - 40 * 3600  # 40 h before the renewal: expiring fires
SINCE = NOW - 7 * 60  # the previous balance (large spend "since ...")
PERIOD = RESET_MS
NUMBER = re.compile(r"\d+(?:[.,\u202f\u00a0]\d+)*")


def balance(total_left: int) -> Balance:
    """35,000 subscription + 50 gift granted; `total_left` left, 30 of it gift."""
    return Balance(35_050, total_left, 35_000, total_left - 30, 50, 30, RESET_MS)


def alerts_for(b: Balance, lang: Language) -> dict[AlertKind, Alert]:
    """One alert of each kind a poll with the balance `b` can raise (both threshold kinds)."""
    before = Balance(35_050, b.total_balance + 12_345, 35_000, b.subscription_balance, 50, 30, None)
    made: dict[AlertKind, Alert | None] = {
        AlertKind.LOW: wording.threshold_alert(
            AlertKind.LOW,
            "20%",
            threshold=Threshold.parse("20%"),
            b=b,
            period=PERIOD,
            now=NOW,
            tz=UTC,
            lang=lang,
        ),
        AlertKind.CRITICAL: wording.threshold_alert(
            AlertKind.CRITICAL,
            "5%",
            threshold=Threshold.parse("5%"),
            b=b,
            period=PERIOD,
            now=NOW,
            tz=UTC,
            lang=lang,
        ),
        AlertKind.DEPLETED: wording.threshold_alert(
            AlertKind.DEPLETED,
            DEPLETED_LABEL,
            threshold=None,
            b=b,
            period=PERIOD,
            now=NOW,
            tz=UTC,
            lang=lang,
        ),
        AlertKind.UNUSUAL_SPEND: detectors.check_unusual_spend(
            b, 25_000, None, None, NOW, lang=lang
        ),
        AlertKind.LARGE_SPEND: detectors.check_large_spend(
            before, b, limit=2_000, since=SINCE, now=NOW, tz=UTC, lang=lang
        )[0],
        AlertKind.EXPIRING: detectors.check_expiring(
            b, hours=48, period=PERIOD, warned=None, now=NOW, tz=UTC, lang=lang
        ),
        AlertKind.RUNWAY: detectors.check_runway(
            b,
            Forecast(1_000.0, 11 * 3600, True, b.total_balance, RESET_MS / 1000, 7),
            PERIOD,
            None,
            UTC,
            lang=lang,
        ),
        AlertKind.RESET: wording.reset_alert(b, PERIOD, NOW, UTC, lang),
        AlertKind.TOP_UP: wording.top_up_alert(750, b, NOW, lang),
        AlertKind.ONLINE: wording.online_alert(NOW - 3 * 3600, NOW, lang),
    }
    held = (made[AlertKind.LOW],)
    made[AlertKind.PAUSE_SUMMARY] = rules._summary(held, 0, b, NOW, lang)  # type: ignore[arg-type]
    assert all(alert is not None for alert in made.values()), made
    return {kind: alert for kind, alert in made.items() if alert is not None}


def numbers(text: str) -> list[str]:
    return NUMBER.findall(text)


THRESHOLD_KINDS = (AlertKind.LOW, AlertKind.CRITICAL, AlertKind.DEPLETED)


def combinations(made: dict[AlertKind, Alert]) -> list[list[Alert]]:
    """Every set of two or more alerts with at most one threshold alert."""
    others = [alert for kind, alert in made.items() if kind not in THRESHOLD_KINDS]
    pool = [[made[kind]] for kind in THRESHOLD_KINDS]
    found: list[list[Alert]] = []
    for size in range(1, len(others) + 1):
        for rest in itertools.combinations(others, size):
            found.append(list(rest))
            found.extend([*threshold, *rest] for threshold in pool)
    return [combo for combo in found if len(combo) >= 2]


@pytest.mark.parametrize(("lang_name", "lang"), [("en", ENGLISH), ("de", None)])
def test_no_number_is_told_twice_in_a_folded_notification(
    lang_name: str, lang: Language | None
) -> None:
    language = lang or language_from_environ({"LANG": "de_DE.UTF-8"})
    checked = 0
    for total_left in (5_050, 1_230):  # below 20 % (low); below 5 % (critical)
        made = alerts_for(balance(total_left), language)
        for alone in made.values():  # each alert on its own says each number once
            assert len(numbers(alone.body)) == len(set(numbers(alone.body))), alone.body
        for combo in combinations(made):
            [shown] = compose(combo)
            said = numbers(shown.body)
            repeated = {n for n in said if said.count(n) > 1}
            assert not repeated, (lang_name, [a.kind.value for a in combo], shown.body)
            checked += 1
    assert checked > 2000  # 2 balances x (2^8 - 1 sets of the others) x 4, less the singles


@pytest.mark.parametrize(
    ("kinds", "body"),
    [
        (
            (AlertKind.UNUSUAL_SPEND, AlertKind.LOW),
            "25,000 credits in the last hour. 5,050 left."
            " 14% of 35,050 left, below your 20% warning.",
        ),
        (
            (AlertKind.CRITICAL, AlertKind.UNUSUAL_SPEND),
            "5,050 credits left (14% of 35,050), below your 5% warning."
            " Subscription credits renew on 1 Dec."
            " Unusual spend: 25,000 credits in the last hour.",
        ),
        (
            (AlertKind.LOW, AlertKind.RESET),
            "5,050 credits left (14% of 35,050), below your 20% warning."
            " Subscription credits renewed; next reset on 1 Dec.",
        ),
        (
            (AlertKind.CRITICAL, AlertKind.RESET, AlertKind.EXPIRING),
            "5,050 credits left (14% of 35,050), below your 5% warning."
            " Subscription credits renew on 1 Dec."
            " Subscription credits expire in 40 h. Subscription credits renewed.",
        ),
        (
            (AlertKind.LOW, AlertKind.TOP_UP, AlertKind.LARGE_SPEND),
            "5,050 credits left (14% of 35,050), below your 20% warning."
            " 12,345 used since 07:53. 750 credits added.",
        ),
        (
            (AlertKind.RUNWAY, AlertKind.EXPIRING),
            "At the current pace credits run out in about 11 h, before the reset on 1 Dec."
            " 5,020 subscription credits expire in 40 h.",
        ),
    ],
)
def test_folded_texts_read_as_one_message(kinds: tuple[AlertKind, ...], body: str) -> None:
    made = alerts_for(balance(5_050), ENGLISH)
    [shown] = compose([made[kind] for kind in kinds])
    assert shown.body == body
    assert shown.kind is kinds[0]


def test_an_alert_alone_or_first_keeps_its_whole_text() -> None:
    made = alerts_for(balance(5_050), ENGLISH)
    low = made[AlertKind.LOW]
    assert low.body == "5,050 credits left (14% of 35,050), below your 20% warning."
    assert compose([low]) == [low]
    [shown] = compose([made[AlertKind.TOP_UP], low])  # the low warning heads: whole text
    assert shown.body.startswith(low.body)
    # Folded after the low warning, the top-up leaves out the balance it would repeat.
    assert shown.body.endswith(" 750 credits added.")
