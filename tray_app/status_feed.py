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

from tray_app.cached_state import read_saved_state
from tray_app.core import feed
from tray_app.core.feed import AccountSnapshot
from tray_app.core.language import ENGLISH, Language
from tray_app.core.state import MonitorState, PollResult, advance
from tray_app.settings import AccountConfig, AlertSettings, AppPaths, Settings
from tray_app.status_text import status_text

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
) -> list[AccountSnapshot]:
    thresholds = _alerts_of(settings, account).thresholds
    return [feed.snapshot_of(state, thresholds, settings.poll_interval, now, account, lang=lang)]


def _alerts_of(settings: Settings, account: str) -> AlertSettings:
    """The account's own [alerts] if it has them (issue 12), else the global ones."""
    named = [a for a in settings.accounts if a.name == account]
    return named[0].alerts or settings.alerts if named else settings.alerts


def fetched_state(result: PollResult) -> MonitorState:
    """The state after one successful fetch (what `status` without --cached shows)."""
    return advance(MonitorState(), result)


def cached_accounts(
    saved: dict[str, object],
    settings: Settings,
    now: float,
    account: str = feed.DEFAULT_ACCOUNT,
    lang: Language = ENGLISH,
) -> list[AccountSnapshot]:
    """The account in one saved state (each account's history file holds its own)."""
    state = feed.state_from_saved(saved.get("monitor"))
    return live_accounts(state, settings, now, account, lang)


def cached_output(
    name: str,
    paths: AppPaths,
    settings: Settings,
    accounts: Sequence[AccountConfig],
    *,
    config: Path | None,
    now: float,
    lang: Language,
) -> str | None:
    """`status --cached --format name` for `accounts` (without the final newline): each
    account's last saved state, read and never written. None when no account has one (the app
    never ran here). Raises `CachedStateError` for a state file that cannot be read.

    The one implementation behind both the full CLI and the fast path (tray_app/entry.py), so
    that the two cannot print different things."""
    snapshots = []
    for account in accounts:
        saved = read_saved_state(paths.history_db_for(account.name))
        if saved is not None:
            snapshots += cached_accounts(saved, settings, now, account.name, lang)
    if not snapshots:
        return None
    refresh = refresh_argv(config) if name == "xbar" else []
    return render(name, snapshots, settings, now, refresh_command=refresh, cached=True)


def render(
    name: str,
    accounts: Sequence[AccountSnapshot],
    settings: Settings,
    now: float,
    *,
    refresh_command: Sequence[str] = (),
    cached: bool = False,
) -> str:
    """The output of `status --format name` (without the final newline)."""
    if name == "json":
        objects = [feed.json_object(a) for a in accounts]
        if len(objects) == 1:
            return json.dumps(objects[0])
        return json.dumps(
            {"accounts": {a.account: o for a, o in zip(accounts, objects, strict=True)}}
        )
    if name == "xbar":
        badge = badge_png_base64(feed.worst(accounts))
        return feed.xbar(accounts, badge, refresh_command)
    if name == "text":
        return text(accounts, settings, now, cached=cached)
    line_formats: dict[str, Callable[[Sequence[AccountSnapshot]], str]] = {
        "waybar": feed.waybar,
        "i3blocks": feed.i3blocks,
        "polybar": feed.polybar,
        "prometheus": feed.prometheus,
    }
    return line_formats[name](accounts).rstrip("\n")


def text(
    accounts: Sequence[AccountSnapshot], settings: Settings, now: float, *, cached: bool
) -> str:
    blocks = []
    for account in accounts:
        lines = []
        if len(accounts) > 1:
            lines.append(f"[{account.account}]")
        if account.balance is not None:
            alerts = _alerts_of(settings, account.account)
            lines.append(status_text(account.balance, alerts, now, account.lang))
        else:
            lines.append(account.view.title)
        if cached:
            lines.append("  " + feed.age_line(account, now))
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def badge_png_base64(account: AccountSnapshot) -> str:
    import base64
    import io

    from tray_app.ui.icon import BadgeRenderer

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


def saved_state_path(paths: AppPaths) -> Path:
    return paths.history_db
