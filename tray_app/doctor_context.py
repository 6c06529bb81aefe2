"""What `lensmor-tray doctor`'s checks share: the context gathered once, and running one probe
per account side by side under one deadline (so ten accounts take as long as the slowest)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from tray_app.bounded import all_within
from tray_app.core.doctor import CheckResult, Verdict
from tray_app.settings import DEFAULT_ACCOUNT, AppPaths, Settings

OK, WARN, FAIL = Verdict.OK, Verdict.WARN, Verdict.FAIL
T = TypeVar("T")


@dataclass
class Context:
    """What every check may need, gathered once. `keys`: each account's key as the key check
    found it (None: none); `key` is the default account's (what the API check sends when the
    key check did not run)."""

    paths: AppPaths
    environ: Mapping[str, str]
    settings: Settings = field(default_factory=Settings)
    config_error: str = ""
    key: str | None = None
    keys: dict[str, str | None] = field(default_factory=dict)

    def key_of(self, account: str) -> str | None:
        if account in self.keys:
            return self.keys[account]
        return self.key if account == DEFAULT_ACCOUNT else None

    def label(self, account: str) -> str | None:
        """The account to name on a per-account line: none for the one unnamed account of a
        config without [[accounts]] (its lines read as they did before there were accounts)."""
        return None if self.settings.account_names == (DEFAULT_ACCOUNT,) else account


Check = Callable[[Context], list[CheckResult]]


def in_parallel(
    calls: Sequence[Callable[[], T]], timeout: float, name: str = "doctor-probe"
) -> list[T | None]:
    """Every call at once; each answer, or None for a call that raised or did not finish
    within `timeout`."""
    return all_within([(call, timeout) for call in calls], name)
