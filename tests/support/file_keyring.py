"""Keyring backends for tests, selected with PYTHON_KEYRING_BACKEND in child processes.

`FileKeyring` stores passwords in the JSON file named by TEST_KEYRING_FILE, so a keyring shared
between the test and the `lensmor-tray` processes it starts is real, not mocked.
`HangingKeyring` never answers, like a locked keyring waiting for the user at login.
`BrokenKeyring` raises, like SecretService without a running service.
`StaleKeyring` cannot save while it still returns an older key (a keyring that went read-only);
`StuckKeyring` cannot remove that older key either; `UndeletableKeyring` keeps writes but ignores
deletes; `LyingKeyring` saves but returns another value when read.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}
        return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("not found")
        self._path().write_text(json.dumps(data))


class HangingKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        threading.Event().wait(3600)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        threading.Event().wait(3600)

    def delete_password(self, service: str, username: str) -> None:
        threading.Event().wait(3600)


class BrokenKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("org.freedesktop.secrets was not provided by any .service files")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("org.freedesktop.secrets was not provided by any .service files")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("org.freedesktop.secrets was not provided by any .service files")


class EnvironmentEchoKeyring(FileKeyring):
    """Answers with the LENSMOR_API_KEY of its own process's environment, if any, else as
    FileKeyring: shows whether a process reading the keyring was handed that variable."""

    def get_password(self, service: str, username: str) -> str | None:
        return os.environ.get("LENSMOR_API_KEY") or super().get_password(service, username)


class StaleKeyring(FileKeyring):
    """Set fails; get and delete work on what FileKeyring holds (seed an old key there)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("the keyring is read-only")


class StuckKeyring(StaleKeyring):
    """Neither set nor delete works: the old key it returns stays."""

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("the keyring is read-only")


LIE = "uak_LIElielielielielie0000LIE1"


class LyingKeyring(FileKeyring):
    """Accepts every write; every read of an entry it holds returns `LIE` instead."""

    def get_password(self, service: str, username: str) -> str | None:
        return LIE if super().get_password(service, username) is not None else None


class UndeletableKeyring(FileKeyring):
    """Keeps what is written, but a delete does nothing: an older key would stay."""

    def delete_password(self, service: str, username: str) -> None:
        return None
