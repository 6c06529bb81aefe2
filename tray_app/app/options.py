"""How the tray app is started: its options, and the demo's (the simulated API, fast pacing)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tray_app.config.model import AccountConfig, Settings
from tray_app.config.paths import AppPaths
from tray_app.core.pacing import DEMO, PRODUCTION, PacingProfile

if TYPE_CHECKING:
    from tray_app.runtime.poll_result import BalanceSource


def open_in_browser(url: str) -> bool:
    """`webbrowser.open`, imported on the first menu click rather than at start: the idle
    tray does not need it (issue 9's memory target)."""
    import webbrowser

    return webbrowser.open(url)


@dataclass(frozen=True)
class AppOptions:
    paths: AppPaths
    autostart: bool = False
    #: A fixed source (the demo's simulated API); None means "the user's key and base URL".
    demo_source: Callable[[], BalanceSource] | None = None
    demo_settings: Settings | None = None
    #: The demo's key per account name (issue 12: the simulated server tells accounts apart by
    #: key); demo_source serves the first account for code that watches one account only.
    demo_keys: Mapping[str, str] | None = None
    pacing: PacingProfile = PRODUCTION
    #: Opens a web page (webbrowser.open honours $BROWSER; the desktop tests set it).
    open_url: Callable[[str], bool] = open_in_browser


def demo_options(paths: AppPaths, base_url: str, keys: Mapping[str, str]) -> AppOptions:
    """Options for `lensmor-tray demo`: the simulated API, fast pacing, a separate data dir.

    `keys` maps each demo account's name to its key, in order (the first is the default)."""
    from tray_app.api.client import client_for_profile

    demo_paths = AppPaths(
        config_file=paths.config_file,
        data_dir=paths.data_dir / "demo",
        log_dir=paths.log_dir,
    )
    accounts = tuple(AccountConfig(name) for name in keys)
    settings = Settings(base_url=base_url, poll_interval=5, accounts=accounts)
    first_key = next(iter(keys.values()))
    return AppOptions(
        paths=demo_paths,
        demo_source=lambda: client_for_profile(base_url, first_key, DEMO),
        demo_settings=settings,
        demo_keys=dict(keys),
        pacing=DEMO,
    )
