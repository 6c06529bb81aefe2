"""Feed files for tools that read files: rewritten atomically by the running app after each poll
and at each reload (an account removed from the config leaves the files at once).

`[integrations]` in config.toml names them (`feed_settings`): a Prometheus textfile for the node
exporter's textfile collector, and a waybar JSON line. A reader never sees half a file: each is
written to a temporary file in the same folder and renamed over the old one. A failure (a folder
that does not exist, a full disk) is logged once per path until it works again; it never stops
the poll loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from tray_app.config.model import Settings
from tray_app.core import feed
from tray_app.core.language import ENGLISH, Language
from tray_app.core.state import MonitorState
from tray_app.support.atomic_files import replace_atomically

log = logging.getLogger(__name__)


class FeedWriter:
    """Writes the feed files from every account's latest state.

    Each account's monitor gets `for_account(name)` as its feed port and publishes after each
    applied poll result (outside its lock, from its own poll thread); the files always carry
    every account of the config that has polled, in config order, so several accounts never
    overwrite each other's line. `set_accounts` (a reload) drops removed accounts and rewrites
    the files; a port handed out before a reload for an account that is gone (its last poll
    still in flight) or rebuilt publishes nothing.
    """

    def __init__(
        self, accounts: Sequence[str] = (feed.DEFAULT_ACCOUNT,), lang: Language = ENGLISH
    ) -> None:
        self._order = tuple(accounts)
        self._lang = lang  # the words of the waybar tooltip and text
        self._lock = threading.Lock()  # one writer at a time; guards the fields below
        self._latest: dict[str, feed.BarAccount] = {}
        self._ports: dict[str, AccountFeed] = {}  # the one live port of each account
        self._failing: set[Path] = set()  # paths whose last write failed (logged once)

    def for_account(self, name: str) -> AccountFeed:
        port = AccountFeed(self, name)
        with self._lock:
            self._ports[name] = port
        return port

    def set_accounts(self, names: Sequence[str], settings: Settings) -> None:
        """After a reload: the accounts in config order. A removed account's series and line
        leave the files now (not at the next poll: a frozen series would fire staleness
        alerts, and waybar would go on showing it as the worst account)."""
        with self._lock:
            self._order = tuple(names)
            self._latest = {n: s for n, s in self._latest.items() if n in self._order}
            self._ports = {n: p for n, p in self._ports.items() if n in self._order}
            # Even when none of the accounts left has polled yet: the removed one's lines go.
            self._write_all(settings, even_empty=True)

    def publish(
        self,
        state: MonitorState,
        settings: Settings,
        now: float,
        account: str = feed.DEFAULT_ACCOUNT,
    ) -> None:
        self._publish(state, settings, now, account, None)

    def publish_through(
        self, port: AccountFeed, state: MonitorState, settings: Settings, now: float
    ) -> None:
        """`port`'s publish: ignored unless `port` is still its account's live port."""
        self._publish(state, settings, now, port.account, port)

    def _publish(
        self,
        state: MonitorState,
        settings: Settings,
        now: float,
        account: str,
        port: AccountFeed | None,
    ) -> None:
        targets = settings.integrations
        if targets.prometheus_textfile is None and targets.waybar_file is None:
            return
        snapshot = feed.snapshot_of(
            state, settings.alerts.thresholds, settings.poll_interval, now, account, lang=self._lang
        )
        with self._lock:
            if account not in self._order or (
                port is not None and self._ports.get(account) is not port
            ):
                return  # removed (or rebuilt) by a reload while this poll was in flight
            self._latest[account] = snapshot
            self._write_all(settings)

    def _write_all(self, settings: Settings, *, even_empty: bool = False) -> None:
        """Write every account's latest snapshot (under the lock). With none to write, the
        files are left as they are unless `even_empty`: then they say "nothing known"."""
        accounts = [self._latest[n] for n in self._order if n in self._latest]
        targets = settings.integrations
        if not accounts and not even_empty:
            return
        if targets.prometheus_textfile is not None:
            # With no account: only the HELP and TYPE lines, no series.
            self._write(targets.prometheus_textfile, feed.prometheus(accounts))
        if targets.waybar_file is not None:
            self._write(targets.waybar_file, feed.waybar(accounts) + "\n")

    def _write(self, path: Path, text: str) -> None:
        try:
            write_atomically(path, text.encode("utf-8"))
        except OSError as exc:
            if path not in self._failing:
                log.warning("cannot write the feed file %s: %s", path, exc.strerror or exc)
                self._failing.add(path)
            return
        if path in self._failing:
            log.info("the feed file %s is written again", path)
            self._failing.discard(path)


class AccountFeed:
    """One account's feed port (`monitor.FeedPort`): publishes under that account's name."""

    def __init__(self, writer: FeedWriter, account: str) -> None:
        self._writer = writer
        self.account = account

    def publish(self, state: MonitorState, settings: Settings, now: float) -> None:
        self._writer.publish_through(self, state, settings, now)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename; readable by others (0644: a node exporter
    running as its own user reads it; nothing secret is in a feed)."""
    replace_atomically(path, data, mode=0o644, durable=False, create_folder=False)
