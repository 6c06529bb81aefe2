"""The words of each alert: its title, its body, how it reads folded into another alert's
body (`Alert.tells`, `Alert.shorter`), and its key.

Separate from the checks so that whether to notify and what the notification says read (and
translate) apart: the checks pass the numbers, these builders write the sentences. Every
message of the package marked for translation is here, except the pause summary's, which
`rules` builds from the held alerts. Numbers are written with `fmt.credits`, dates with
`fmt.short_date` in the `tz` given, in the `lang` given.
"""

from __future__ import annotations

import datetime as dt

from tray_app.core import errors, fmt
from tray_app.core.alerts.model import Alert, AlertKind, Fact, Severity, shorter_texts
from tray_app.core.balance import Balance
from tray_app.core.language import N_, Language
from tray_app.core.levels import Threshold
from tray_app.core.state import Problem


def reset_alert(
    b: Balance, period: int | None, now: float, tz: dt.tzinfo | None, lang: Language
) -> Alert:
    _ = lang.gettext
    credits = fmt.credits(b.subscription_balance, lang)
    reset_at = b.reset_at_s
    date = None if reset_at is None else fmt.short_date(reset_at, tz, lang)

    def text(left_out: frozenset[Fact]) -> str:
        with_date = date is not None and Fact.RENEWAL not in left_out
        if Fact.BALANCE in left_out:
            if with_date:
                return _("Subscription credits renewed; next reset on {date}.").format(date=date)
            return _("Subscription credits renewed.")
        if with_date:
            return _(
                "Subscription credits renewed: {credits} available; next reset on {date}."
            ).format(credits=credits, date=date)
        return _("Subscription credits renewed: {credits} available.").format(credits=credits)

    tells = frozenset({Fact.BALANCE} if date is None else {Fact.BALANCE, Fact.RENEWAL})
    key = f"reset:period={period}" if period is not None else f"reset:t={int(now)}"
    return Alert(
        AlertKind.RESET,
        _("Lensmor credits renewed"),
        text(frozenset()),
        key,
        Severity.INFO,
        tells=tells,
        shorter=shorter_texts(tells, text),
    )


_THRESHOLD_TITLES = {
    AlertKind.LOW: (N_("Lensmor credits low"), Severity.WARNING),
    AlertKind.CRITICAL: (N_("Lensmor credits critically low"), Severity.CRITICAL),
    AlertKind.DEPLETED: (N_("Lensmor credits used up"), Severity.CRITICAL),
}


#: The threshold alert's first sentence: (balance told here or "without" it, a share of the
#: total known or "plain", the kind of warning line) -> the message ("" = nothing to add).
_THRESHOLD_SENTENCES = {
    ("with", "plain", "none"): N_("{credits} credits left."),
    ("with", "plain", "percent"): N_("{credits} credits left, below your {threshold} warning."),
    ("with", "plain", "credits"): N_("{credits} credits left, below your {line}-credit warning."),
    ("with", "share", "none"): N_("{credits} credits left ({percent} of {total})."),
    ("with", "share", "percent"): N_(
        "{credits} credits left ({percent} of {total}), below your {threshold} warning."
    ),
    ("with", "share", "credits"): N_(
        "{credits} credits left ({percent} of {total}), below your {line}-credit warning."
    ),
    ("without", "plain", "none"): "",
    ("without", "plain", "percent"): N_("Below your {threshold} warning."),
    ("without", "plain", "credits"): N_("Below your {line}-credit warning."),
    ("without", "share", "none"): N_("{percent} of {total} left."),
    ("without", "share", "percent"): N_(
        "{percent} of {total} left, below your {threshold} warning."
    ),
    ("without", "share", "credits"): N_(
        "{percent} of {total} left, below your {line}-credit warning."
    ),
}


