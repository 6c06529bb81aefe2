"""The adapters that let one Monitor per account share one tray icon and one notifier.

`TrayBoard` is the tray each account's Monitor hands its snapshot to (through `slot(name)`):
it keeps every account's latest snapshot, presents them all at once (core/accounts_view.py,
pure) and shows the view on the real tray when it changed: the one place where views are
made and ordered. `NamedNotifier` puts the account's name before each notification's title
("Work: Lensmor credits low") when there are several accounts, and keeps the notifications
of different accounts from replacing each other.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from tray_app.core.account_label import shown_name
from tray_app.core.accounts_view import badge_account, present_accounts
from tray_app.core.language import ENGLISH, Language
from tray_app.core.view import AccountSnapshot, TrayView
from tray_app.core.view_clock import changes_at
from tray_app.notify.base import Notification
from tray_app.runtime.monitor import NotifierPort

log = logging.getLogger(__name__)


class ViewPort(Protocol):
    """The real tray: shows a whole view (tray/)."""

    def show(self, view: TrayView) -> None: ...


class TrayBoard:
    def __init__(
        self,
        tray: ViewPort,
        names: Sequence[str],
        pinned: str | None = None,
        lang: Language = ENGLISH,
    ) -> None:
        self._tray = tray
        self._lang = lang
        self._lock = threading.Lock()  # guards the fields below; never held across show()
        self._show_lock = threading.Lock()
        self._names = tuple(names)
        self._snapshots: dict[str, AccountSnapshot] = {}
        self._slots: dict[str, _Slot] = {}  # the one live slot of each account
        self._pinned = pinned
        self._made = 0
        self._shown = 0
        self._on_screen: TrayView | None = None
        #: Told when the view next changes by time alone (`set_view_timer`).
        self._view_timer: Callable[[float | None], None] | None = None
        self._timer_lock = threading.Lock()
        self._timed = 0

    def slot(self, name: str) -> _Slot:
        """`name`'s tray port; a slot handed out earlier for the same name stops showing (a
        monitor a reload replaced, whose poll was still in flight)."""
        slot = _Slot(self, name)
        with self._lock:
            self._slots[name] = slot
            self._snapshots.pop(name, None)  # the new monitor numbers its snapshots afresh
        return slot

    @property
    def pinned(self) -> str | None:
        with self._lock:
            return self._pinned

    def badge_account(self) -> str:
        with self._lock:
            return badge_account(self._names, self._snapshots, self._pinned)

    def pin(self, name: str | None) -> None:
        with self._lock:
            self._pinned = name
            combined, seq = self._combine()
        self._show(combined, seq)

    def set_accounts(self, names: Sequence[str], pinned: str | None) -> None:
        """After a config reload: the accounts (in menu order) and the pin."""
        with self._lock:
            self._names = tuple(names)
            self._snapshots = {n: v for n, v in self._snapshots.items() if n in self._names}
            self._slots = {n: s for n, s in self._slots.items() if n in self._names}
            self._pinned = pinned
            combined, seq = self._combine()
        self._show(combined, seq)

    def show_for(self, name: str, snapshot: AccountSnapshot, slot: _Slot | None = None) -> None:
        with self._lock:
            if name not in self._names or (slot is not None and self._slots.get(name) is not slot):
                return  # an account removed (or rebuilt) while its last poll was in flight
            known = self._snapshots.get(name)
            if known is not None and known.seq >= snapshot.seq:
                return  # a newer one arrived first (a pause made while a poll finished)
            self._snapshots[name] = snapshot
            combined, seq = self._combine()
        self._show(combined, seq)

    def set_view_timer(self, timer: Callable[[float | None], None]) -> None:
        """`timer(when)` is called whenever the shown snapshots change, with the earliest time
        their view changes by time alone (core/view_clock.py; None: never): the scheduler
        re-presents the view then, instead of on a fixed tick."""
        with self._lock:
            self._view_timer = timer

    def _combine(self) -> tuple[TrayView | None, int]:
        """Present every account's latest snapshot (under the lock), numbered."""
        self._made += 1
        view = present_accounts(self._names, self._snapshots, self._pinned, lang=self._lang)
        return view, self._made

    def _next_change(self) -> float | None:
        """When the view of the latest snapshots next changes by time alone (under the lock)."""
        times = [t for s in self._snapshots.values() if (t := changes_at(s)) is not None]
        return min(times) if times else None

    def _show(self, view: TrayView | None, seq: int) -> None:
        # Views are numbered under the lock; an older one never replaces a newer one on
        # screen when two threads (two accounts' polls, a menu's pause) show at once.
        with self._lock:
            timer, when = self._view_timer, self._next_change()
        if timer is not None:
            with self._timer_lock:
                if seq > self._timed:  # the newest snapshots' time wins, as for the view
                    self._timed = seq
                    timer(when)
        if view is None:
            return
        with self._show_lock:
            if seq <= self._shown:
                return
            self._shown = seq
            if view == self._on_screen:
                return
            self._on_screen = view
            self._tray.show(view)


@dataclasses.dataclass(frozen=True, eq=False)  # compared by identity: one live slot per name
class _Slot:
    """One account's TrayPort on the board."""

    board: TrayBoard
    name: str

    def show(self, snapshot: AccountSnapshot) -> None:
        self.board.show_for(self.name, snapshot, self)


class NamedNotifier:
    """`inner` with the account named in every notification while `several()` is true: by
    the name people see (core/account_label.py: "Main" in `lang` for the unnamed account,
    unless one of `names()`, the accounts now, is called that), as the menu names it."""

    def __init__(
        self,
        inner: NotifierPort,
        name: str,
        several: Callable[[], bool],
        lang: Language = ENGLISH,
        names: Callable[[], Sequence[str]] = tuple,
    ) -> None:
        self._inner = inner
        self.name = name
        self._several = several
        self._lang = lang
        self._names = names

    def send(self, n: Notification) -> object:
        if self._several():
            shown = shown_name(self.name, self._names(), self._lang)
            n = dataclasses.replace(
                n,
                title=self._lang.gettext("{account}: {title}").format(account=shown, title=n.title),
                # One account's notification must not replace another's on screen.
                family=f"{self.name}/{n.family}" if n.family else "",
                key=f"{self.name}/{n.key}" if n.key else "",
            )
        return self._inner.send(n)
