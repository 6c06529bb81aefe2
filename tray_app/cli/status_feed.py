"""`status --format …` and `status --cached`: the account snapshots in the chosen format.

The wiring between the CLI and `core.feed` (pure formatting): it reads the saved state
(`cached_state`), renders the xbar badge (Pillow, for that format only) and knows the command
that asks the running app to refresh. Kept free of `requests` and the API client, so that
`status --cached` starts fast (see docs/benchmarks.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from tray_app.cli.cached_state import CachedStateError, read_saved_state
from tray_app.cli.status_text import status_text
from tray_app.config.model import AccountConfig, AlertSettings, Settings
from tray_app.config.paths import AppPaths
from tray_app.core import feed, fmt, view_clock
from tray_app.core.feed import BarAccount
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.core.state import MonitorState, PollResult, advance
from tray_app.core.view import AccountSnapshot, Extras

#: Badge size for xbar/SwiftBar: menu bar images are 18 pt, drawn at 2x for Retina screens.
XBAR_BADGE_PX = 36

NEVER_RAN_HINT = N_(
    "no saved state yet: start the tray app (`lensmor-tray`); `status --cached` shows what it "
    "last fetched"
)


def live_accounts(
    state: MonitorState,
    settings: Settings,
    now: float,
    account: str = feed.DEFAULT_ACCOUNT,
    lang: Language = ENGLISH,
) -> list[BarAccount]:
    thresholds = _alerts_of(settings, account).thresholds
    return [feed.snapshot_of(state, thresholds, settings.poll_interval, now, account, lang=lang)]


def _alerts_of(settings: Settings, account: str) -> AlertSettings:
    """The account's own [alerts] if it has them (issue 12), else the global ones."""
    named = [a for a in settings.accounts if a.name == account]
    return named[0].alerts or settings.alerts if named else settings.alerts


def fetched_state(result: PollResult) -> MonitorState:
    """The state after one successful fetch (what `status` without --cached shows)."""
    return advance(MonitorState(), result)


#: `cached_timeline` looks at most this many moments per output it keeps.
MOMENTS_PER_OUTPUT = 8
#: How much earlier than `view_clock.changes_at` an output of `cached_timeline` stops being
#: claimed: changes_at answers up to 1 ms after a change (a countdown's next second, the
#: moment a balance is outdated), so that the tray's timer lands after it, not on it.
TIMELINE_EDGE_S = 0.01

#: The version of the monitor state this copy writes (core.state.MonitorState.to_json).
STATE_VERSION = 1


def cached_accounts(
    saved: dict[str, object],
    settings: Settings,
    now: float,
    account: str = feed.DEFAULT_ACCOUNT,
    lang: Language = ENGLISH,
) -> list[BarAccount]:
    """The account in one saved state (each account's history file holds its own)."""
    return [_bar_account(account, _saved_monitor(saved), settings, now, lang)]


#: One account as read for `status --cached`: its monitor state, or why there is none
#: (feed.NOT_POLLED, feed.UNREADABLE, feed.NEWER_STATE).
_Read = tuple[str, MonitorState | str]


def _saved_monitor(saved: dict[str, object]) -> MonitorState | str:
    monitor = saved.get("monitor")
    version = monitor.get("version") if isinstance(monitor, dict) else None
    if version != STATE_VERSION:
        # Not this copy's format: a newer one (after a downgrade), or no poll saved yet.
        newer = type(version) is int and version > STATE_VERSION
        return feed.NEWER_STATE if newer else feed.NOT_POLLED
    return feed.state_from_saved(monitor)


def _bar_account(
    account: str, read: MonitorState | str, settings: Settings, now: float, lang: Language
) -> BarAccount:
    if isinstance(read, str):
        return _unknown(read, settings, now, account, lang)
    return live_accounts(read, settings, now, account, lang)[0]


def _unknown(why: str, settings: Settings, now: float, account: str, lang: Language) -> BarAccount:
    thresholds = _alerts_of(settings, account).thresholds
    return feed.unknown_account(why, thresholds, settings.poll_interval, now, account, lang=lang)


