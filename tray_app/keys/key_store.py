"""Where the API key lives: environment -> OS keyring -> a 0600 fallback file.

`KeyStore.load()` tries, in order:
1. `LENSMOR_API_KEY` (for scripts and CI; never written anywhere by us) — the default
   account's key only;
2. the OS keyring, service `lensmor-tray`, the account name as the user name (the default
   account keeps the user name `api-key` it had before there were accounts) — read in a
   worker thread with a timeout, because a locked keyring can block at login until the user
   unlocks it (or forever); with `read_keyring_in_child=True` (the long-running tray) in a
   short-lived child process instead (`tray_app.keys.keyring_child`), so keyring's backends never
   stay in the tray's memory;
3. a fallback file next to the config, readable only by the user, used when no keyring exists
   (`api-key` for the default account, `api-keys/<name>` for the others).

`save()` prefers the keyring and falls back to the file with a warning that it is less safe.
Every write is read back before it is reported (issue 18): a keyring that does not return
exactly the key (the null backend keeps nothing) counts as no keyring, and a fallback to the
file removes the keyring's older copy, which every read would otherwise prefer; when that copy
cannot be removed, `save()` raises `KeyStoreFailed` instead of reporting success. One save runs
at a time (`tray_app.keys.key_lock`).
The key never appears in a log message, a repr or an exception: use `fmt.mask_key` to show it.
"""

from __future__ import annotations

import enum
import functools
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tray_app.config.model import DEFAULT_ACCOUNT
from tray_app.config.paths import account_key_file
from tray_app.core.fmt import mask_key
from tray_app.core.language import ENGLISH, N_, Language, Message, Phrase
from tray_app.keys.key_lock import KeySaveBusy, key_save_lock
from tray_app.support.atomic_files import write_private_file
from tray_app.support.bounded import CallTimedOut, call_with_timeout
from tray_app.support.file_problems import reason

KEYRING_SERVICE = "lensmor-tray"
KEYRING_USERNAME = "api-key"  # the default account's user name, kept from before issue 12
ENV_VAR = "LENSMOR_API_KEY"
DEFAULT_KEYRING_TIMEOUT_S = 3.0
KNOWN_PREFIXES = ("uak_", "sk_")
MAX_KEY_LENGTH = 512

log = logging.getLogger(__name__)


class KeySource(str, enum.Enum):
    """Where a key was found; the value is the English name (logs, JSON), `text(lang)` the
    name a person reads."""

    ENVIRONMENT = N_("environment (LENSMOR_API_KEY)")
    KEYRING = N_("OS keyring")
    FILE = N_("file")

    def text(self, lang: Language) -> str:
        return lang.gettext(self.value)


