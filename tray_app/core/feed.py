"""The balance in the formats status bars and scrapers read: pure functions, no I/O.

Every format takes a list of named account snapshots, so that several Lensmor accounts can be
shown side by side later; today there is one, named `DEFAULT_ACCOUNT`. Bars with one line of
text (waybar, i3blocks, polybar, xbar) show the *worst* account and list all of them in their
tooltip or menu; Prometheus labels each series with `account` only when there are several, so
a single-account setup keeps short series names.

Formats (`FORMATS`):
    waybar      one JSON line: text, tooltip, class (ok, low, critical, depleted, stale,
                error), percentage (custom module with "return-type": "json")
    i3blocks    full_text, short_text, color lines (the persistent-less line protocol)
    polybar     one line with a %{F#rrggbb}…%{F-} colour tag (custom/script module)
    xbar        the xbar/SwiftBar plugin protocol: a title line with `| image=` (the badge as
                base64 PNG, given by the caller), `---`, the menu's rows, a Refresh action
    prometheus  the text exposition format (node exporter textfile collector)

Each format is read by another program with its own syntax, and account names are typed by
people (`R&D`, `a|b`, `--Ops`, `%{F#f00}`): every text is escaped for the program that reads it
(`fmt.markup_escaped`, `polybar_text`, `xbar_text`, `_label_value`). An account whose saved state
cannot be shown (not polled yet, unreadable, written by a newer version) is still listed, with
why (`unknown_account`), so that the output keeps one shape.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tray_app.core import errors, fmt
from tray_app.core.balance import API_FIELDS, Balance, Number
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.core.levels import Level, Threshold, level_for
from tray_app.core.saved import opt_float
from tray_app.core.state import MonitorState, Problem
from tray_app.core.view import Extras, TrayView, present

DEFAULT_ACCOUNT = "default"
#: Why nothing is known of an account (`BarAccount.unknown`); English in JSON.
NOT_POLLED = N_("not polled yet")
UNREADABLE = N_("saved state unreadable")
NEWER_STATE = N_("saved by a newer version of lensmor-tray")
CHECKING = N_("checking…")
FORMATS = ("text", "json", "waybar", "i3blocks", "polybar", "xbar", "prometheus")


class FeedClass(str, enum.Enum):
    """The CSS class (waybar) and colour key of one account, worst last."""

    OK = "ok"
    STALE = "stale"
    LOW = "low"
    CRITICAL = "critical"
    DEPLETED = "depleted"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return list(FeedClass).index(self)


#: Colours of the classes for bars that take one (i3blocks, polybar, xbar): the badge's
#: palette family (green, amber, red, dark red), grey for out of date.
CLASS_COLOUR: dict[FeedClass, str] = {
    FeedClass.OK: "#2E9E44",
    FeedClass.STALE: "#8A8A8A",
    FeedClass.LOW: "#E0A100",
    FeedClass.CRITICAL: "#D93025",
    FeedClass.DEPLETED: "#8B0000",
    FeedClass.ERROR: "#D93025",
}


@dataclass(frozen=True)
class BarAccount:
    """What the bars show of one account at `now`."""

    account: str
    balance: Balance | None
    #: When the balance was fetched (Unix seconds); None when never.
    fetched_at: float | None
    #: When the app last asked the API, successfully or not (None: unknown).
    last_poll_at: float | None
    problem: Problem | None
    level: Level | None
    #: Not known to be current: the last poll failed, or it is older than two poll intervals.
    stale: bool
    #: The tray's view of the account (badge, tooltip, menu rows), from core.view.
    view: TrayView
    #: The language of the words people read (bar text, tooltip, menu rows); the class,
    #: percentage, JSON and Prometheus stay the same in every language.
    lang: Language = field(default=ENGLISH, compare=False, repr=False)
    #: Why nothing is known of the account (NOT_POLLED, UNREADABLE, NEWER_STATE): it is
    #: listed with that instead of a number. None when its state was read.
    unknown: str | None = None

    @property
    def feed_class(self) -> FeedClass:
        if self.unknown == NOT_POLLED:
            return FeedClass.STALE  # grey: nothing to show yet, which is not an error
        if self.balance is None or self.problem in (Problem.NO_KEY, Problem.KEY_REJECTED):
            return FeedClass.ERROR
        if self.level is Level.DEPLETED:
            return FeedClass.DEPLETED
        if self.stale:
            return FeedClass.STALE
        return FeedClass(self.level.value if self.level else "ok")

    @property
    def percent(self) -> int | None:
        fraction = None if self.balance is None else self.balance.fraction_remaining
        return None if fraction is None else round(fraction * 100)


def snapshot_of(
    state: MonitorState,
    thresholds: tuple[Threshold, ...],
    interval: float | None,
    now: float,
    account: str = DEFAULT_ACCOUNT,
    *,
    lang: Language = ENGLISH,
) -> BarAccount:
    """One account's snapshot from the monitor's state; `interval` is the poll interval."""
    view = present(state, thresholds, now, Extras(poll_interval=interval), lang=lang)
    balance = state.balance
    return BarAccount(
        account=account,
        balance=balance,
        fetched_at=state.fetched_at,
        last_poll_at=state.last_poll_at,
        problem=state.problem,
        level=None if balance is None else level_for(balance, thresholds),
        # With no balance at all, nothing shown is current either.
        stale=state.is_stale or state.is_outdated(now, interval) or balance is None,
        view=view,
        lang=lang,
    )


def unknown_account(
    why: str,
    thresholds: tuple[Threshold, ...],
    interval: float | None,
    now: float,
    account: str,
    *,
    lang: Language = ENGLISH,
) -> BarAccount:
    """An account of the config whose state cannot be shown, and `why` (NOT_POLLED…)."""
    empty = snapshot_of(MonitorState(), thresholds, interval, now, account, lang=lang)
    return replace(empty, unknown=why)


def reason(account: BarAccount) -> str | None:
    """Why an account has no number (English, for JSON); None when it has one."""
    if account.unknown is not None:
        return account.unknown
    if account.balance is not None:
        return None
    return errors.LABEL[account.problem] if account.problem else CHECKING


def state_from_saved(data: Any) -> MonitorState:
    """The monitor state the running app last saved (the "monitor" part of its saved state),
    as that app saw it: unlike `MonitorState.from_json` (a restart, where the balance is "not
    yet refreshed"), the problem of its last poll is kept and nothing is marked as previous."""
    state = MonitorState.from_json(data)
    if not isinstance(data, dict):
        return state
    problem = None
    try:
        problem = Problem(data["problem"]) if data.get("problem") else None
    except ValueError:
        problem = None
    return replace(
        state,
        from_previous_run=False,
        problem=problem,
        problem_since=_saved_time(data.get("problemSince")) if problem else None,
        last_poll_at=_saved_time(data.get("lastPollAt")),
        fetched_at=_saved_time(state.fetched_at),
        last_change_at=_saved_time(state.last_change_at),
    )


#: The latest time a saved state can hold (3000-01-01 UTC): the date functions fail on a time
#: past the year 9999 in the reader's zone, and a damaged or hand-edited file can hold any number.
LATEST_SAVED_TIME = 32_503_680_000.0


def _saved_time(value: object) -> float | None:
    """A time read from the saved state, or None when there is none or it is not a real time."""
    seconds = opt_float(value)
    return seconds if seconds is not None and 0 <= seconds <= LATEST_SAVED_TIME else None


def worst(accounts: Sequence[BarAccount]) -> BarAccount:
    """The account to put in a one-line bar: the highest class, then the lowest share left."""
    if not accounts:
        raise ValueError("no accounts to show")
    return max(accounts, key=lambda a: (a.feed_class.rank, -(a.percent or 0)))


# -- one line of text per account ----------------------------------------------------------------


def short_text(account: BarAccount, *, named: bool) -> str:
    """The bar text of one account: "30k (86%)", "Key rejected"; prefixed "name: " if `named`."""
    b = account.balance
    _ = account.lang.gettext
    if account.unknown is not None:
        text = _(account.unknown)
    elif b is None or account.problem in (Problem.NO_KEY, Problem.KEY_REJECTED):
        text = _(errors.LABEL[account.problem]) if account.problem else _(CHECKING)
    else:
        pct = account.percent
        text = fmt.compact(b.total_balance) + (f" ({pct}%)" if pct is not None else "")
        if account.stale:
            text += " ?"  # a question mark: the number may no longer be true
    return f"{account.account}: {text}" if named else text


def _tooltip_line(account: BarAccount, named: bool) -> str:
    title = account.view.title if account.unknown is None else account.lang.gettext(account.unknown)
    return f"{account.account} — {title}" if named else title


def _named(accounts: Sequence[BarAccount]) -> bool:
    return len(accounts) > 1


# -- waybar --------------------------------------------------------------------------------------


def waybar(accounts: Sequence[BarAccount]) -> str:
    """One JSON line for a waybar custom module with `"return-type": "json"`; the text and the
    tooltip are Pango markup (`fmt.markup_escaped`), so the module must not set `"escape": true`.
    For no account (the last one removed before another has polled), `{"text": ""}`: waybar
    hides a custom module whose text is empty."""
    if not accounts:
        return json.dumps({"text": ""})
    top = worst(accounts)
    named = _named(accounts)
    out: dict[str, object] = {
        "text": fmt.markup_escaped(short_text(top, named=named)),
        "tooltip": fmt.markup_escaped("\n".join(_tooltip_line(a, named) for a in accounts)),
        "class": top.feed_class.value,
        "alt": top.feed_class.value,
    }
    if top.percent is not None:
        out["percentage"] = top.percent
    return json.dumps(out, ensure_ascii=False)


# -- i3blocks and polybar ------------------------------------------------------------------------


def i3blocks(accounts: Sequence[BarAccount]) -> str:
    """i3blocks' line protocol: full_text, short_text, color (one per line)."""
    top = worst(accounts)
    named = _named(accounts)
    full = " · ".join(short_text(a, named=named) for a in accounts)
    return "\n".join((full, short_text(top, named=named), CLASS_COLOUR[top.feed_class]))


def polybar_text(text: str) -> str:
    """`text` as polybar shows it as it is: polybar reads "%{" as the start of a formatting tag;
    any other "%" is shown as it is ("%%" is not an escape in polybar, unlike lemonbar:
    polybar/polybar#2748 is unmerged). A line feed would end the module's output."""
    return text.replace("%{", "% {").replace("\n", " ")


def polybar(accounts: Sequence[BarAccount]) -> str:
    """One line for a polybar custom/script module, coloured with %{F#rrggbb}…%{F-}."""
    top = worst(accounts)
    text = polybar_text(short_text(top, named=_named(accounts)))
    return f"%{{F{CLASS_COLOUR[top.feed_class]}}}{text}%{{F-}}"


# -- xbar / SwiftBar -----------------------------------------------------------------------------


#: Parameters for a line whose text a person typed (an account name). xbar turns backslash
#: sequences into characters (`ansi`, on by default: `C:\new` would show a line feed) and
#: `:name:` into emoji (`emojize`); both are xbar parameters that SwiftBar accepts too.
XBAR_LITERAL = "ansi=false emojize=false"


def xbar_text(text: str) -> str:
    """`text` as one xbar/SwiftBar menu line that shows it as it is: the first "|" starts the
    line's parameters, a leading "--" makes it a submenu row (a top-level one has no parent,
    and xbar fails on it) and a line that is "---" a separator; a line feed starts a new line.
    A zero-width space before a leading "-" keeps it text (xbar trims spaces, not that)."""
    text = text.replace("|", "¦").replace("\n", " ")
    return "\u200b" + text if text.startswith("-") else text


def _xbar_rows(account: BarAccount, depth: int) -> list[str]:
    if account.unknown is not None:
        return ["--" * depth + xbar_text(account.lang.gettext(account.unknown))]
    lines: list[str] = []
    for row in account.view.rows:
        if row.separator:
            continue
        if row.action is not None or row.children:
            continue  # the app's own actions work in the tray; the bar offers Refresh only
        lines.append("--" * depth + xbar_text(row.text))
    return lines


def xbar(accounts: Sequence[BarAccount], badge_png_b64: str, refresh_command: Sequence[str]) -> str:
    """The xbar/SwiftBar plugin output. `badge_png_b64` is the worst account's badge as a
    base64 PNG; `refresh_command` the argv that asks the running app to refresh."""
    top = worst(accounts)
    named = _named(accounts)
    title = xbar_text(short_text(top, named=named))
    lines = [
        f"{title} | image={badge_png_b64} color={CLASS_COLOUR[top.feed_class]}"
        + (f" {XBAR_LITERAL}" if named else ""),
        "---",
    ]
    for account in accounts:
        if named:
            lines.append(f"{xbar_text(account.account)} | color=gray {XBAR_LITERAL}")
            lines.extend(_xbar_rows(account, 1))
        else:
            lines.extend(_xbar_rows(account, 0))
    lines.append("---")
    params = [f"shell={_xbar_quote(refresh_command[0])}"]
    params += [f"param{i}={_xbar_quote(arg)}" for i, arg in enumerate(refresh_command[1:], 1)]
    refresh = xbar_text(top.lang.gettext("Refresh"))
    lines.append(f"{refresh} | " + " ".join(params) + " terminal=false refresh=true")
    return "\n".join(lines)


def _xbar_quote(arg: str) -> str:
    return f'"{arg}"' if " " in arg else arg


# -- Prometheus ----------------------------------------------------------------------------------

_KINDS = (
    ("total", "total_balance", "total_amount"),
    ("subscription", "subscription_balance", "subscription_amount"),
    ("gift", "gift_balance", "gift_amount"),
)


def _label_value(text: str) -> str:
    # The exposition format escapes backslash, double quote and line feed in label values.
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _sample(value: Number | float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _labels(pairs: Sequence[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_label_value(v)}"' for k, v in pairs) + "}"


def prometheus(accounts: Sequence[BarAccount]) -> str:
    """The text exposition format (version 0.0.4), ending in a newline."""
    named = _named(accounts)

    def account_label(a: BarAccount) -> list[tuple[str, str]]:
        return [("account", a.account)] if named else []

    out: list[str] = [
        "# HELP lensmor_credits Lensmor API credits: what is left (balance) and what was "
        "granted (amount), in total and per kind.",
        "# TYPE lensmor_credits gauge",
    ]
    for a in accounts:
        if a.balance is None:
            continue
        for kind, balance_attr, amount_attr in _KINDS:
            for quantity, attr in (("balance", balance_attr), ("amount", amount_attr)):
                labels = _labels([*account_label(a), ("kind", kind), ("quantity", quantity)])
                out.append(f"lensmor_credits{labels} {_sample(getattr(a.balance, attr))}")
    out += [
        "# HELP lensmor_credits_reset_timestamp_seconds When the subscription credits next "
        "reset (Unix time); absent when no reset is scheduled.",
        "# TYPE lensmor_credits_reset_timestamp_seconds gauge",
    ]
    for a in accounts:
        reset = None if a.balance is None else a.balance.reset_at_s
        if reset is not None:
            out.append(
                f"lensmor_credits_reset_timestamp_seconds{_labels(account_label(a))} "
                f"{_sample(reset)}"
            )
    out += [
        "# HELP lensmor_credits_last_success_timestamp_seconds When the balance was last "
        "fetched successfully (Unix time).",
        "# TYPE lensmor_credits_last_success_timestamp_seconds gauge",
    ]
    for a in accounts:
        if a.fetched_at is not None:
            out.append(
                f"lensmor_credits_last_success_timestamp_seconds{_labels(account_label(a))} "
                f"{_sample(round(a.fetched_at, 3))}"
            )
    out += [
        "# HELP lensmor_credits_stale 1 when the balance is not known to be current (the last "
        "poll failed or is older than two poll intervals).",
        "# TYPE lensmor_credits_stale gauge",
    ]
    for a in accounts:
        out.append(f"lensmor_credits_stale{_labels(account_label(a))} {int(a.stale)}")
    return "\n".join(out) + "\n"


# -- text and JSON -------------------------------------------------------------------------------


def age_line(account: BarAccount, now: float) -> str:
    """ "Updated 14:02 (3 min ago)", with "out of date" past two poll intervals."""
    lang = account.lang
    _ = lang.gettext
    if account.fetched_at is None:
        return _("Never updated")
    parts = [
        _("Updated {time} ({duration} ago)").format(
            time=fmt.clock(account.fetched_at, lang=lang),
            duration=fmt.duration(now - account.fetched_at, lang),
        )
    ]
    if account.problem is not None:
        parts.append(_(errors.LABEL[account.problem]))
    if account.stale:
        parts.append(_("out of date"))
    return " · ".join(parts)


def json_object(account: BarAccount) -> dict[str, object]:
    """`status --json`'s object for one account: the seven API fields, level, percentRemaining,
    fetchedAt (ISO UTC, null when never), stale, and the problem if any. Without a balance
    (not polled yet, or no poll succeeded) the same keys, null, and the `reason` in English."""
    out: dict[str, object] = {}
    if account.balance is not None:
        out.update(account.balance.to_api_dict())
        fraction = account.balance.fraction_remaining
        out["level"] = account.level.value if account.level else None
        out["percentRemaining"] = None if fraction is None else round(fraction * 100, 2)
    else:
        out.update(dict.fromkeys(api for api, _attr in API_FIELDS))
        out["level"] = out["percentRemaining"] = None
    out["fetchedAt"] = None if account.fetched_at is None else fmt.iso_utc(account.fetched_at)
    out["stale"] = account.stale
    out["problem"] = account.problem.value if account.problem else None
    if account.balance is None:
        out["reason"] = reason(account)
    return out
