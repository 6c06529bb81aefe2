"""The accounts the tray runs, in config order, and how a reload changes them.

`RunningAccounts.follow` applies one reload's diff (`app/reload.py`'s `plan_reload`): it builds the
accounts added (all or none), then reconfigures the changed ones (a new key or base URL gets a
new client; a monitor on "Key rejected" or "no key" polls at once), and stops the removed ones
after the board and the feed files have let go of them, so that a poll of a removed account in
flight shows, publishes and records nothing. Only the reload queue's thread calls `follow`;
every other thread reads a copy of the list (`all()`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from tray_app.app.reload import AccountRuntime, Credentials, ReloadPlan, Wiring, plan_reload
from tray_app.config.model import Settings

if TYPE_CHECKING:
    from tray_app.runtime.poll_result import BalanceSource
    from tray_app.runtime.scheduler import PollScheduler


def account_settings(settings: Settings, name: str) -> Settings:
    """The settings one account's Monitor works with: its own [alerts] override applied, and
    only its own account (so adding another account or pinning one changes nothing here)."""
    account = settings.account(name)
    return replace(
        settings, alerts=settings.alerts_for(name), accounts=(account,), badge_account=None
    )


def wiring_of(settings: Settings, name: str, credentials: Credentials | None) -> Wiring:
    return Wiring(
        credentials.digest() if credentials is not None else None,
        account_settings(settings, name),
    )


BuildAccount = Callable[[str, Settings, "Credentials | None"], AccountRuntime]


class RunningAccounts:
    def __init__(
        self,
        build: BuildAccount,
        source: Callable[[Credentials | None], BalanceSource | None],
    ) -> None:
        self._build = build
        self._source = source
        self._lock = threading.Lock()  # guards _runtimes; never held while building
        self._runtimes: list[AccountRuntime] = []
        self._scheduler: PollScheduler | None = None

    def start_with(self, runtimes: Sequence[AccountRuntime], scheduler: PollScheduler) -> None:
        """The accounts the app starts with, each given a poll job on `scheduler` (which
        polls them once it is started)."""
        with self._lock:
            self._runtimes = list(runtimes)
            self._scheduler = scheduler
        for runtime in runtimes:
            scheduler.add(runtime.name, runtime.monitor)

    def all(self) -> list[AccountRuntime]:
        with self._lock:
            return list(self._runtimes)

    def first(self) -> AccountRuntime | None:
        with self._lock:
            return self._runtimes[0] if self._runtimes else None

    def several(self) -> bool:
        with self._lock:
            return len(self._runtimes) > 1

    def follow(
        self,
        settings: Settings,
        credentials: Mapping[str, Credentials | None],
        let_go: Callable[[Settings], None],
    ) -> ReloadPlan:
        """Bring the running accounts in line with `settings` and the keys read just now.
        `let_go(settings)` tells the board and the feed files which accounts there are now."""
        from tray_app.runtime.monitor import KEEP_SOURCE

        scheduler = self._scheduler
        if scheduler is None:
            raise RuntimeError("follow() before start_with()")  # a wiring bug
        names = settings.account_names
        wanted = {name: wiring_of(settings, name, credentials.get(name)) for name in names}
        running = {runtime.name: runtime for runtime in self.all()}
        plan = plan_reload({name: r.wiring for name, r in running.items()}, wanted)
        # The added accounts first: a build that fails leaves the running ones as they were
        # (the whole reload is done again by the next one) and leaks none built before it.
        added = self._build_all(plan.added, settings, credentials)
        for name in plan.changed:
            runtime, wiring = running[name], wanted[name]
            same_key = wiring.credentials == runtime.wiring.credentials
            source = KEEP_SOURCE if same_key else self._source(credentials.get(name))
            runtime.monitor.reconfigure(source=source, settings=wiring.settings)
            runtime.wiring = wiring
        order = {name: index for index, name in enumerate(names)}
        with self._lock:
            kept = [runtime for runtime in self._runtimes if runtime.name in order]
            self._runtimes = sorted(kept + added, key=lambda r: order[r.name])
        # The board and the feeds let go of a removed account before its monitor is closed:
        # its poll still in flight then shows and publishes nothing.
        let_go(settings)
        for name in plan.removed:
            self.stop(running[name])
        now = time.time()
        for runtime in added:
            runtime.monitor.show_saved(now)
        # Every running account has its poll job afterwards: the added ones, and any an
        # earlier reload that died half way left without one.
        for runtime in self.all():
            polls = scheduler.account(runtime.name)
            if polls is None:
                scheduler.add(runtime.name, runtime.monitor)  # polls at once
            elif runtime.name in plan.changed:
                polls.refresh_now()  # a rejected key's successor is tried now
        return plan

    def stop(self, runtime: AccountRuntime) -> None:
        """Stop one account. The monitor first: it cuts a request in flight and waits for a
        balance being recorded, so the wait for its poll is short and the store can close."""
        runtime.monitor.close()
        if self._scheduler is not None:
            self._scheduler.remove(runtime.name)
        runtime.store.close()

    def stop_all(self) -> None:
        """At quit: every monitor closed first (each saves its state and cuts its request),
        then the scheduler stopped, then the stores closed."""
        runtimes = self.all()
        for runtime in runtimes:
            runtime.monitor.close()
        if self._scheduler is not None:
            self._scheduler.stop()
        for runtime in runtimes:
            runtime.store.close()

    def _build_all(
        self,
        names: Sequence[str],
        settings: Settings,
        credentials: Mapping[str, Credentials | None],
    ) -> list[AccountRuntime]:
        """Build `names`, or none: when one build fails, those built before it are stopped
        (their history store closed, their board slot and feed port left to the next build)."""
        built: list[AccountRuntime] = []
        try:
            for name in names:
                built.append(self._build(name, settings, credentials.get(name)))
        except BaseException:
            for runtime in built:  # not on the scheduler yet
                runtime.monitor.close()
                runtime.store.close()
            raise
        return built