class InvalidKey(ValueError):
    """The text cannot be an API key (empty, control characters, too long). Like ConfigError:
    `message` is English (marked with N_), `str()` is the English line (logs), `text(lang)` the
    line in the user's language."""

    def __init__(self, message: str, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(self.text(ENGLISH))

    def text(self, lang: Language) -> str:
        return lang.gettext(self.message).format(**self.values)


class KeyStoreFailed(OSError):
    """The key could not be stored (or removed) so that the next read sees it: one line that
    says what to do, never the key. An OSError, as a file that cannot be written is, so every
    caller that reports "cannot write" reports this too. Like InvalidKey: `str()` is the
    English line (logs), `text(lang)` the line in the user's language."""

    def __init__(self, message: str, **values: object) -> None:
        self.words = Message(message, **values)
        super().__init__(str(self.words))

    def text(self, lang: Language) -> str:
        return self.words.text(lang)


@dataclass(frozen=True)
class KeyringAnswer:
    """What one bounded keyring call did: `done` (with its `value`), failed (with the
    exception's type name in `error`), or `timed_out`."""

    done: bool = False
    value: object = field(default=None, repr=False)
    timed_out: bool = False
    error: str = ""

    @property
    def text(self) -> str | None:
        """The password as a read uses it (stripped), None if there is none."""
        if not self.done or not isinstance(self.value, str):
            return None
        return self.value.strip() or None


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
    # A byte-order mark is what Notepad puts before a key saved to a file and piped in.
    key = text.strip().removeprefix("\ufeff").strip()
    if not key:
        raise InvalidKey(N_("the key is empty"))
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(N_("the key is longer than {maximum} characters"), maximum=MAX_KEY_LENGTH)
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise InvalidKey(N_("the key contains spaces or characters that cannot be part of a key"))
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
        self._lock_folder = key_file.parent  # one save at a time across every account
        self._username = keyring_username(account)
        self._environ = os.environ if environ is None else environ
        self._timeout = keyring_timeout
        self._use_keyring = use_keyring
        self._read_in_child = read_keyring_in_child
        #: What a person should know about the last load/save/clear: English as strings (the
        #: log gets them so), `text(lang)` for the person.
        self.warnings: list[Message] = []

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
            from tray_app.keys import keyring_child

            if keyring_child.can_read_in_child():
                return self._keyring_get_in_child()
        answer = self._keyring_call("get_password")
        if answer.timed_out:
            self._warn(self._timed_out_message())
        return answer.text

    def _keyring_get_in_child(self) -> str | None:
        from tray_app.keys import keyring_child

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

    def _timed_out_message(self) -> Message:
        return Message(
            N_(
                "the OS keyring did not answer within {seconds} s (locked?); "
                "unlock it or store the key with `lensmor-tray key set`"
            ),
            seconds=f"{self._timeout:g}",
        )

    def _file_get(self) -> StoredKey | None:
        try:
            info = self.key_file.stat()
            if not stat.S_ISREG(info.st_mode):
                # A FIFO would block the read forever; a folder or a device is no key file.
                self._warn(
                    N_(
                        "the key file {path} is not a regular file; move it away and "
                        "set the key again with `lensmor-tray key set`"
                    ),
                    path=self.key_file,
                )
                return None
            with self.key_file.open("rb") as handle:
                # Bounded: a key file that became a huge file is not read into memory.
                raw = handle.read(MAX_KEY_LENGTH * 4 + 16)
            text = raw.decode("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self._warn(
                N_("cannot read the key file {path}: {reason}"),
                path=self.key_file,
                reason=_why(exc),
            )
            return None
        if os.name == "posix" and stat.S_IMODE(info.st_mode) & 0o077:
            self._warn(
                N_("the key file {path} is readable by other users; run `chmod 600 {path}`"),
                path=self.key_file,
            )
        if not text.strip():
            return None
        try:
            key = normalise_key(text.lstrip("\ufeff"))
        except InvalidKey as exc:
            # Zeros from a crash, a file overwritten by something else: not sent as a bearer
            # token; the person is told what to do instead.
            self._warn(
                N_(
                    "the key file {path} does not hold a usable key ({problem}); "
                    "set it again with `lensmor-tray key set`"
                ),
                path=self.key_file,
                problem=exc.text,
            )
            return None
        return StoredKey(key, KeySource.FILE, str(self.key_file))

    # -- writing ---------------------------------------------------------------------------
    def save(self, key: str) -> StoredKey:
        """Store `key` (keyring first, else the 0600 file) and read it back. Returns where it
        went. Raises InvalidKey, or KeyStoreFailed when no read would return the key."""
        key = normalise_key(key)
        self.warnings = []
        try:
            with key_save_lock(self._lock_folder):
                return self._save_locked(key)
        except KeySaveBusy:
            raise KeyStoreFailed(
                N_("another lensmor-tray is saving a key and did not finish; try again")
            ) from None

    def _save_locked(self, key: str) -> StoredKey:
        why_not = Phrase(N_("no OS keyring is available"))
        keyring_answers = self._use_keyring
        if self._use_keyring:
            answer = self._keyring_call("set_password", key)
            if answer.done:
                # Read back: a keyring that accepts a write and keeps nothing (the null backend
                # that `keyring --disable` configures) or keeps something else is no keyring.
                answer = self._keyring_call("get_password")
                if answer.done and answer.value == key:
                    self._drop_file_copy()
                    return StoredKey(key, KeySource.KEYRING, f"service {KEYRING_SERVICE!r}")
                if answer.done:
                    why_not = Phrase(
                        N_("the OS keyring kept nothing when the key was read back")
                        if answer.text is None
                        else N_("the OS keyring kept a different value when the key was read back")
                    )
            if answer.timed_out:
                why_not = Phrase(N_("the OS keyring did not answer"))
                keyring_answers = False  # every further call would wait the timeout again
        self._write_file(key)
        if keyring_answers:
            self._forget_keyring_copy(key)
        self._warn(
            N_(
                "{why_not}, so the key is stored in {path} "
                "(readable only by you, but less safe than a keyring)"
            ),
            why_not=why_not,
            path=self.key_file,
        )
        if self._use_keyring and not keyring_answers:
            self._warn(
                N_(
                    "if the keyring holds an older key for this account, it will be used again "
                    "once the keyring answers; then save the key again"
                )
            )
        return StoredKey(key, KeySource.FILE, str(self.key_file))

    def _forget_keyring_copy(self, key: str) -> None:
        """After a fallback to the file: remove the keyring's older copy, which every read
        would otherwise prefer. Raises KeyStoreFailed when a read still returns another key."""
        self._keyring_call("delete_password")  # its answer proves nothing: read to know
        answer = self._keyring_call("get_password")
        if answer.timed_out:
            self._warn(self._timed_out_message())
        elif answer.done and answer.text is not None and answer.text != key:
            raise KeyStoreFailed(
                N_(
                    "the OS keyring keeps an older key for {account} that could not be "
                    "removed, and it would be used instead of the new one (saved in "
                    "{path}); remove the entry (service {service}, user {user}) with your "
                    "keyring's own tool"
                ),
                account=repr(self.account),
                path=self.key_file,
                service=repr(KEYRING_SERVICE),
                user=repr(self._username),
            )

    def _write_file(self, key: str) -> None:
        """Write the 0600 key file (through a symlink to its target) and read it back."""
        target = self._file_target()
        if target.is_dir():
            raise KeyStoreFailed(
                N_("the key file {path} is a folder; move it away, then save the key again"),
                path=self.key_file,
            )
        if target.exists() and not target.is_file():
            raise KeyStoreFailed(
                N_(
                    "the key file {path} is not a regular file; move it away, then save "
                    "the key again"
                ),
                path=self.key_file,
            )
        # A file that cannot be written (a full or read-only disk) is an OSError naming the
        # file: the CLI words it like every other one (file_problems.one_line).
        write_private_file(target, (key + "\n").encode("ascii"))
        try:
            written = target.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            written = None
        if written != key:
            raise KeyStoreFailed(
                N_(
                    "the key file {path} does not hold the key after writing it; check that "
                    "folder's file system (free space, a sync tool rewriting it)"
                ),
                path=target,
            )

    def _file_target(self) -> Path:
        """The key file, or where it links to: a symlinked key file (a dotfile manager's) is
        kept a link, its target holds the key."""
        if self.key_file.is_symlink():
            return Path(os.path.realpath(self.key_file))
        return self.key_file

    def _drop_file_copy(self) -> bool:
        """Remove the key file (a stale copy once the keyring holds the key). Leaves alone
        what is not a regular file. Returns whether a file was removed."""
        target = self._file_target()
        try:
            if not target.is_file():
                return False
            target.unlink()
        except OSError as exc:
            self._warn(
                N_("cannot remove the old key file {path}: {reason}"), path=target, reason=_why(exc)
            )
            return False
        return True

    def clear(self) -> list[KeySource]:
        """Remove the key from the keyring and the file. Returns the sources it was removed
        from. Raises KeyStoreFailed when a read would still return a stored key."""
        self.warnings = []
        removed: list[KeySource] = []
        stored = self._keyring_call("get_password") if self._use_keyring else KeyringAnswer()
        if stored.timed_out:
            # Not known to be empty: a key kept there would be used again once it answers.
            self._warn(
                N_(
                    "the OS keyring did not answer within {seconds} s (locked?), so a key "
                    "stored there was not removed; unlock it and run this again"
                ),
                seconds=f"{self._timeout:g}",
            )
        elif stored.text is not None:
            self._keyring_call("delete_password")
            left = self._keyring_call("get_password")
            if left.text is not None:
                raise KeyStoreFailed(
                    N_(
                        "the OS keyring still returns a key for {account} after removing it; "
                        "remove the entry (service {service}, user {user}) with your "
                        "keyring's own tool"
                    ),
                    account=repr(self.account),
                    service=repr(KEYRING_SERVICE),
                    user=repr(self._username),
                )
            removed.append(KeySource.KEYRING)
        if self._file_target().is_dir():
            self._warn(
                N_("the key file {path} is a folder; it was left as it is"), path=self.key_file
            )
        elif self._drop_file_copy():
            removed.append(KeySource.FILE)
        return removed

    def _keyring_call(self, method: str, *args: str) -> KeyringAnswer:
        return keyring_call(method, KEYRING_SERVICE, self._username, *args, timeout=self._timeout)

    @property
    def _env_applies(self) -> bool:
        return self.account == DEFAULT_ACCOUNT

    @property
    def environment_overrides(self) -> bool:
        return self._env_applies and bool(self._environ.get(ENV_VAR, "").strip())

    def _warn(self, message: str, **values: object) -> None:
        warning = message if isinstance(message, Message) else Message(message, **values)
        self.warnings.append(warning)
        log.warning("%s", warning)  # English in the log; cli/main.py words it for a terminal


def _why(exc: OSError | UnicodeDecodeError) -> object:
    """Why a file could not be read, worded in the language it is shown in."""
    if isinstance(exc, OSError):
        return functools.partial(reason, exc)
    return Phrase(N_("not text"))


def keyring_call(method: str, service: str, user: str, *args: str, timeout: float) -> KeyringAnswer:
    """`keyring.<method>(service, user, *args)` within `timeout`; never raises. The one way the
    app and `doctor`'s round trip call the keyring."""
    try:
        import keyring

        value = call_with_timeout(
            getattr(keyring, method), timeout, service, user, *args, name="keyring"
        )
    except CallTimedOut:
        return KeyringAnswer(timed_out=True)
    except Exception as exc:  # noqa: BLE001 - any backend failure: as if no keyring
        log.debug("keyring %s failed: %s", method, type(exc).__name__)
        return KeyringAnswer(error=type(exc).__name__)
    return KeyringAnswer(done=True, value=value)
