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
from tray_app.core import feed
from tray_app.core.feed import BarAccount
from tray_app.core.language import ENGLISH, Language
from tray_app.core.state import MonitorState, PollResult, advance

#: Badge size for xbar/SwiftBar: menu bar images are 18 pt, drawn at 2x for Retina screens.
XBAR_BADGE_PX = 36

NEVER_RAN_HINT = (
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
    monitor = saved.get("monitor")
    version = monitor.get("version") if isinstance(monitor, dict) else None
    if version != STATE_VERSION:
        # Not this copy's format: a newer one (after a downgrade), or no poll saved yet.
        newer = type(version) is int and version > STATE_VERSION
        why = feed.NEWER_STATE if newer else feed.NOT_POLLED
        return [_unknown(why, settings, now, account, lang)]
    state = feed.state_from_saved(monitor)
    return live_accounts(state, settings, now, account, lang)


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
    snapshots = []
    saved_any = False
    for account in accounts:
        try:
            saved = read_saved_state(paths.history_db_for(account.name))
        except CachedStateError as exc:
            if on_unreadable is None or len(accounts) == 1:
                raise
            on_unreadable(account.name, exc)
            snapshots.append(_unknown(feed.UNREADABLE, settings, now, account.name, lang))
            saved_any = True
            continue
        if saved is None:
            snapshots.append(_unknown(feed.NOT_POLLED, settings, now, account.name, lang))
        else:
            saved_any = True
            snapshots += cached_accounts(saved, settings, now, account.name, lang)
    if not saved_any:
        return None
    refresh = refresh_argv(config) if name == "xbar" else []
    return render(name, snapshots, settings, now, refresh_command=refresh, cached=True)


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
