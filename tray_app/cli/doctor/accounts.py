"""`lensmor-tray doctor`'s checks of each account and of the keyring: every `[[accounts]]`
entry's key (where it comes from, masked), its history file and last poll; and whether the
keyring keeps what is written, tested the way `key set` saves (write, read back, remove)."""

from __future__ import annotations

import functools
import logging
import secrets
import time
from dataclasses import dataclass

from tray_app.cli.doctor.context import FAIL, OK, WARN, Context
from tray_app.cli.hints import key_set_command
from tray_app.config.model import DEFAULT_ACCOUNT
from tray_app.core import fmt
from tray_app.core.doctor import CheckResult
from tray_app.core.language import N_, Language
from tray_app.core.state import STALE_AFTER_INTERVALS
from tray_app.keys.key_store import KeyringAnswer, KeySource, keyring_call
from tray_app.support.bounded import all_within

#: Every keyring call of the round trip gets this long (a locked keyring waits for the user).
KEYRING_CALL_TIMEOUT_S = 2.0
#: The round trip's test entry: its own service, so it can never be taken for an account's key
#: (account names are keyring user names under "lensmor-tray"), and a value that is no secret.
PROBE_SERVICE = "lensmor-tray-doctor"
PROBE_USER = "round-trip"

log = logging.getLogger(__name__)


# -- keys -------------------------------------------------------------------------------------


def check_keys(context: Context) -> list[CheckResult]:
    """Each account's key as the app would read it: found where, masked; or what to run."""
    from tray_app.keys.key_store import KeyStore

    _ = context.lang.gettext
    accounts = context.settings.account_names
    key = N_("key")

    def load(name: str) -> CheckResult:
        store = KeyStore(context.paths.key_file, name, environ=context.environ)
        stored = store.load()
        label = context.label(name)
        if stored is None:
            context.keys[name] = None
            detail = _("no API key is set")
            if store.warnings:
                detail += f" ({store.warnings[0].text(context.lang)})"
            return CheckResult(
                key,
                FAIL,
                detail,
                _(
                    "run `{command}` (create one in the Lensmor app under Settings -> API Keys)"
                ).format(command=key_set_command(name)),
                label,
            )
        context.keys[name] = stored.value
        if name == DEFAULT_ACCOUNT:
            context.key = stored.value
        detail = _(FROM_SOURCE[stored.source]).format(key=stored.masked)
        if store.warnings:
            return CheckResult(key, WARN, detail, store.warnings[0].text(context.lang), label)
        return CheckResult(key, OK, detail, account=label)

    # The key store's own keyring timeout bounds each load; they run side by side.
    answers = all_within([(functools.partial(load, name), 5.0) for name in accounts], "doctor-key")
    return [
        answer
        or CheckResult(key, FAIL, _("reading it did not finish"), account=context.label(name))
        for name, answer in zip(accounts, answers, strict=True)
    ]


#: Where a key was found, as the key line says it.
FROM_SOURCE = {
    KeySource.ENVIRONMENT: N_("{key} from the environment (LENSMOR_API_KEY)"),
    KeySource.KEYRING: N_("{key} from the OS keyring"),
    KeySource.FILE: N_("{key} from the file"),
}


# -- history and last poll ----------------------------------------------------------------------


def check_histories(context: Context) -> list[CheckResult]:
    """Each account's history file and when the app last polled it."""
    from tray_app.support.instance import running_pid

    running = running_pid(context.paths.lock_file) is not None
    return [_history_of(context, name, running) for name in context.settings.account_names]


def _history_of(context: Context, name: str, running: bool) -> CheckResult:
    from tray_app.cli.cached_state import CachedStateError, read_saved_state

    _ = context.lang.gettext
    history = N_("history")
    label = context.label(name)
    path = context.paths.history_db_for(name)
    if not path.exists():
        detail = _("none yet at {path} (never polled)").format(path=path)
        return CheckResult(history, OK, detail, account=label)
    if not path.is_file():
        fix = _("move it away; the app starts a new one")
        return CheckResult(history, FAIL, _("{path} is not a file").format(path=path), fix, label)
    try:
        saved = read_saved_state(path)
    except CachedStateError as exc:
        return CheckResult(
            history, WARN, str(exc), _("the app rebuilds its state at its next poll"), label
        )
    last = _last_poll(saved)
    now = time.time()
    polled = _polled(last, now, context.lang)
    stale_after = STALE_AFTER_INTERVALS * context.settings.poll_interval + 60
    if running and last is not None and now - last > stale_after:
        return CheckResult(
            history,
            WARN,
            f"{path}, {polled}",
            _("see the app's log (`lensmor-tray paths`) or send it `lensmor-tray refresh`"),
            label,
        )
    return CheckResult(history, OK, f"{path}, {polled}", account=label)


