"""Numbers, durations and dates written the way people read them. Pure functions."""

from __future__ import annotations

import datetime as dt
import math

from tray_app.core.balance import Number


def credits(value: Number) -> str:
    """30050 -> "30,050"; 12.5 -> "12.5"."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


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


def percent(fraction: float) -> str:
    """0.857 -> "86%"; never shows 0% for a non-zero fraction or 100% for less than all."""
    p = fraction * 100
    if 0 < p < 1:
        return "<1%"
    if 99 < p < 100:
        return "99%"
    return f"{round(p)}%"


def duration(seconds: float) -> str:
    """A coarse human duration: "45 s", "12 min", "3 h", "5 days"."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 2 * 86400:
        hours = s // 3600
        return f"{hours} h" if hours else "1 h"
    days = round(s / 86400)
    return f"{days} days"


def local_datetime(epoch_s: float, tz: dt.tzinfo | None = None) -> dt.datetime:
    """Unix seconds -> an aware datetime in `tz` (the local zone by default)."""
    return dt.datetime.fromtimestamp(epoch_s, tz=dt.timezone.utc).astimezone(tz)


def date(epoch_s: float, tz: dt.tzinfo | None = None) -> str:
    """Unix seconds -> "1 Dec 2026"."""
    d = local_datetime(epoch_s, tz)
    return f"{d.day} {d:%b %Y}"


def short_date(epoch_s: float, tz: dt.tzinfo | None = None) -> str:
    """Unix seconds -> "1 Dec"."""
    d = local_datetime(epoch_s, tz)
    return f"{d.day} {d:%b}"


def clock(epoch_s: float, tz: dt.tzinfo | None = None) -> str:
    """Unix seconds -> "14:02" in the local zone."""
    return f"{local_datetime(epoch_s, tz):%H:%M}"


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