def cached_output(
    name: str,
    paths: AppPaths,
    settings: Settings,
    accounts: Sequence[AccountConfig],
    *,
    config: Path | None,
    now: float,
    lang: Language,
    on_unreadable: Callable[[str, CachedStateError], None] | None = None,
) -> str | None:
    """`status --cached --format name` for `accounts` (without the final newline): each
    account's last saved state, read and never written, in the shape of `status --format name`
    (one account: its object or line; several: each of them, in config order). An account
    without a saved state is listed as not polled yet. None when no account has one (the app
    never ran here).

    A state file that cannot be read raises `CachedStateError`, unless there are several
    accounts and `on_unreadable` is given: it is then told (account name, error) and the
    account is listed as unreadable, so that one bad file does not hide the other accounts.

    The one implementation behind both the full CLI and the fast path (tray_app/entry.py), so
    that the two cannot print different things."""
    reads = _read_accounts(paths, accounts, on_unreadable)
    if reads is None:
        return None
    refresh = refresh_argv(config) if name == "xbar" else []
    return _render_reads(name, reads, settings, now, lang=lang, refresh=refresh)


def cached_timeline(
    name: str,
    paths: AppPaths,
    settings: Settings,
    accounts: Sequence[AccountConfig],
    *,
    config: Path | None,
    now: float,
    lang: Language,
    on_unreadable: Callable[[str, CachedStateError], None] | None = None,
    max_entries: int,
) -> list[tuple[float, float | None, str]] | None:
    """`cached_output` from `now` on, as long as the saved states stay as they are: up to
    `max_entries` (start, until, output), each output what `cached_output` prints at every
    moment from `start` up to (not including) `until`; None as the last `until`: the output
    no longer changes by time. Between one `until` and the next `start` (TIMELINE_EDGE_S)
    nothing is claimed. The states are read once.

    `status --cached` keeps these (cli/status_memo.py), so that the next runs print the
    output of their moment without reading anything but the memo."""
    reads = _read_accounts(paths, accounts, on_unreadable)
    if reads is None:
        return None
    refresh = refresh_argv(config) if name == "xbar" else []
    timeline: list[tuple[float, float | None, str]] = []
    at = now
    # Bounded twice: in outputs kept, and in moments looked at (an output may stay the same
    # over many of them, e.g. a problem's "since 14:02" each minute in a format without it).
    for _ in range(max_entries * MOMENTS_PER_OUTPUT):
        output = _render_reads(name, reads, settings, at, lang=lang, refresh=refresh)
        changes = _output_changes_at(name, reads, settings, at)
        until = None if changes is None else max(at, changes - TIMELINE_EDGE_S)
        if timeline and timeline[-1][2] == output:
            timeline[-1] = (timeline[-1][0], until, output)  # unchanged since its start
        elif len(timeline) == max_entries:
            return timeline
        elif not timeline or until is None or until > at:
            # The first is `now`'s output even when a change is due within TIMELINE_EDGE_S
            # (it then claims no moment after `now`); a later one that claims none is left out.
            timeline.append((at, until, output))
        if changes is None or changes <= at:  # never expected (view_clock): stop, not loop
            return timeline
        at = changes
    return timeline


def _read_accounts(
    paths: AppPaths,
    accounts: Sequence[AccountConfig],
    on_unreadable: Callable[[str, CachedStateError], None] | None,
) -> list[_Read] | None:
    """Each account's saved state, read once (see `cached_output` for `on_unreadable`)."""
    reads: list[_Read] = []
    saved_any = False
    for account in accounts:
        try:
            saved = read_saved_state(paths.history_db_for(account.name))
        except CachedStateError as exc:
            if on_unreadable is None or len(accounts) == 1:
                raise
            on_unreadable(account.name, exc)
            reads.append((account.name, feed.UNREADABLE))
            saved_any = True
            continue
        if saved is None:
            reads.append((account.name, feed.NOT_POLLED))
        else:
            saved_any = True
            reads.append((account.name, _saved_monitor(saved)))
    return reads if saved_any else None


