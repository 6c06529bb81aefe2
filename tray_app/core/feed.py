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
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tray_app.core import errors, fmt
from tray_app.core.balance import Balance, Number
from tray_app.core.levels import Level, Threshold, level_for
from tray_app.core.saved import opt_float
from tray_app.core.state import MonitorState, Problem
from tray_app.core.view import Extras, MenuRow, TrayView, present

DEFAULT_ACCOUNT = "default"
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
class AccountSnapshot:
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

    @property
    def feed_class(self) -> FeedClass:
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
) -> AccountSnapshot:
    """One account's snapshot from the monitor's state; `interval` is the poll interval."""
    view = present(state, thresholds, now, Extras(poll_interval=interval))
    balance = state.balance
    return AccountSnapshot(
        account=account,
        balance=balance,
        fetched_at=state.fetched_at,
        last_poll_at=state.last_poll_at,
        problem=state.problem,
        level=None if balance is None else level_for(balance, thresholds),
        # With no balance at all, nothing shown is current either.
        stale=state.is_stale or state.is_outdated(now, interval) or balance is None,
        view=view,
    )


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
        problem_since=opt_float(data.get("problemSince")) if problem else None,
        last_poll_at=opt_float(data.get("lastPollAt")),
    )


def worst(accounts: Sequence[AccountSnapshot]) -> AccountSnapshot:
    """The account to put in a one-line bar: the highest class, then the lowest share left."""
    if not accounts:
        raise ValueError("no accounts to show")
    return max(accounts, key=lambda a: (a.feed_class.rank, -(a.percent or 0)))


# -- one line of text per account ----------------------------------------------------------------


def short_text(account: AccountSnapshot, *, named: bool) -> str:
    """The bar text of one account: "30k (86%)", "Key rejected"; prefixed "name: " if `named`."""
    b = account.balance
    if b is None or account.problem in (Problem.NO_KEY, Problem.KEY_REJECTED):
        text = errors.LABEL[account.problem] if account.problem else "checking…"
    else:
        pct = account.percent
        text = fmt.compact(b.total_balance) + (f" ({pct}%)" if pct is not None else "")
        if account.stale:
            text += " ?"  # a question mark: the number may no longer be true
    return f"{account.account}: {text}" if named else text


def _tooltip_line(account: AccountSnapshot, named: bool) -> str:
    title = account.view.title
    return f"{account.account} — {title}" if named else title


def _named(accounts: Sequence[AccountSnapshot]) -> bool:
    return len(accounts) > 1


# -- waybar --------------------------------------------------------------------------------------


def waybar(accounts: Sequence[AccountSnapshot]) -> str:
    """One JSON line for a waybar custom module with `"return-type": "json"`."""
    top = worst(accounts)
    named = _named(accounts)
    out: dict[str, object] = {
        "text": short_text(top, named=named),
        "tooltip": "\n".join(_tooltip_line(a, named) for a in accounts),
        "class": top.feed_class.value,
        "alt": top.feed_class.value,
    }
    if top.percent is not None:
        out["percentage"] = top.percent
    return json.dumps(out, ensure_ascii=False)


# -- i3blocks and polybar ------------------------------------------------------------------------


def i3blocks(accounts: Sequence[AccountSnapshot]) -> str:
    """i3blocks' line protocol: full_text, short_text, color (one per line)."""
    top = worst(accounts)
    named = _named(accounts)
    full = " · ".join(short_text(a, named=named) for a in accounts)
    return "\n".join((full, short_text(top, named=named), CLASS_COLOUR[top.feed_class]))


def polybar(accounts: Sequence[AccountSnapshot]) -> str:
    """One line for a polybar custom/script module, coloured with %{F#rrggbb}…%{F-}."""
    top = worst(accounts)
    # polybar reads "%{" as the start of a formatting tag; any other "%" is shown as it is
    # ("%%" is not an escape in polybar, unlike lemonbar: polybar/polybar#2748 is unmerged).
    text = short_text(top, named=_named(accounts)).replace("%{", "% {")
    return f"%{{F{CLASS_COLOUR[top.feed_class]}}}{text}%{{F-}}"


# -- xbar / SwiftBar -----------------------------------------------------------------------------


def _xbar_escape(text: str) -> str:
    # "|" starts the parameters of an xbar line and "---" alone is a separator.
    return text.replace("|", "¦").replace("\n", " ")


def _xbar_rows(rows: Sequence[MenuRow], depth: int) -> list[str]:
    lines: list[str] = []
    for row in rows:
        if row.separator:
            continue
        if row.action is not None or row.children:
            continue  # the app's own actions work in the tray; the bar offers Refresh only
        lines.append("--" * depth + _xbar_escape(row.text))
    return lines


def xbar(
    accounts: Sequence[AccountSnapshot], badge_png_b64: str, refresh_command: Sequence[str]
) -> str:
    """The xbar/SwiftBar plugin output. `badge_png_b64` is the worst account's badge as a
    base64 PNG; `refresh_command` the argv that asks the running app to refresh."""
    top = worst(accounts)
    named = _named(accounts)
    lines = [
        f"{_xbar_escape(short_text(top, named=named))} | image={badge_png_b64} "
        f"color={CLASS_COLOUR[top.feed_class]}",
        "---",
    ]
    for account in accounts:
        if named:
            lines.append(f"{_xbar_escape(account.account)} | color=gray")
            lines.extend(_xbar_rows(account.view.rows, 1))
        else:
            lines.extend(_xbar_rows(account.view.rows, 0))
    lines.append("---")
    params = [f"shell={_xbar_quote(refresh_command[0])}"]
    params += [f"param{i}={_xbar_quote(arg)}" for i, arg in enumerate(refresh_command[1:], 1)]
    lines.append("Refresh | " + " ".join(params) + " terminal=false refresh=true")
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


def prometheus(accounts: Sequence[AccountSnapshot]) -> str:
    """The text exposition format (version 0.0.4), ending in a newline."""
    named = _named(accounts)

    def account_label(a: AccountSnapshot) -> list[tuple[str, str]]:
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


def age_line(account: AccountSnapshot, now: float) -> str:
    """ "Updated 14:02 (3 min ago)", with "out of date" past two poll intervals."""
    if account.fetched_at is None:
        return "Never updated"
    text = f"Updated {fmt.clock(account.fetched_at)} ({fmt.duration(now - account.fetched_at)} ago)"
    if account.problem is not None:
        text += f" · {errors.LABEL[account.problem]}"
    if account.stale:
        text += " · out of date"
    return text


def json_object(account: AccountSnapshot) -> dict[str, object]:
    """`status --json`'s object for one account: the seven API fields, level, percentRemaining,
    fetchedAt (ISO UTC, null when never), stale, and the problem if any."""
    out: dict[str, object] = {}
    if account.balance is not None:
        out.update(account.balance.to_api_dict())
        fraction = account.balance.fraction_remaining
        out["level"] = account.level.value if account.level else None
        out["percentRemaining"] = None if fraction is None else round(fraction * 100, 2)
    out["fetchedAt"] = None if account.fetched_at is None else fmt.iso_utc(account.fetched_at)
    out["stale"] = account.stale
    out["problem"] = account.problem.value if account.problem else None
    return out