def threshold_alert(
    kind: AlertKind,
    label: str,
    *,
    threshold: Threshold | None,
    b: Balance,
    period: int | None,
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
) -> Alert:
    _ = lang.gettext
    title, severity = _THRESHOLD_TITLES[kind]
    fraction = b.fraction_remaining
    values = {
        "credits": fmt.credits(max(0, b.total_balance), lang),
        "percent": "" if fraction is None else fmt.percent(fraction, lang),
        "total": fmt.credits(b.total_amount, lang),
        "line": "" if threshold is None else fmt.credits(threshold.value, lang),
        # "20%" as configured in English; the locale's form elsewhere ("20 %").
        "threshold": ""
        if threshold is None
        else str(threshold)
        if lang.locale is None
        else fmt.percent(threshold.value / 100, lang),
    }
    line = "none" if threshold is None else "percent" if threshold.is_percent else "credits"
    renews = kind is not AlertKind.LOW and b.reset_at_s is not None

    def text(left_out: frozenset[Fact]) -> str:
        # Whole sentences per case (no pieces glued together), chosen by: the balance told
        # here or not, a share of the total known or not, which kind of warning line.
        told = "without" if Fact.BALANCE in left_out else "with"
        shared = "share" if fraction is not None else "plain"
        template = _THRESHOLD_SENTENCES[(told, shared, line)]
        head = _(template).format(**values) if template else ""
        if renews and Fact.RENEWAL not in left_out and b.reset_at_s is not None:
            renewal = _("Subscription credits renew on {date}.").format(
                date=fmt.short_date(b.reset_at_s, tz, lang)
            )
            return f"{head} {renewal}" if head else renewal
        return head

    tells = frozenset({Fact.BALANCE, Fact.RENEWAL} if renews else {Fact.BALANCE})
    key = f"threshold:{label}:period={period}:t={int(now)}"
    return Alert(
        kind,
        _(title),
        text(frozenset()),
        key,
        severity,
        tells=tells,
        shorter=shorter_texts(tells, text),
    )


def top_up_alert(amount: float, b: Balance, now: float, lang: Language) -> Alert:
    _ = lang.gettext
    added = fmt.credits(amount, lang)
    tells = frozenset({Fact.BALANCE})
    return Alert(
        AlertKind.TOP_UP,
        _("Lensmor credits added"),
        _("{added} credits added; {balance} available now.").format(
            added=added, balance=fmt.credits(b.total_balance, lang)
        ),
        f"top-up:t={int(now)}",
        Severity.INFO,
        tells=tells,
        shorter=shorter_texts(
            tells, lambda _facts: _("{added} credits added.").format(added=added)
        ),
    )


def unusual_spend_alert(
    b: Balance, last_hour: float, usual: float | None, now: float, lang: Language
) -> Alert:
    """`last_hour` credits spent in the hour before `now`, `usual` the usual hourly pace."""
    _ = lang.gettext
    spent, left = fmt.credits(last_hour, lang), fmt.credits(max(0, b.total_balance), lang)
    factor = f"{last_hour / usual:.0f}" if usual else ""
    if usual:
        body = _(
            "{spent} credits in the last hour, about {factor}\u00d7 your usual pace. {left} left."
        ).format(spent=spent, factor=factor, left=left)
        without_balance = _(
            "{spent} credits in the last hour, about {factor}\u00d7 your usual pace."
        ).format(spent=spent, factor=factor)
    else:
        body = _("{spent} credits in the last hour. {left} left.").format(spent=spent, left=left)
        without_balance = _("{spent} credits in the last hour.").format(spent=spent)

    def text(left_out: frozenset[Fact]) -> str:
        if Fact.SPEND in left_out:
            return "" if Fact.BALANCE in left_out else _("{left} left.").format(left=left)
        details = without_balance if Fact.BALANCE in left_out else body
        return _("Unusual spend: {details}").format(details=details)

    tells = frozenset({Fact.BALANCE, Fact.SPEND})
    return Alert(
        AlertKind.UNUSUAL_SPEND,
        _("Unusual Lensmor spend"),
        body,
        f"unusual-spend:t={int(now)}",
        Severity.WARNING,
        brief=text(frozenset()),
        tells=tells,
        shorter=shorter_texts(tells, text),
    )


def large_spend_alert(
    drop: float,
    b: Balance,
    *,
    since: float | None,
    now: float,
    tz: dt.tzinfo | None,
    lang: Language,
) -> Alert:
    """`drop` credits used since `since` (the last balance; None: unknown), `b` left."""
    _ = lang.gettext
    used, left = fmt.credits(drop, lang), fmt.credits(b.total_balance, lang)
    if since is None:
        body = _("{used} credits used; {left} left.").format(used=used, left=left)
        brief = _("{used} used.").format(used=used)
    else:
        # Same day: the time is enough; after a long gap (a restart) the date says more.
        when = (
            fmt.clock(since, tz, lang) if now - since < 86_400 else fmt.short_date(since, tz, lang)
        )
        body = _("{used} credits used since {when}; {left} left.").format(
            used=used, when=when, left=left
        )
        brief = _("{used} used since {when}.").format(used=used, when=when)

    def text(left_out: frozenset[Fact]) -> str:
        # Folded, the spend is told briefly and the balance only if nothing before told it.
        if Fact.SPEND in left_out:
            return "" if Fact.BALANCE in left_out else _("{left} left.").format(left=left)
        return brief if Fact.BALANCE in left_out else body

    tells = frozenset({Fact.BALANCE, Fact.SPEND})
    return Alert(
        AlertKind.LARGE_SPEND,
        _("Large Lensmor spend"),
        body,
        f"large-spend:t={int(now)}",
        Severity.INFO,
        tells=tells,
        shorter=shorter_texts(tells, text),
    )