def _polled(last: float | None, now: float, lang: Language) -> str:
    if last is None:
        return lang.gettext("never polled")
    return lang.gettext("last polled {duration} ago").format(
        duration=fmt.duration(now - last, lang)
    )


def _last_poll(saved: dict[str, object] | None) -> float | None:
    monitor = saved.get("monitor") if saved else None
    if not isinstance(monitor, dict):
        return None
    value = monitor.get("lastPollAt") or monitor.get("fetchedAt")
    return float(value) if isinstance(value, int | float) else None


# -- the keyring round trip ---------------------------------------------------------------------


@dataclass(frozen=True)
class RoundTrip:
    """What the keyring did with a test entry: `kept` it (read back exactly), `removed` it."""

    backend: str
    stored: bool = False
    kept: bool = False
    removed: bool = False
    timed_out: str = ""  # the step that did not answer
    error: str = ""  # the exception type of a failed write


def keyring_round_trip(timeout: float = KEYRING_CALL_TIMEOUT_S) -> RoundTrip:
    """Write a test entry (a random, non-secret value), read it back, remove it, read again:
    what `KeyStore.save` relies on."""
    import keyring

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    value = f"lensmor-tray doctor {secrets.token_hex(8)}"

    def call(step: str, *args: str) -> KeyringAnswer:
        return keyring_call(step, PROBE_SERVICE, PROBE_USER, *args, timeout=timeout)

    written = call("set_password", value)
    if written.timed_out:
        return RoundTrip(name, timed_out="set_password")
    if not written.done:
        return RoundTrip(name, error=written.error)
    read = call("get_password")
    if read.timed_out or not read.done:
        step = "get_password" if read.timed_out else ""
        return RoundTrip(name, stored=True, timed_out=step, error=read.error)
    deleted = call("delete_password")  # a failed delete is judged by the read that follows
    if deleted.timed_out:
        return RoundTrip(name, stored=True, timed_out="delete_password")
    after = call("get_password")
    if after.timed_out or not after.done:
        step = "get_password" if after.timed_out else ""
        return RoundTrip(name, stored=True, timed_out=step, error=after.error)
    return RoundTrip(name, stored=True, kept=read.value == value, removed=after.value is None)


def check_keyring(context: Context) -> list[CheckResult]:
    _ = context.lang.gettext
    keyring = N_("keyring")
    trip = keyring_round_trip()
    from_env_only = context.settings.account_names == (DEFAULT_ACCOUNT,) and bool(
        context.environ.get("LENSMOR_API_KEY", "").strip()
    )
    install = _("install and unlock a Secret Service keyring (GNOME Keyring, KWallet)")
    if trip.timed_out:
        detail = _("{backend} did not answer ({step}) within {seconds} s").format(
            backend=trip.backend, step=trip.timed_out, seconds=f"{KEYRING_CALL_TIMEOUT_S:g}"
        )
        fix = _("unlock the keyring (it may be waiting for your password)")
        return [CheckResult(keyring, FAIL, detail, fix)]
    if not trip.stored or not trip.kept:
        if not trip.stored:
            detail = _(
                "no OS keyring: {backend} refuses to store ({error}); keys are kept in files "
                "readable only by you"
            ).format(backend=trip.backend, error=trip.error)
        else:
            detail = _(
                "no OS keyring: {backend} does not return what is written; keys are kept in "
                "files readable only by you"
            ).format(backend=trip.backend)
        return [CheckResult(keyring, OK if from_env_only else WARN, detail, install)]
    if not trip.removed:
        detail = _(
            "{backend} keeps what is written but not what is removed: an older key there would "
            "be used instead of a newer one"
        ).format(backend=trip.backend)
        fix = _("remove old lensmor-tray entries with your keyring's own tool")
        return [CheckResult(keyring, WARN, detail, fix)]
    detail = _("{backend}: keeps what is written (test entry)").format(backend=trip.backend)
    return [CheckResult(keyring, OK, detail)]
