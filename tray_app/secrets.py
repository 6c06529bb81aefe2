"""Where the API key lives: environment -> OS keyring -> a 0600 fallback file.

`KeyStore.load()` tries, in order:
1. `LENSMOR_API_KEY` (for scripts and CI; never written anywhere by us) — the default
   account's key only;
2. the OS keyring, service `lensmor-tray`, the account name as the user name (the default
   account keeps the user name `api-key` it had before there were accounts) — read in a
   worker thread with a timeout, because a locked keyring can block at login until the user
   unlocks it (or forever); with `read_keyring_in_child=True` (the long-running tray) in a
   short-lived child process instead (`tray_app.keyring_child`), so keyring's backends never
   stay in the tray's memory;
3. a fallback file next to the config, readable only by the user, used when no keyring exists
   (`api-key` for the default account, `api-keys/<name>` for the others).

`save()` prefers the keyring and falls back to the file with a warning that it is less safe.
The key never appears in a log message, a repr or an exception: use `fmt.mask_key` to show it.
"""

from __future__ import annotations

import enum
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tray_app.bounded import CallTimedOut, call_with_timeout
from tray_app.core.fmt import mask_key
from tray_app.settings import DEFAULT_ACCOUNT, account_key_file, write_private_file

KEYRING_SERVICE = "lensmor-tray"
KEYRING_USERNAME = "api-key"  # the default account's user name, kept from before issue 12
ENV_VAR = "LENSMOR_API_KEY"
DEFAULT_KEYRING_TIMEOUT_S = 3.0
KNOWN_PREFIXES = ("uak_", "sk_")
MAX_KEY_LENGTH = 512

log = logging.getLogger(__name__)


class KeySource(str, enum.Enum):
    ENVIRONMENT = "environment (LENSMOR_API_KEY)"
    KEYRING = "OS keyring"
    FILE = "file"


class InvalidKey(ValueError):
    """The text cannot be an API key (empty, control characters, too long)."""


@dataclass(frozen=True)
class StoredKey:
    value: str = field(repr=False)
    source: KeySource
    location: str = ""

    @property
    def masked(self) -> str:
        return mask_key(self.value)

    def __repr__(self) -> str:
        return f"StoredKey({self.masked!r}, source={self.source.name})"