def expiring_alert(
    b: Balance, reset_at: float, left: float, period: int, *, tz: dt.tzinfo | None, lang: Language
) -> Alert:
    """`b`'s subscription credits expire at `reset_at`, `left` seconds from now."""
    _ = lang.gettext
    credits = fmt.credits(b.subscription_balance, lang)
    duration, date = fmt.duration(left, lang), fmt.short_date(reset_at, tz, lang)

    def text(left_out: frozenset[Fact]) -> str:
        # The subscription credits count as the balance (often the same number).
        if Fact.BALANCE in left_out:
            if Fact.RENEWAL in left_out:
                return _("Subscription credits expire in {duration}.").format(duration=duration)
            return _("Subscription credits expire in {duration} (on {date}).").format(
                duration=duration, date=date
            )
        if Fact.RENEWAL in left_out:
            return _("{credits} subscription credits expire in {duration}.").format(
                credits=credits, duration=duration
            )
        return _("{credits} subscription credits expire in {duration} (on {date}).").format(
            credits=credits, duration=duration, date=date
        )

    tells = frozenset({Fact.BALANCE, Fact.RENEWAL})
    return Alert(
        AlertKind.EXPIRING,
        _("Lensmor credits expire soon"),
        text(frozenset()),
        f"expiring:period={period}",
        Severity.WARNING,
        tells=tells,
        shorter=shorter_texts(tells, text),
    )


def runway_alert(
    seconds_to_empty: float, reset_at: float, period: int, tz: dt.tzinfo | None, lang: Language
) -> Alert:
    """The credits run out in `seconds_to_empty`, before the reset at `reset_at`."""
    _ = lang.gettext
    duration = fmt.duration(seconds_to_empty, lang)
    tells = frozenset({Fact.RENEWAL})
    return Alert(
        AlertKind.RUNWAY,
        _("Lensmor credits may run out"),
        _(
            "At the current pace credits run out in about {duration}, before the reset on {date}."
        ).format(duration=duration, date=fmt.short_date(reset_at, tz, lang)),
        f"runway:period={period}",
        Severity.WARNING,
        tells=tells,
        shorter=shorter_texts(
            tells,
            lambda _facts: _(
                "At the current pace credits run out in about {duration}, before the reset."
            ).format(duration=duration),
        ),
    )


def key_rejected_alert(now: float, lang: Language) -> Alert:
    _ = lang.gettext
    return Alert(
        AlertKind.KEY_REJECTED,
        _("Lensmor API key rejected"),
        _("{cause}. {steps} and set it in lensmor-tray.").format(
            cause=errors.capitalised(_(errors.CAUSE[Problem.KEY_REJECTED])),
            steps=errors.capitalised(_(errors.NEW_KEY_STEPS)),
        ),
        f"key-rejected:since={int(now)}",
        Severity.CRITICAL,
    )


def online_alert(since: float | None, now: float, lang: Language) -> Alert:
    _ = lang.gettext
    if since is None:
        body, brief = _("The Lensmor API answers again."), _("Updating again.")
    else:
        gone = fmt.duration(now - since, lang)
        body = _("The Lensmor API answers again after {duration}.").format(duration=gone)
        brief = _("Updating again after {duration}.").format(duration=gone)
    return Alert(
        AlertKind.ONLINE,
        _("Lensmor balance updating again"),
        body,
        f"online:t={int(now)}",
        Severity.INFO,
        brief=brief,
    )


def offline_alert(failure: Problem, since: float, now: float, lang: Language) -> Alert:
    _ = lang.gettext
    return Alert(
        AlertKind.OFFLINE,
        _("Lensmor balance not updating"),
        _("No balance for {duration}: {reason}. The balance shown may be out of date.").format(
            duration=fmt.duration(now - since, lang), reason=_(errors.CAUSE[failure])
        ),
        f"offline:since={int(since)}",
        Severity.WARNING,
    )
