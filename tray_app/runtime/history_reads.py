"""What each poll reads back from the history: the forecast's samples and the usage figures,
read in full once and then only what was recorded since (issue 20).

With a year of history the full reads cost a poll about 1 ms of CPU (scans of the last 14 and
30 days), as much as the rest of the poll. Between two polls the history only grows by the
rows the monitor itself recorded, so a later poll adds those rows to what it read before
(`usage_between` is additive over adjacent ranges) and reads nothing when none was written.
What slid out of the 14- and 30-day windows meanwhile is dropped only by a full read, done
again after `REUSE_S`, at local midnight (usage "today" starts again) and after the daily
compaction (`forget`), so the forecast and the 30-day usage lag by that at most.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from tray_app.core import fmt
from tray_app.core.forecast import Sample
from tray_app.core.usage import USAGE_WINDOW_S
from tray_app.history.store import HistoryStore
from tray_app.history.usage_data import usage_today

FORECAST_WINDOW_S = 14 * 86400
#: The longest a read is reused for.
REUSE_S = 900.0

T = TypeVar("T")
V = TypeVar("V")
Usage = tuple[float | None, float | None]


class Guard(Protocol):
    """The monitor's `_guard`: runs a step, logs its failure and returns None instead."""

    def __call__(self, what: str, fn: Callable[..., T], *args: object) -> T | None: ...


@dataclass(frozen=True)
class _Kept(Generic[V]):
    #: Up to when `value` has been brought, and when it was last read in full.
    at: float
    full_at: float
    value: V

    def reusable(self, now: float) -> bool:
        return self.at <= now and 0 <= now - self.full_at < REUSE_S and _day(now) == _day(self.at)


class HistoryReads:
    """One account's latest history reads, kept up to date by the rows recorded since."""

    def __init__(self, store: HistoryStore, guard: Guard) -> None:
        self._store = store
        self._guard = guard
        self._lock = threading.Lock()  # guards the fields below
        self._samples: _Kept[list[Sample]] | None = None
        self._usage: _Kept[Usage] | None = None
        # A row was written since the samples / the usage kept were read.
        self._samples_grown = self._usage_grown = False

    def recorded(self) -> None:
        """The monitor wrote a row (or may have: a write that failed)."""
        with self._lock:
            self._samples_grown = self._usage_grown = True

    def forget(self) -> None:
        """The rows changed under us (the compaction): read in full next time."""
        with self._lock:
            self._samples = self._usage = None

    def samples(self, now: float) -> list[Sample]:
        """The balances of the forecast window."""
        with self._lock:
            kept, grown = self._samples, self._samples_grown
        if kept is not None and kept.reusable(now):
            if not grown:
                return kept.value
            # Rows are recorded at their poll's time, after the read at `kept.at`.
            added = self._guard("read history", self._store.spending_samples, kept.at + 1e-6)
            if added is not None:
                start = now - FORECAST_WINDOW_S
                samples = [s for s in kept.value if s[0] >= start] + added
                self._keep(samples=_Kept(now, kept.full_at, samples))
                return samples
        samples = (
            self._guard("read history", self._store.spending_samples, now - FORECAST_WINDOW_S) or []
        )
        self._keep(samples=_Kept(now, now, samples))
        return samples

    def usage(self, now: float) -> Usage:
        """Credits spent today and over the usage window (None: unknown)."""
        with self._lock:
            kept, grown = self._usage, self._usage_grown
        if kept is not None and kept.reusable(now) and None not in kept.value:
            if not grown:
                return kept.value
            # The last read summed up to kept.at + 1 (exclusive); add from there.
            added = self._guard("read usage", self._store.usage_between, kept.at + 1, now + 1)
            if added is not None:
                today, window = kept.value
                usage = (today + added if today is not None else None, (window or 0.0) + added)
                self._keep(usage=_Kept(now, kept.full_at, usage))
                return usage
        today = self._guard("read usage", usage_today, self._store, now, None)
        window = self._guard("read usage", self._store.usage_between, now - USAGE_WINDOW_S, now + 1)
        self._keep(usage=_Kept(now, now, (today, window)))
        return today, window

    def _keep(
        self,
        *,
        samples: _Kept[list[Sample]] | None = None,
        usage: _Kept[Usage] | None = None,
    ) -> None:
        with self._lock:
            if samples is not None:
                self._samples, self._samples_grown = samples, False
            if usage is not None:
                self._usage, self._usage_grown = usage, False


def _day(at: float) -> object:
    return fmt.local_datetime(at).date()
