"""Builds the object graph and runs the tray app. The only wiring module.

`build()` reads as the app's one page: settings → tray (tray/start.py picks the native
StatusNotifierItem on Linux, pystray elsewhere and for XEmbed-only trays, or headless) →
notifier chain → tray board and feed files → one poll scheduler → the accounts → start at
login; `run()` takes the single-instance lock, installs the signals and runs the tray's loop,
building everything after the tray once the loop is up (`_start_behind_the_icon`).
Nothing here decides policy: menu actions go to the part that owns them, the Settings and
Usage windows are child processes (child_windows.py), and reloads (SIGHUP, the CLI's key and
account commands, the Settings window) all go through one `ReloadQueue` (reload.py): one at a
time, diffing the config against the running accounts (running_accounts.py).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tray_app.app.child_windows import ChildWindows
from tray_app.app.options import AppOptions
from tray_app.app.pin_memory import PinMemory
from tray_app.app.reload import AccountRuntime, Credentials, ReloadQueue
from tray_app.app.running_accounts import RunningAccounts, wiring_of
from tray_app.app.start_files import claim_at_start
from tray_app.autostart import Autostart, autostart_for, resolve_launch_command
from tray_app.config.loading import load_settings
from tray_app.config.model import API_KEYS_URL, DASHBOARD_URL, ConfigError, Settings
from tray_app.config.urls import effective_base_url
from tray_app.core.language import ENGLISH, Message
from tray_app.core.pause import for_an_hour, tomorrow_morning
from tray_app.core.view import Action, MenuAction, PinAccount
from tray_app.keys.key_store import KeyStore
from tray_app.support.aio_loop import AsyncioThread
from tray_app.support.i18n import language_from_environ
from tray_app.support.instance import AlreadyRunning, InstanceLock
from tray_app.support.signal_inbox import SignalInbox, install_signal_inbox
from tray_app.support.threads import in_background
from tray_app.tray.base import Tray
from tray_app.tray.start import open_tray

if TYPE_CHECKING:
    # Imported where they are used, after the tray item is on the bus (`_run_locked`):
    # requests, APScheduler, sqlite3 and the notifiers take about 0.3 s to import, and
    # start -> item registered is a benchmarked figure (issue 9, docs/benchmarks.md).
    from tray_app.notify.desktop_backend import DesktopNotifierBackend
    from tray_app.notify.hooks import HookRunner
    from tray_app.runtime.board import TrayBoard
    from tray_app.runtime.feeds import FeedWriter
    from tray_app.runtime.monitor import Monitor, NotifierPort
    from tray_app.runtime.poll_result import BalanceSource
    from tray_app.runtime.scheduler import PollScheduler

log = logging.getLogger(__name__)

#: How long quitting waits for the accounts still being built behind the icon.
BUILD_WAIT_S = 10.0


class TrayApp:
    def __init__(self, options: AppOptions, environ: dict[str, str] | None = None) -> None:
        self.options = options
        self.paths = options.paths
        self.environ = dict(os.environ if environ is None else environ)
        self.settings = Settings()
        self._quit = threading.Event()
        #: Set once the accounts are built (`_build_accounts`), or their building ended.
        self._built = threading.Event()
        self._start_error: BaseException | None = None
        self.tray: Tray | None = None
        #: One per account, in the config's order (issue 12); changed by reloads only.
        self.accounts = RunningAccounts(self._build_account, self._source)
        self.board: TrayBoard | None = None
        #: Polls every account (one job each); built with the accounts.
        self.scheduler: PollScheduler | None = None
        self._notifier: NotifierPort | None = None
        self._feed: FeedWriter | None = None  # the status-bar feed files, all accounts
        self._reloads = ReloadQueue(self._reload_now)  # every reload runs on its thread
        self._pins = PinMemory(self.paths.config_file)  # writes the badge pin, in order
        self._signals: SignalInbox | None = None
        self._refused_config: str | None = None  # the last invalid config's problem, said once
        self.lang = ENGLISH
        self._lock = InstanceLock(self.paths.lock_file)
        self._windows = ChildWindows(
            self.paths.config_file, self.paths.data_dir, on_settings_closed=self.request_reload
        )
        self._autostart: Autostart | None = None
        self._autostart_enabled: bool | None = None
        # One asyncio loop for every D-Bus part (desktop-notifier; the native tray too).
        self.aio = AsyncioThread()
        self._desktop_notifier: DesktopNotifierBackend | None = None
        self._hooks: HookRunner | None = None  # runs every account's [[hooks]]

    # -- building ------------------------------------------------------------------------------
    def _load_settings(self) -> Settings:
        if self.options.demo_settings is not None:
            return self.options.demo_settings
        return load_settings(self.paths.config_file)

    def _credentials(self, settings: Settings, account: str) -> Credentials | None:
        """`account`'s base URL and key as they are now (None: no key, or the demo's source)."""
        demo_keys = self.options.demo_keys
        if demo_keys is not None and account in demo_keys:
            # The demo's own server, whatever LENSMOR_BASE_URL says.
            return Credentials(settings.base_url_for(account), demo_keys[account])
        if self.options.demo_source is not None:
            return None
        # The keyring in a child process: its backends (30 MB on Linux) never stay in the tray.
        keys = KeyStore(
            self.paths.key_file, account, environ=self.environ, read_keyring_in_child=True
        )
        stored = keys.load()
        if stored is None:
            log.info("%s: no API key configured", account)
            return None
        log.info("%s: using the key %s from %s", account, stored.masked, stored.source.value)
        return Credentials(effective_base_url(settings, self.environ, account), stored.value)

    def _source(self, credentials: Credentials | None) -> BalanceSource | None:
        from tray_app.api.client import client_for_profile

        if credentials is None:
            demo_source = self.options.demo_source
            return demo_source() if demo_source is not None else None
        return client_for_profile(credentials.base_url, credentials.key, self.options.pacing)

    # -- the accounts --------------------------------------------------------------------------
    @property
    def monitor(self) -> Monitor | None:
        """The first account's monitor (all there is with one account)."""
        first = self.accounts.first()
        return first.monitor if first is not None else None

    def _runtimes(self) -> list[AccountRuntime]:
        return self.accounts.all()

    def _several(self) -> bool:
        return self.accounts.several()

    def _build_account(
        self, name: str, settings: Settings, credentials: Credentials | None
    ) -> AccountRuntime:
        if self.board is None or self._notifier is None:
            raise RuntimeError("the tray and notifier are built first")  # a wiring bug
        from tray_app.history.store import HistoryStore
        from tray_app.runtime.board import NamedNotifier
        from tray_app.runtime.monitor import Monitor

        store = HistoryStore.open(self.paths.history_db_for(name))
        wiring = wiring_of(settings, name, credentials)
        monitor = Monitor(
            source=self._source(credentials),
            store=store,
            notifier=NamedNotifier(
                self._notifier, name, self._several, self.lang, lambda: self.settings.account_names
            ),
            tray=self.board.slot(name),
            settings=wiring.settings,
            pacing=self.options.pacing,
            autostart_state=lambda: self._autostart_enabled,
            lang=self.lang,
            feed=self._feed.for_account(name) if self._feed is not None else None,
            name=name,
            hooks=self._hooks,
        )
        return AccountRuntime(name, store, monitor, wiring)

    def _say(self, message: str) -> None:
        # The log in English; the person in their language (a Message words itself).
        log.warning("%s", message)
        text = message.text(self.lang) if isinstance(message, Message) else message
        print(f"lensmor-tray: {text}", file=sys.stderr, flush=True)

    # -- running -------------------------------------------------------------------------------
    def run(self) -> int:
        # Before the lock: once the lock file has this PID, `key set` or `account add` may send
        # SIGHUP and a second start SIGUSR1, whose default actions end the process, while the
        # tray is still starting (waiting for the tray host at login). Until the accounts run,
        # a SIGHUP only queues a reload and a SIGUSR1 refreshes nothing.
        self._signals = install_signal_inbox(
            {"SIGHUP": self.request_reload, "SIGUSR1": self._refresh}
        )
        try:
            try:
                notice = claim_at_start(self._lock, self.paths, self.environ)
            except AlreadyRunning:
                return 0  # the running one was asked to refresh (and that was said)
            if notice is not None:
                self._say(notice)  # a data folder or lock file that cannot be used: one line
            try:
                return self._run_locked()
            finally:
                self._lock.release()
        finally:
            if self._signals is not None:
                self._signals.close()

    def _run_locked(self) -> int:
        tray = self._open_tray()
        self._install_signal_handlers()
        try:
            tray.run(self._start_behind_the_icon)
        finally:
            # A quit while the accounts were being built waits for that to end (bounded: a
            # keyring that never answers is not waited for).
            self._built.wait(BUILD_WAIT_S)
            self._shutdown()
        if self._start_error is not None:
            raise self._start_error  # as if build() had raised: cli/main.py words it
        return 0

    def build(self) -> Tray:
        """Everything but the main loop: settings, tray, notifier, board, feeds, accounts."""
        tray = self._open_tray()
        self._build_accounts()
        return tray

    def _open_tray(self) -> Tray:
        """The settings, the language and the tray: what the icon needs to show."""
        self.settings = self._load_settings()
        self.lang = language_from_environ(self.environ)  # loads the catalog: once
        self.tray = open_tray(
            self.environ, self._on_action, self.aio, at_login=self.options.autostart, say=self._say
        )
        return self.tray

    def _start_behind_the_icon(self) -> None:
        """Once the tray's loop is up (its setup thread): the accounts are built, then polled.

        Built here, not before the loop, so that on pystray's trays (XEmbed) the icon shows
        while requests, APScheduler, the history files and the notifiers are imported and
        opened behind it: about 0.1 s sooner (issue 20; the native item is on the bus from
        `open_tray` on). Until then a menu click other than Quit does nothing."""
        try:
            if not self._quit.is_set():
                self._build_accounts()
        except BaseException as exc:  # noqa: BLE001 - raised again on the main thread
            self._start_error = exc
            self.quit()
            return
        finally:
            self._built.set()
        if not self._quit.is_set():
            self._started()

    def _build_accounts(self) -> None:
        """The notifier chain, the board and feeds, the scheduler, the accounts, autostart."""
        tray = self.tray
        assert tray is not None  # noqa: S101 - _open_tray first
        from tray_app.notify.chain import build_default_chain
        from tray_app.notify.desktop_backend import DesktopNotifierBackend
        from tray_app.notify.plyer_backend import find_app_icon
        from tray_app.runtime.board import TrayBoard
        from tray_app.runtime.feeds import FeedWriter
        from tray_app.runtime.scheduler import PollScheduler

        self.aio.start()
        desktop = DesktopNotifierBackend(self.aio, self._on_notification_action, icon=find_app_icon)
        self._notifier = build_default_chain(icon_provider=self._pystray_icon, first=desktop)
        from tray_app.notify.hooks import HookRunner

        self._hooks = HookRunner(self.environ)
        names = self.settings.account_names
        self.board = TrayBoard(tray, names, self.settings.badge_account, self.lang)
        self._feed = FeedWriter(names, self.lang)
        self.scheduler = PollScheduler(pacing=self.options.pacing)
        self.board.set_view_timer(self.scheduler.plan_view)
        self.accounts.start_with(
            [
                self._build_account(name, self.settings, self._credentials(self.settings, name))
                for name in names
            ],
            self.scheduler,
        )
        self._init_autostart()
        self._built.set()

    def _pystray_icon(self) -> object | None:
        return self.tray.notify_icon() if self.tray is not None else None

    def _started(self) -> None:
        """Runs once the icon loop is up (in pystray's setup thread)."""
        now = time.time()
        for runtime in self._runtimes():
            runtime.monitor.show_saved(now)
        if self.scheduler is not None:
            # Every account polls at once, each STAGGER_GAP_S apart (and every later poll).
            self.scheduler.start()
        self._reloads.start()  # serves a reload asked for while starting, too
        log.info("started")

    def _install_signal_handlers(self) -> None:
        # SIGHUP and SIGUSR1 go through the SignalInbox (see run).
        handlers: dict[str, Callable[[int, Any], None]] = {
            "SIGTERM": lambda *_: self.quit(),
            "SIGINT": lambda *_: self.quit(),
        }
        for name, handler in handlers.items():
            number = getattr(signal, name, None)
            if number is not None:
                signal.signal(number, handler)

    def _refresh(self) -> None:
        if self.scheduler is not None:
            self.scheduler.refresh_now()

    def quit(self) -> None:
        if self._quit.is_set():
            return
        self._quit.set()
        log.info("quitting")
        if self.tray is not None:
            self.tray.stop()

    def _shutdown(self) -> None:
        # No reload may build an account after this point; one running is waited for.
        self._reloads.stop()
        self._pins.close()  # a pin made just before quitting is written (the config lock)
        self._windows.close_settings()
        # The monitors first: each saves its state and cuts a request in flight, so the
        # scheduler's wait for that poll is short even when the server never answers.
        self.accounts.stop_all()
        if self._hooks is not None:
            self._hooks.close()  # a hook still running gets a moment, then is killed
        if self._desktop_notifier is not None:
            self._desktop_notifier.close()
        self.aio.stop()
        log.info("stopped")

    def request_reload(self) -> int:
        """Ask for a reload without waiting; a ticket for `ReloadQueue.wait`."""
        return self._reloads.request()

    def reload(self, timeout: float = 60.0) -> bool:
        """Re-read the config and the keys, and wait until the running accounts follow them
        (accounts added start polling, removed ones stop, changed ones get their new key and
        settings and poll at once). False when it did not happen within `timeout`."""
        return self._reloads.wait(self._reloads.request(), timeout)

    def _reload_now(self) -> None:
        """The reload itself: only ever run by the reload queue's one thread."""
        board, feed = self.board, self._feed
        if board is None or feed is None or self._quit.is_set():
            return
        try:
            settings = self._load_settings()
        except ConfigError as exc:
            self._config_not_reloaded(exc)
            return
        self._refused_config = None
        names = settings.account_names
        credentials = {name: self._credentials(settings, name) for name in names}
        self.settings = settings

        def let_go(settings: Settings) -> None:
            board.set_accounts(names, settings.badge_account)
            feed.set_accounts(names, settings)

        plan = self.accounts.follow(settings, credentials, let_go)
        log.info("reloaded the config and the keys (%d accounts: %s)", len(names), plan)

    def _config_not_reloaded(self, exc: ConfigError) -> None:
        """A config that became invalid: the tray keeps running on the one it has, and says
        so where the person who changed it will see it (once per problem, not per SIGHUP):
        on stderr and in a notification in their language, in the log in English."""
        from tray_app.app.reload import config_not_reloaded

        detail = str(exc)
        if detail == self._refused_config:
            log.info("config still not reloaded: %s", detail)
            return
        self._refused_config = detail
        log.warning("config not reloaded, still using the previous one: %s", detail)
        text = exc.text(self.lang)
        line = self.lang.gettext(
            "config not reloaded, still using the previous one: {detail}"
        ).format(detail=text)
        print(f"lensmor-tray: {line}", file=sys.stderr, flush=True)
        if self._notifier is not None:
            self._notifier.send(config_not_reloaded(text, self.lang))

    # -- start at login ------------------------------------------------------------------------
    def _init_autostart(self) -> None:
        if self.options.demo_source is not None:
            return  # the demo does not offer to start itself at login
        try:
            self._autostart = autostart_for(
                environ=self.environ, home=Path.home(), launcher=resolve_launch_command()
            )
            self._autostart_enabled = self._autostart.status().enabled
        except (ConfigError, OSError) as exc:
            log.warning("start at login is not available: %s", exc)
            self._autostart = None
            self._autostart_enabled = None

    def _toggle_autostart(self) -> None:
        if self._autostart is None:
            return
        status = self._autostart.disable() if self._autostart_enabled else self._autostart.enable()
        self._autostart_enabled = self._autostart.status().enabled
        where = status.detail or status.location
        log.info("start at login: %s (%s)", self._autostart_enabled, where)
        now = time.time()
        for runtime in self._runtimes():
            runtime.monitor.show_saved(now)

    # -- menu actions --------------------------------------------------------------------------
    def _on_action(self, action: MenuAction) -> None:
        if not self._built.is_set() and action is not Action.QUIT:
            log.debug("menu action %s before the accounts are built: ignored", action)
            return
        if isinstance(action, PinAccount):
            self._pin(action.account)
        elif action in (Action.PAUSE_HOUR, Action.PAUSE_TOMORROW, Action.RESUME):
            self._pause_or_resume(action, time.time())
        elif action is Action.REFRESH:
            self._refresh()
        elif action is Action.OPEN_DASHBOARD:
            in_background(lambda: self._open_url(DASHBOARD_URL), name="lensmor-open-url")
        elif action is Action.OPEN_API_KEYS:
            in_background(lambda: self._open_url(API_KEYS_URL), name="lensmor-open-url")
        elif action is Action.SETTINGS:
            self._windows.open_settings()
        elif action is Action.USAGE:
            self._windows.open_usage(self._usage_account())
        elif action is Action.TOGGLE_AUTOSTART:
            self._toggle_autostart()
        elif action is Action.QUIT:
            self.quit()

    def _pause_or_resume(self, action: Action, now: float) -> None:
        """Notifications are paused and resumed for every account at once."""
        for runtime in self._runtimes():
            if action is Action.PAUSE_HOUR:
                runtime.monitor.pause(for_an_hour(now), now)
            elif action is Action.PAUSE_TOMORROW:
                runtime.monitor.pause(tomorrow_morning(now), now)
            else:
                runtime.monitor.resume(now)

    def _pin(self, account: str | None) -> None:
        """Show `account` on the badge (None: the one closest to running out) at once; it is
        remembered in the config as `badge_account` in the background (pin_memory.py; the demo
        keeps it for the session only)."""
        if self.board is None:
            return
        self.board.pin(account)
        self.settings = replace(self.settings, badge_account=account)
        if self.options.demo_settings is None:
            self._pins.remember(account)

    def _usage_account(self) -> str | None:
        """With several accounts, the Usage window shows the one on the badge (the one the
        user is looking at)."""
        if self.board is None or not self._several():
            return None
        return self.board.badge_account()

    def _on_notification_action(self, action_id: str) -> None:
        """A notification's button or body was clicked (on a thread of its own)."""
        try:
            action = Action(action_id)
        except ValueError:
            log.warning("unknown notification action %r", action_id)
            return
        self._on_action(action)

    def _open_url(self, url: str) -> None:
        if not self.options.open_url(url):
            log.warning("no web browser found to open %s", url)
