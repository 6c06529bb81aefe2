"""The text of `status` (live and `--cached`): the balance, its parts and the reset, aligned;
and the JSON object of a balance just fetched (`status --json`).

Its own module so that `status --cached` (status_feed, the fast path in entry.py) can write it
without importing the full CLI.
"""

from __future__ import annotations

from tray_app.config.model import AlertSettings
from tray_app.core import fmt
from tray_app.core.balance import Balance
from tray_app.core.language import ENGLISH, Language
from tray_app.core.levels import level_for
from tray_app.core.view import level_name


def status_text(
    balance: Balance, alerts: AlertSettings, now: float, lang: Language = ENGLISH
) -> str:
    """The `status` command's text in `lang` (the labels aligned in display columns)."""
    _ = lang.gettext
    level = level_name(level_for(balance, alerts.thresholds), lang)
    fraction = balance.fraction_remaining
    total, whole = fmt.credits(balance.total_balance, lang), fmt.credits(balance.total_amount, lang)
    if fraction is None:
        head = _("Lensmor credits: {balance} of {total} - {level}").format(
            balance=total, total=whole, level=level
        )
    else:
        head = _("Lensmor credits: {balance} of {total} ({percent}) - {level}").format(
            balance=total, total=whole, percent=fmt.percent(fraction, lang), level=level
        )
    reset = balance.reset_at_s
    if reset is None:
        reset_text = _("no scheduled reset")
    elif reset > now:
        reset_text = _("{date} (in {duration})").format(
            date=fmt.date(reset, lang=lang), duration=fmt.duration(reset - now, lang)
        )
    else:
        reset_text = _("{date} (due now)").format(date=fmt.date(reset, lang=lang))
    rows = [
        (
            _("Subscription:"),
            _("{balance} of {total}").format(
                balance=fmt.credits(balance.subscription_balance, lang),
                total=fmt.credits(balance.subscription_amount, lang),
            ),
        ),
        (
            _("Gift:"),
            _("{balance} of {total} (gift credits do not expire)").format(
                balance=fmt.credits(balance.gift_balance, lang),
                total=fmt.credits(balance.gift_amount, lang),
            ),
        ),
        (_("Reset:"), reset_text),
    ]
    width = max(fmt.display_width(label) for label, _value in rows)
    lines = [head]
    for label, value in rows:
        lines.append(f"  {label}{' ' * (width - fmt.display_width(label))} {value}")
    return "\n".join(lines)


def status_json(balance: Balance, alerts: AlertSettings, fetched_at: float) -> dict[str, object]:
    """`status --json`'s object for a balance just fetched: the keys of `core.feed.json_object`
    (what `status --cached --json` prints), so a script reads both the same way; a fetch that
    succeeded has no problem."""
    fraction = balance.fraction_remaining
    out: dict[str, object] = dict(balance.to_api_dict())
    out["level"] = level_for(balance, alerts.thresholds).value
    out["percentRemaining"] = None if fraction is None else round(fraction * 100, 2)
    out["fetchedAt"] = fmt.iso_utc(fetched_at)
    out["stale"] = False
    out["problem"] = None
    return out
