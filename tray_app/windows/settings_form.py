"""The Settings window's form, pure: no Tk, no display, no I/O.

`parse_form` turns the strings in the form into a `Settings` plus an optional new key, or into
one message per bad field; `fields_from_settings` fills the form; `key_hint` and
`describe_outcome` word what the window shows. The Tk view is `settings_dialog` (with its
boxes `key_box`, `accounts_box` and `alerts_box`), the work of its Test and Save buttons
`settings_actions`, the Accounts list `accounts_form`.
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from tray_app.config.model import MIN_POLL_INTERVAL_S, ConfigError, Settings
from tray_app.config.parse import parse_badge_style
from tray_app.core import errors, fmt
from tray_app.core.badge import BadgeStyle
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.core.levels import Threshold, ThresholdError
from tray_app.keys.key_store import InvalidKey, KeySource, StoredKey, normalise_key

if TYPE_CHECKING:
    from tray_app.api.client import ApiError, BalanceResponse

# A day: polling less often than that is not monitoring any more, and a typo such as 30000
# instead of 300 should be caught here rather than silently silence the tray.
MAX_POLL_INTERVAL_S = 86_400
ENV_OVERRIDE_NOTE = N_(
    "LENSMOR_API_KEY is set in the environment and overrides the stored key; "
    "a key saved here is used once that variable is unset."
)


#: The badge styles in words (the config file keeps the names: "number", "percent", ...).
BADGE_STYLE_LABELS = {
    BadgeStyle.NUMBER: N_("Number, in the level's colour"),
    BadgeStyle.PERCENT: N_("Percent left, in the level's colour"),
    BadgeStyle.GAUGE: N_("Ring gauge, no text"),
    BadgeStyle.MONOCHROME: N_("Number only, in the panel's colours"),
}

# "1,000" is one thousand credits, not the thresholds 1 and 000: a comma between a digit and
# exactly three digits is a thousands separator (the app itself writes 30,050).
_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# What a threshold looks like, so that "abc" gets a short message of our own; the numbers are
# still checked by Threshold.parse.
_THRESHOLD_SHAPE = re.compile(r"^\d+(?:\.\d+)?\s*%?$")


# -- the form, pure ------------------------------------------------------------------------


class FormField(str, enum.Enum):
    """The fields that can carry an error message."""

    KEY = "key"
    THRESHOLDS = "thresholds"
    POLL_INTERVAL = "poll_interval"
    BADGE_STYLE = "badge_style"


@dataclass(frozen=True)
class FormFields:
    """The form as the user left it: the raw strings of each input."""

    key: str = dataclasses.field(default="", repr=False)
    thresholds: str = ""
    poll_interval: str = ""
    notifications: bool = True
    badge_style: str = BadgeStyle.NUMBER.value


class FormResult(NamedTuple):
    """`settings` is None exactly when `errors` is not empty. `key` is None: keep the stored one."""

    settings: Settings | None
    key: str | None
    errors: dict[FormField, str]


def format_thresholds(thresholds: Sequence[Threshold]) -> str:
    """(20%, 5%, 1000 credits) -> "20%, 5%, 1000" (credits without separators: unambiguous)."""
    parts = []
    for threshold in thresholds:
        value = threshold.value
        number = _plain_number(value)
        parts.append(f"{number}%" if threshold.is_percent else number)
    return ", ".join(parts)


def _plain_number(value: float) -> str:
    """All the digits, never an exponent: 1234567.5 -> "1234567.5" (`:g` gave "1.23457e+06",
    then refused, and rounded 123456.5 to "123456", then saved). repr() is the shortest text
    that reads back as the same float; Decimal writes it out positionally."""
    if float(value).is_integer():
        return str(int(value))
    return format(decimal.Decimal(repr(float(value))), "f")


def fields_from_settings(settings: Settings) -> FormFields:
    """The form prefilled from `settings`; the key field always starts empty."""
    return FormFields(
        key="",
        thresholds=format_thresholds(settings.alerts.thresholds),
        poll_interval=str(settings.poll_interval),
        notifications=settings.alerts.notifications,
        badge_style=settings.badge_style.value,
    )


def badge_style_label(style: str, lang: Language = ENGLISH) -> str:
    """A style's config name ("percent") -> its words in `lang`; an unknown name as it is."""
    try:
        return lang.gettext(BADGE_STYLE_LABELS[BadgeStyle(style)])
    except ValueError:
        return style


def badge_style_value(label: str, lang: Language = ENGLISH) -> str:
    """The words shown for a style -> its config name; anything else as it is (parse_form
    then says what the choices are)."""
    for style, words in BADGE_STYLE_LABELS.items():
        if label == lang.gettext(words):
            return style.value
    return label


def parse_thresholds(
    text: str, lang: Language = ENGLISH
) -> tuple[tuple[Threshold, ...], str | None]:
    """ "20%, 5%" -> the thresholds, or () and a one-line message saying what is wrong."""
    _ = lang.gettext
    parts = [part.strip() for part in _THOUSANDS_COMMA.sub("", text).split(",")]
    found: list[Threshold] = []
    for part in parts:
        if not part:
            continue  # "20%, 5%," and "20%,, 5%" are harmless slips
        if not _THRESHOLD_SHAPE.match(part):
            return (), _("{text} is not a percentage (20%) or credits (500)").format(
                text=repr(part)
            )
        try:
            threshold = Threshold.parse(part)
        except ThresholdError as exc:  # the right shape but out of range, e.g. 150%
            return (), sentence(exc.text(lang))
        if threshold not in found:
            found.append(threshold)
    if not found:
        return (), _("Enter at least one threshold, e.g. 20%, 5%")
    return tuple(found), None


