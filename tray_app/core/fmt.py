"""Numbers, durations and dates written the way people read them. Pure functions.

Every function that writes for people takes an optional `lang` (`core.language.Language`):
`ENGLISH`, the default, keeps the built-in formats ("30,050", "1 Dec 2026", "12 min"); any
other language formats with Babel in its locale ("30.050" in German, "30 050" with a narrow
no-break space in French, "1. Dez."). Machine formats (`iso_utc`, the badge's compact number)
take no language: JSON, logs and the badge stay the same everywhere. Babel is imported only
on the localised paths (about 20 ms that an English start-up does not pay).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata

from tray_app.core.balance import Number
from tray_app.core.language import ENGLISH, Language


def credits(value: Number, lang: Language = ENGLISH) -> str:
    """30050 -> "30,050" ("30.050" in German); 12.5 -> "12.5" ("12,5")."""
    fractional = isinstance(value, float) and not value.is_integer()
    if lang.locale is None:
        return f"{value:,.1f}" if fractional else f"{int(value):,}"
    from babel import numbers as babel_numbers

    if fractional:
        return babel_numbers.format_decimal(round(value, 1), "#,##0.0", locale=lang.locale)
    return babel_numbers.format_decimal(int(value), "#,##0", locale=lang.locale)


def compact(value: Number) -> str:
    """A short badge number: 950, 9.9k, 12.5k, 30k, 1.2M, 3B (never more than 5 characters)."""
    v = abs(float(value))
    sign = "-" if value < 0 else ""
    if v < 1000:
        return f"{sign}{int(v)}"
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= divisor * 0.9995 or divisor == 1e3:
            scaled = v / divisor
            if scaled >= 999.5 and suffix != "B":
                continue
            # One decimal below 100 (12.5k), none above (125k); drop a trailing ".0".
            text = f"{scaled:.1f}" if scaled < 99.95 else f"{scaled:.0f}"
            if text.endswith(".0"):
                text = text[:-2]
            return f"{sign}{text}{suffix}"
    return f"{sign}{int(v)}"  # pragma: no cover - unreachable, the loop always returns


def compact_short(value: Number) -> str:
    """The badge number for 16-20 px: at most three digits. 950, 4.2k, 29k, 125k, 1.2M.

    One decimal only when the whole part has one digit (the dot is one pixel wide); otherwise
    rounded to whole units, half up, so 12,500 is "13k" and 28,550 "29k".
    """
    v = abs(float(value))
    sign = "-" if value < 0 else ""
    if v < 1000:
        return f"{sign}{int(v)}"
    for divisor, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "B")):
        scaled = v / divisor
        if scaled < 9.95:
            text = f"{scaled:.1f}".removesuffix(".0")
            return f"{sign}{text}{suffix}"
        whole = math.floor(scaled + 0.5)
        if whole < 1000 or suffix == "B":
            return f"{sign}{whole}{suffix}"
    return f"{sign}{int(v)}"  # pragma: no cover - unreachable, "B" always returns


def percent(fraction: float, lang: Language = ENGLISH) -> str:
    """0.857 -> "86%" ("86 %" in German); never 0% for a non-zero fraction or 100% for less
    than all."""
    p = fraction * 100
    prefix = ""
    if 0 < p < 1:
        prefix, whole = "<", 1
    elif 99 < p < 100:
        whole = 99
    else:
        whole = round(p)
    if lang.locale is None:
        return f"{prefix}{whole}%"
    from babel import numbers as babel_numbers

    return prefix + babel_numbers.format_percent(whole / 100, locale=lang.locale)


_ENGLISH_UNITS = {"second": "s", "minute": "min", "hour": "h", "day": "days"}


def duration(seconds: float, lang: Language = ENGLISH) -> str:
    """A coarse human duration: "45 s", "12 min", "3 h", "5 days" ("5 Tage", "5 jours")."""
    unit, amount = _duration_bucket(max(0, int(seconds)))
    if lang.locale is None:
        return f"{amount} {_ENGLISH_UNITS[unit]}"
    from babel import units as babel_units

    # Days in full ("5 Tage"), the others abbreviated ("12 Min."), as in the English forms.
    if unit == "day":
        return str(babel_units.format_unit(amount, "duration-day", "long", locale=lang.locale))
    return str(babel_units.format_unit(amount, f"duration-{unit}", "short", locale=lang.locale))


def _duration_bucket(whole: int) -> tuple[str, int]:
    """What `duration` writes for `whole` seconds, as (unit, amount): the one place that
    decides it, so `duration_changes_in` knows exactly when the text changes."""
    if whole < 60:
        return "second", whole
    if whole < 3600:
        return "minute", whole // 60
    if whole < 2 * 86400:
        return "hour", max(1, whole // 3600)
    return "day", round(whole / 86400)


def duration_changes_in(seconds: float, *, counting_down: bool) -> float:
    """Seconds until `duration(...)` writes something else, for a duration that shrinks as
    time passes (`counting_down`: "resets in 3 h") or grows ("updated 12 min ago"). The tray
    re-presents its view then, instead of on a fixed tick."""
    s = max(0.0, seconds)
    whole = int(s)
    bucket = _duration_bucket(whole)
    if counting_down:
        # The first second of this bucket: the text changes once `s` drops below it.
        guess = _bucket_edge(whole, down=True)
        start = next(
            c
            for c in range(max(guess - 2, 0), whole + 1)
            if _duration_bucket(c) == bucket and (c == 0 or _duration_bucket(c - 1) != bucket)
        )
        return s - start + 1e-3
    # The first second of the next bucket: the text changes once `s` reaches it.
    guess = _bucket_edge(whole, down=False)
    end = next(
        c for c in range(max(guess - 2, whole + 1), guess + 3) if _duration_bucket(c) != bucket
    )
    return end - s


def _bucket_edge(whole: int, *, down: bool) -> int:
    """About where `whole`'s bucket starts (`down`) or the next one begins (within 2 s)."""
    unit, amount = _duration_bucket(whole)
    if unit == "second":
        return whole if down else whole + 1
    if unit == "minute":
        return amount * 60 if down else (amount + 1) * 60
    if unit == "hour":
        return (
            (3600 if amount == 1 else amount * 3600)
            if down
            else min((amount + 1) * 3600, 2 * 86400)
        )
    return max(int((amount - 0.5) * 86400), 2 * 86400) if down else int((amount + 0.5) * 86400)