def _render_reads(
    name: str,
    reads: Sequence[_Read],
    settings: Settings,
    now: float,
    *,
    lang: Language,
    refresh: Sequence[str],
) -> str:
    snapshots = [_bar_account(account, read, settings, now, lang) for account, read in reads]
    return render(name, snapshots, settings, now, refresh_command=refresh, cached=True)


def _output_changes_at(
    name: str, reads: Sequence[_Read], settings: Settings, now: float
) -> float | None:
    """The earliest time after `now` at which `status --cached --format name` could print
    something else with the same saved states: when any account's view changes by time
    (core/view_clock.py) or, in the text format, its "Updated 14:02 (3 min ago)" line."""
    times = []
    for account, read in reads:
        if isinstance(read, str):
            continue  # "not polled yet" and the like do not change by time
        extras = Extras(poll_interval=settings.poll_interval)
        snapshot = AccountSnapshot(
            account, read, _alerts_of(settings, account).thresholds, now, extras
        )
        times.append(view_clock.changes_at(snapshot))
        if name == "text" and read.fetched_at is not None:
            age = now - read.fetched_at
            times.append(now + fmt.duration_changes_in(age, counting_down=False))
    known = [t for t in times if t is not None]
    return min(known) if known else None


def render(
    name: str,
    accounts: Sequence[BarAccount],
    settings: Settings,
    now: float,
    *,
    refresh_command: Sequence[str] = (),
    cached: bool = False,
) -> str:
    """The output of `status --format name` (without the final newline)."""
    if name == "json":
        # The shape of `status --json`: one account, its object; several, a list in config
        # order, each object naming its account.
        if len(accounts) == 1:
            return json.dumps(feed.json_object(accounts[0]))
        objects = [{"account": a.account, **feed.json_object(a)} for a in accounts]
        return json.dumps({"accounts": objects})
    if name == "xbar":
        badge = badge_png_base64(feed.worst(accounts))
        return feed.xbar(accounts, badge, refresh_command)
    if name == "text":
        return text(accounts, settings, now, cached=cached)
    line_formats: dict[str, Callable[[Sequence[BarAccount]], str]] = {
        "waybar": feed.waybar,
        "i3blocks": feed.i3blocks,
        "polybar": feed.polybar,
        "prometheus": feed.prometheus,
    }
    return line_formats[name](accounts).rstrip("\n")


def text(accounts: Sequence[BarAccount], settings: Settings, now: float, *, cached: bool) -> str:
    """The shape of `status`: one account, its text; several, a block per account (its name,
    then its text indented), a blank line between them. `cached` adds how old each one is."""
    if len(accounts) == 1:
        return _text_of(accounts[0], settings, now, cached=cached)
    blocks = []
    for account in accounts:
        body = _text_of(account, settings, now, cached=cached)
        blocks.append(account.account + "".join(f"\n  {line}" for line in body.splitlines()))
    return "\n\n".join(blocks)


def _text_of(account: BarAccount, settings: Settings, now: float, *, cached: bool) -> str:
    if account.unknown is not None:
        return account.lang.gettext(account.unknown)
    if account.balance is not None:
        alerts = _alerts_of(settings, account.account)
        head = status_text(account.balance, alerts, now, account.lang)
    else:
        head = account.view.title
    return head + ("\n  " + feed.age_line(account, now) if cached else "")


def badge_png_base64(account: BarAccount) -> str:
    import base64
    import io

    from tray_app.tray.badge_renderer import BadgeRenderer

    image = BadgeRenderer(max_entries=1).render(account.view.badge, XBAR_BADGE_PX)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def refresh_argv(config: Path | None) -> list[str]:
    """The command that asks the running app to refresh (`lensmor-tray refresh`)."""
    from tray_app.autostart.launcher import resolve_launch_command

    argv = list(resolve_launch_command().program)
    if config is not None:
        argv += ["--config", str(config.resolve())]
    return [*argv, "refresh"]
