"""What `lensmor-tray doctor`'s checks share: the context gathered once. The checks run one
probe per account side by side (`bounded.all_within`), so ten accounts take as long as the
slowest."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tray_app.config.model import DEFAULT_ACCOUNT, Settings
from tray_app.config.paths import AppPaths
from tray_app.core.doctor import CheckResult, Verdict
from tray_app.core.language import ENGLISH, Language

OK, WARN, FAIL = Verdict.OK, Verdict.WARN, Verdict.FAIL


@dataclass
class Context:
    """What every check may need, gathered once. `keys`: each account's key as the key check
    found it (None: none); `key` is the default account's (what the API check sends when the
    key check did not run)."""

    paths: AppPaths
    environ: Mapping[str, str]
    #: The language of every detail and fix (English for --json).
    lang: Language = ENGLISH
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