def local_datetime(epoch_s: float, tz: dt.tzinfo | None = None) -> dt.datetime:
    """Unix seconds -> an aware datetime in `tz` (the local zone by default)."""
    return dt.datetime.fromtimestamp(epoch_s, tz=dt.timezone.utc).astimezone(tz)


def local_midnight(day: dt.date, tz: dt.tzinfo | None = None) -> float:
    """The Unix seconds at which `day` starts in `tz` (the local zone by default)."""
    if tz is None:
        return dt.datetime.combine(day, dt.time()).astimezone().timestamp()
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).timestamp()


def date(epoch_s: float, tz: dt.tzinfo | None = None, lang: Language = ENGLISH) -> str:
    """Unix seconds -> "1 Dec 2026" ("01.12.2026" in German, "1 déc. 2026" in French)."""
    d = local_datetime(epoch_s, tz)
    if lang.locale is None:
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
    from babel import dates as babel_dates

    return babel_dates.format_date(d, "medium", locale=lang.locale)


def short_date(epoch_s: float, tz: dt.tzinfo | None = None, lang: Language = ENGLISH) -> str:
    """Unix seconds -> "1 Dec" ("1. Dez.", "1 déc.")."""
    d = local_datetime(epoch_s, tz)
    if lang.locale is None:
        return f"{d.day} {_MONTHS[d.month - 1]}"
    from babel import dates as babel_dates

    return babel_dates.format_skeleton("MMMd", d, locale=lang.locale)


def clock(epoch_s: float, tz: dt.tzinfo | None = None, lang: Language = ENGLISH) -> str:
    """Unix seconds -> "14:02" in the local zone (the locale's short time: "2:02 PM" in US
    English when asked for by locale)."""
    d = local_datetime(epoch_s, tz)
    if lang.locale is None:
        return f"{d:%H:%M}"
    from babel import dates as babel_dates

    return babel_dates.format_time(d, "short", locale=lang.locale)


#: English month abbreviations, fixed: strftime's %b follows the C library's LC_TIME, which
#: the process never sets (and must not depend on).
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_with_weekday(day: dt.date, lang: Language = ENGLISH) -> str:
    """A calendar day with its weekday: "Mon 30 Nov 2026" ("Mo., 30. Nov. 2026")."""
    if lang.locale is None:
        return f"{_WEEKDAYS[day.weekday()]} {day.day:>2} {_MONTHS[day.month - 1]} {day.year}"
    from babel import dates as babel_dates

    return babel_dates.format_skeleton("yMMMEd", day, locale=lang.locale)


def display_width(text: str) -> int:
    """Terminal columns of `text`: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def iso_utc(epoch_s: float) -> str:
    """Unix seconds -> "2026-11-25T10:19:33Z"."""
    return dt.datetime.fromtimestamp(epoch_s, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def mask_key(key: str) -> str:
    """Show a secret API key safely: "uak_…a1b2" (prefix kept, only the last four shown)."""
    prefix = ""
    for known in ("uak_", "sk_"):
        if key.startswith(known):
            prefix = known
            break
    if len(key) - len(prefix) < 8:
        return f"{prefix}…" if prefix else "…"
    return f"{prefix}…{key[-4:]}"


def markup_escaped(text: str) -> str:
    """`text` as markup that shows it as it is: `&`, `<` and `>` as entities (enough for text
    outside attributes). For waybar, which parses a custom module's `text` and `tooltip` as
    Pango markup (an account named `R&D` blanked the module), for the StatusNotifierItem's
    tooltip, which hosts read as markup, and for the bold default row of a pystray menu
    (tray/gtk_menu_labels.py). Not `html.escape`: importing `html` loads its table of named
    entities, 0.4-0.5 MB in a fresh interpreter."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
