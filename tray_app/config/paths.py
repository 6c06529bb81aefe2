"""Where the app keeps its files (platformdirs), per account; nothing is created here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tray_app.config.account_names import account_slug
from tray_app.config.model import APP_NAME, DEFAULT_ACCOUNT


@dataclass(frozen=True)
class AppPaths:
    """Where the app keeps its files. Built from platformdirs; nothing is created here."""

    config_file: Path
    data_dir: Path
    log_dir: Path

    @classmethod
    def default(cls, config_file: Path | None = None) -> AppPaths:
        config = config_file or platformdirs.user_config_path(APP_NAME, appauthor=False) / (
            "config.toml"
        )
        return cls(
            config_file=Path(config),
            data_dir=platformdirs.user_data_path(APP_NAME, appauthor=False),
            log_dir=platformdirs.user_log_path(APP_NAME, appauthor=False),
        )

    @property
    def key_file(self) -> Path:
        """Fallback secret store when no OS keyring is available (0600); the default account's."""
        return self.config_file.parent / "api-key"

    def key_file_for(self, account: str) -> Path:
        return account_key_file(self.key_file, account)

    def history_db_for(self, account: str) -> Path:
        """Each account has its own history file; the default account keeps the old one, so a
        store from before issue 12 is the default account's without any conversion."""
        if account == DEFAULT_ACCOUNT:
            return self.history_db
        return self.data_dir / "accounts" / account_slug(account) / "history.sqlite3"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "lensmor-tray.log"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "instance.lock"


def account_key_file(default_key_file: Path, account: str) -> Path:
    """The 0600 key file of `account`: the old `api-key` for the default account, else one
    file per account in `api-keys/` beside it."""
    if account == DEFAULT_ACCOUNT:
        return default_key_file
    return default_key_file.parent / "api-keys" / account_slug(account)