def parse_poll_interval(text: str, lang: Language = ENGLISH) -> tuple[int, str | None]:
    """ "300" -> 300, or 0 and a message naming the allowed range."""
    _ = lang.gettext
    value = text.strip()
    if not value:
        return 0, _("Enter the interval in seconds (at least {minimum})").format(
            minimum=MIN_POLL_INTERVAL_S
        )
    try:
        seconds = int(value)
    except ValueError:
        return 0, _("{text} is not a whole number of seconds").format(text=repr(value))
    if seconds < MIN_POLL_INTERVAL_S:
        return 0, _("The interval must be at least {minimum} seconds (not {seconds})").format(
            minimum=MIN_POLL_INTERVAL_S, seconds=seconds
        )
    if seconds > MAX_POLL_INTERVAL_S:
        return 0, _("The interval must be at most {maximum} seconds (one day)").format(
            maximum=MAX_POLL_INTERVAL_S
        )
    return seconds, None


def parse_key(text: str, lang: Language = ENGLISH) -> tuple[str | None, str | None]:
    """An empty field keeps the stored key (None); otherwise the cleaned key or a message."""
    if not text.strip():
        return None, None
    try:
        return normalise_key(text), None
    except InvalidKey as exc:
        return None, sentence(exc.text(lang))


def parse_form(
    fields: FormFields, base: Settings | None = None, lang: Language = ENGLISH
) -> FormResult:
    """Validate every field; settings not on the form (base_url, ...) are kept from `base`.
    The messages are in `lang` (a threshold out of range: worded by core, in English for now)."""
    errors: dict[FormField, str] = {}
    key, key_error = parse_key(fields.key, lang)
    if key_error:
        errors[FormField.KEY] = key_error
    thresholds, thresholds_error = parse_thresholds(fields.thresholds, lang)
    if thresholds_error:
        errors[FormField.THRESHOLDS] = thresholds_error
    interval, interval_error = parse_poll_interval(fields.poll_interval, lang)
    if interval_error:
        errors[FormField.POLL_INTERVAL] = interval_error
    try:
        badge_style = parse_badge_style(fields.badge_style, "Badge style")
    except ConfigError as exc:
        errors[FormField.BADGE_STYLE] = exc.text(lang)
    if errors:
        return FormResult(None, None, errors)
    base = base or Settings()
    settings = dataclasses.replace(
        base,
        poll_interval=interval,
        badge_style=badge_style,
        alerts=dataclasses.replace(
            base.alerts, thresholds=thresholds, notifications=fields.notifications
        ),
    )
    return FormResult(settings, key, {})


def sentence(text: str) -> str:
    """The text with a capital first letter (messages from lower layers start lower-case)."""
    return text[:1].upper() + text[1:] if text else text


def key_hint(stored: StoredKey | None, lang: Language = ENGLISH) -> str:
    """The line under the key field: which key is in use now, masked, and where it lives."""
    _ = lang.gettext
    if stored is None:
        return _("No key is stored yet: paste one above.")
    where = {
        KeySource.ENVIRONMENT: _("from LENSMOR_API_KEY"),
        KeySource.KEYRING: _("in the OS keyring"),
        KeySource.FILE: _("in {path}").format(path=stored.location),
    }[stored.source]
    return _("Current key: {key} ({where}). Leave the field empty to keep it.").format(
        key=stored.masked, where=where
    )


class Outcome(NamedTuple):
    ok: bool
    text: str


def describe_outcome(
    result: BalanceResponse | ApiError | ConfigError, lang: Language = ENGLISH
) -> Outcome:
    """A Test result in words, one line."""
    from tray_app.api.client import BalanceResponse

    if isinstance(result, BalanceResponse):
        balance = result.balance
        return Outcome(
            True,
            lang.gettext("OK: {balance} of {total} credits").format(
                balance=fmt.credits(balance.total_balance, lang),
                total=fmt.credits(balance.total_amount, lang),
            ),
        )
    return Outcome(False, _error_text(result, lang))


def _error_text(error: ApiError | ConfigError, lang: Language) -> str:
    from tray_app.api.client import ApiError, AuthError, RateLimited, ServerError, problem_of

    if not isinstance(error, ApiError):
        return sentence(error.text(lang))
    problem = problem_of(error)
    if isinstance(error, AuthError):
        # Here the key was just typed: checking it is the first thing to do.
        return lang.gettext("{problem} — check it and try again").format(
            problem=lang.gettext(errors.LABEL[problem])
        )
    if isinstance(error, RateLimited):
        return errors.labelled(problem, None, error.retry_after, lang)
    if isinstance(error, ServerError):
        return errors.labelled(problem, f"HTTP {error.status}", lang=lang)
    # The client's words (a timeout, a refused connection) in the window's language too.
    return errors.labelled(problem, error.text(lang), lang=lang)