def normalise_key(text: str) -> str:
    """Strip whitespace; raise InvalidKey if what remains cannot be sent as a bearer token."""
    key = text.strip()
    if not key:
        raise InvalidKey("the key is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"the key is longer than {MAX_KEY_LENGTH} characters")
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise InvalidKey("the key contains spaces or characters that cannot be part of a key")
    return key


def looks_like_lensmor_key(key: str) -> bool:
    return key.startswith(KNOWN_PREFIXES)


def keyring_username(account: str) -> str:
    return KEYRING_USERNAME if account == DEFAULT_ACCOUNT else account


class KeyStore:
    """The key of one account. `key_file` is the default account's fallback file (today's
    `AppPaths.key_file`); other accounts derive theirs from it."""

    def __init__(
        self,
        key_file: Path,
        account: str = DEFAULT_ACCOUNT,
        *,
        environ: Mapping[str, str] | None = None,
        keyring_timeout: float = DEFAULT_KEYRING_TIMEOUT_S,
        use_keyring: bool = True,
        read_keyring_in_child: bool = False,
    ) -> None:
        self.account = account
        self.key_file = account_key_file(key_file, account)
        self._username = keyring_username(account)
        self._environ = os.environ if environ is None else environ
        self._timeout = keyring_timeout
        self._use_keyring = use_keyring
        self._read_in_child = read_keyring_in_child
        self.warnings: list[str] = []

    # -- reading ---------------------------------------------------------------------------
    def load(self, *, include_environment: bool = True) -> StoredKey | None:
        """The key from the first source that has one, or None. Never raises.

        `include_environment=False` reads only what is stored (to move a key elsewhere)."""
        self.warnings = []
        use_env = include_environment and self._env_applies
        env_value = self._environ.get(ENV_VAR, "").strip() if use_env else ""
        if env_value:
            return StoredKey(env_value, KeySource.ENVIRONMENT, ENV_VAR)
        from_keyring = self._keyring_get()
        if from_keyring:
            return StoredKey(from_keyring, KeySource.KEYRING, f"service {KEYRING_SERVICE!r}")
        return self._file_get()

    def _keyring_get(self) -> str | None:
        if not self._use_keyring:
            return None
        if self._read_in_child:
            from tray_app import keyring_child

            if keyring_child.can_read_in_child():
                return self._keyring_get_in_child()
        try:
            import keyring

            value = call_with_timeout(
                keyring.get_password,
                self._timeout,
                KEYRING_SERVICE,
                self._username,
                name="keyring",
            )
        except CallTimedOut:
            self._warn(self._timed_out_message())
            return None
        except Exception as exc:  # noqa: BLE001 - any backend failure means "no keyring"
            log.debug("keyring unavailable: %s", type(exc).__name__)
            return None
        return value.strip() if isinstance(value, str) and value.strip() else None

    def _keyring_get_in_child(self) -> str | None:
        from tray_app import keyring_child

        try:
            value = keyring_child.read_in_child(
                KEYRING_SERVICE, self._username, self._timeout, environ=self._environ
            )
        except keyring_child.KeyringTimedOut:
            self._warn(self._timed_out_message())
            return None
        except keyring_child.KeyringFailed as exc:
            log.debug("keyring unavailable: %s", exc)
            return None
        return value.strip() if isinstance(value, str) and value.strip() else None

    def _timed_out_message(self) -> str:
        return (
            f"the OS keyring did not answer within {self._timeout:g} s (locked?); "
            "unlock it or store the key with `lensmor-tray key set`"
        )

    def _file_get(self) -> StoredKey | None:
        try:
            info = self.key_file.stat()
            text = self.key_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self._warn(f"cannot read the key file {self.key_file}: {exc}")
            return None
        if os.name == "posix" and stat.S_IMODE(info.st_mode) & 0o077:
            self._warn(
                f"the key file {self.key_file} is readable by other users; "
                f"run `chmod 600 {self.key_file}`"
            )
        if not text:
            return None
        return StoredKey(text, KeySource.FILE, str(self.key_file))

    # -- writing ---------------------------------------------------------------------------
    def save(self, key: str) -> StoredKey:
        """Store `key` (keyring first, else the 0600 file). Returns where it went."""
        key = normalise_key(key)
        self.warnings = []
        if self._use_keyring:
            try:
                import keyring

                call_with_timeout(
                    keyring.set_password,
                    self._timeout,
                    KEYRING_SERVICE,
                    self._username,
                    key,
                    name="keyring",
                )
            except CallTimedOut:
                self._warn("the OS keyring did not answer; stored the key in a file instead")
            except Exception as exc:  # noqa: BLE001 - any backend failure: use the file
                log.debug("keyring set failed: %s", type(exc).__name__)
            else:
                # A stale copy in the fallback file would shadow nothing but would linger.
                self.key_file.unlink(missing_ok=True)
                return StoredKey(key, KeySource.KEYRING, f"service {KEYRING_SERVICE!r}")
        write_private_file(self.key_file, (key + "\n").encode("ascii"))
        self._warn(
            f"no OS keyring is available, so the key is stored in {self.key_file} "
            "(readable only by you, but less safe than a keyring)"
        )
        return StoredKey(key, KeySource.FILE, str(self.key_file))

    def clear(self) -> list[KeySource]:
        """Remove the key from the keyring and the file. Returns the sources it was removed from."""
        removed: list[KeySource] = []
        if self._use_keyring:
            try:
                import keyring

                call_with_timeout(
                    keyring.delete_password,
                    self._timeout,
                    KEYRING_SERVICE,
                    self._username,
                    name="keyring",
                )
                removed.append(KeySource.KEYRING)
            except Exception as exc:  # noqa: BLE001 - nothing stored there, or no keyring
                log.debug("keyring delete: %s", type(exc).__name__)
        if self.key_file.exists():
            self.key_file.unlink()
            removed.append(KeySource.FILE)
        return removed

    @property
    def _env_applies(self) -> bool:
        return self.account == DEFAULT_ACCOUNT

    @property
    def environment_overrides(self) -> bool:
        return self._env_applies and bool(self._environ.get(ENV_VAR, "").strip())

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("%s", message)
