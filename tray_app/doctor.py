"""`lensmor-tray doctor`: what works and what does not, one line per check.

Every check runs in its own daemon thread with a deadline, all at once, so the whole report
takes as long as the slowest check and never longer than `CHECK_TIMEOUT_S` (plus the API's
own). A check that raises or overruns becomes a ✗ line, never a traceback. The key is only
ever shown masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tray_app.core import fmt
from tray_app.core.doctor import CheckResult, Verdict, exit_code, report_json, report_lines
from tray_app.core.state import STALE_AFTER_INTERVALS
from tray_app.settings import AppPaths, ConfigError, Settings, effective_base_url, load_settings

CHECK_TIMEOUT_S = 6.0
API_CONNECT_TIMEOUT_S = 3.0
API_READ_TIMEOUT_S = 5.0
DBUS_TIMEOUT_S = 1.5
#: More clock difference than this with the server is reported (TLS and resetAt need a sane
#: clock; a minute is far beyond what NTP leaves).
CLOCK_SKEW_WARN_S = 60.0
#: Warn when fewer than this share of the rate-limit window's requests are left.
RATE_LIMIT_WARN_SHARE = 0.2

NOTIFICATIONS = "org.freedesktop.Notifications"

OK, WARN, FAIL = Verdict.OK, Verdict.WARN, Verdict.FAIL


@dataclass
class Context:
    """What every check may need, gathered once."""

    paths: AppPaths
    environ: Mapping[str, str]
    settings: Settings = field(default_factory=Settings)
    config_error: str = ""
    key: str | None = None


Check = Callable[[Context], list[CheckResult]]


def run_doctor(config: Path | None, *, json_output: bool = False) -> int:
    paths = AppPaths.default(config)
    context = Context(paths=paths, environ=dict(os.environ))
    results = run_checks(context, default_checks())
    if json_output:
        print(json.dumps(report_json(results)))
    else:
        fancy = _can_print("✓✗⚠→…")
        text = "\n".join(report_lines(results, ascii_only=not fancy))
        if not fancy:  # what else cannot be shown (the … of a masked key) becomes "?"
            encoding = sys.stdout.encoding or "ascii"
            text = text.encode(encoding, "replace").decode(encoding)
        print(text)
    return exit_code(results)


def _can_print(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def default_checks() -> list[tuple[str, Check, float]]:
    """(name, check, timeout) in report order. Config and key run first (the others use them)."""
    api_timeout = API_CONNECT_TIMEOUT_S + API_READ_TIMEOUT_S + 1
    return [
        ("API", check_api, api_timeout),
        ("tray", check_tray, CHECK_TIMEOUT_S),
        ("notifications", check_notifications, CHECK_TIMEOUT_S),
        ("start at login", check_autostart, CHECK_TIMEOUT_S + 5),
        ("keyring", check_keyring, CHECK_TIMEOUT_S),
        ("files", check_files, CHECK_TIMEOUT_S),
        ("app", check_running, CHECK_TIMEOUT_S),
    ]


def run_checks(context: Context, checks: list[tuple[str, Check, float]]) -> list[CheckResult]:
    results = [check_config(context), *_bounded("key", check_key, context, CHECK_TIMEOUT_S)]
    slots: list[list[CheckResult]] = [[] for _ in checks]
    threads = []
    for i, (name, check, timeout) in enumerate(checks):

        def work(i: int = i, name: str = name, check: Check = check) -> None:
            slots[i] = _guarded(name, check, context)

        thread = threading.Thread(target=work, name=f"doctor-{name}", daemon=True)
        thread.start()
        threads.append((thread, time.monotonic() + timeout))
    for i, (thread, deadline) in enumerate(threads):
        thread.join(max(0.0, deadline - time.monotonic()))
        name, _check, timeout = checks[i]
        if thread.is_alive() or not slots[i]:
            slots[i] = [CheckResult(name, FAIL, f"did not finish within {timeout:g} s")]
    for slot in slots:
        results.extend(slot)
    return results


def _bounded(name: str, check: Check, context: Context, timeout: float) -> list[CheckResult]:
    box: list[list[CheckResult]] = []
    thread = threading.Thread(
        target=lambda: box.append(_guarded(name, check, context)), daemon=True
    )
    thread.start()
    thread.join(timeout)
    return box[0] if box else [CheckResult(name, FAIL, f"did not finish within {timeout:g} s")]


def _guarded(name: str, check: Check, context: Context) -> list[CheckResult]:
    try:
        return check(context)
    except Exception as exc:  # noqa: BLE001 - a broken check is a ✗ line, never a traceback
        return [CheckResult(name, FAIL, f"the check itself failed: {type(exc).__name__}: {exc}")]


# -- configuration and key ------------------------------------------------------------------


def check_config(context: Context) -> CheckResult:
    path = context.paths.config_file
    try:
        context.settings = load_settings(path)
    except ConfigError as exc:
        context.config_error = str(exc)
        return CheckResult("config", FAIL, str(exc), "fix the file (or delete it for defaults)")
    where = str(path) if path.exists() else f"{path} (absent: defaults)"
    return CheckResult("config", OK, where)


def check_key(context: Context) -> list[CheckResult]:
    from tray_app.secrets import KeyStore

    stored = KeyStore(context.paths.key_file).load()
    if stored is None:
        return [
            CheckResult(
                "key",
                FAIL,
                "no API key is set",
                "run `lensmor-tray key set` (create one in the Lensmor app under Settings -> "
                "API Keys)",
            )
        ]
    context.key = stored.value
    return [CheckResult("key", OK, f"{stored.masked} from the {stored.source.value}")]


# -- the API --------------------------------------------------------------------------------


def check_api(context: Context) -> list[CheckResult]:
    import requests

    from tray_app.api import BALANCE_PATH, USER_AGENT

    try:
        base_url = effective_base_url(context.settings, context.environ)
    except ConfigError as exc:
        return [CheckResult("API", FAIL, str(exc), "fix LENSMOR_BASE_URL or unset it")]
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if context.key:
        headers["Authorization"] = f"Bearer {context.key}"
    started = time.monotonic()
    try:
        response = requests.get(
            base_url + BALANCE_PATH,
            headers=headers,
            timeout=(API_CONNECT_TIMEOUT_S, API_READ_TIMEOUT_S),
            allow_redirects=False,
        )
    except requests.exceptions.SSLError as exc:
        return [
            CheckResult(
                "API",
                FAIL,
                f"TLS to {base_url} failed: {_reason(exc)}",
                "check the system clock and CA certificates (a proxy that intercepts TLS?)",
            )
        ]
    except requests.exceptions.RequestException as exc:
        return [
            CheckResult(
                "API",
                FAIL,
                f"cannot reach {base_url}: {_reason(exc)}",
                "check your network connection (and base_url in the config)",
            )
        ]
    latency_ms = (time.monotonic() - started) * 1000
    response.close()
    transport = "TLS verified" if base_url.startswith("https:") else "plain HTTP (loopback)"
    results = []
    status = response.status_code
    if status >= 500:
        results.append(
            CheckResult(
                "API",
                FAIL,
                f"{base_url} answers HTTP {status} (server error) in {latency_ms:.0f} ms",
                "Lensmor has a problem; the app retries by itself, try again later",
            )
        )
    else:
        results.append(
            CheckResult("API", OK, f"{base_url} answers in {latency_ms:.0f} ms, {transport}")
        )
    results.append(_key_verdict(status, context.key is not None))
    results.append(_clock_verdict(response.headers.get("Date")))
    results.append(_rate_limit_verdict(response.headers, status))
    return results


def _reason(exc: BaseException) -> str:
    from tray_app.api import _reason as api_reason

    return api_reason(exc)


def _key_verdict(status: int, have_key: bool) -> CheckResult:
    if not have_key:
        return CheckResult("key accepted", WARN, "not checked: no key", "set a key first")
    if status in (401, 403):
        return CheckResult(
            "key accepted",
            FAIL,
            f"the API refused the key (HTTP {status})",
            "create a new key in the Lensmor app and run `lensmor-tray key set`",
        )
    if status == 200:
        return CheckResult("key accepted", OK, "the API accepted the key")
    if status == 429:
        return CheckResult("key accepted", WARN, "not known: rate limited (HTTP 429)", "wait")
    return CheckResult("key accepted", WARN, f"not known: the API answered HTTP {status}", "")


def _clock_verdict(date_header: str | None) -> CheckResult:
    if not date_header:
        return CheckResult("clock", WARN, "the server sent no Date header to compare with", "")
    try:
        server = email.utils.parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError):
        return CheckResult("clock", WARN, f"unreadable Date header {date_header[:40]!r}", "")
    skew = time.time() - server
    if abs(skew) > CLOCK_SKEW_WARN_S:
        side = "ahead of" if skew > 0 else "behind"
        return CheckResult(
            "clock",
            WARN,
            f"this computer's clock is {fmt.duration(abs(skew))} {side} the server's",
            "turn on time sync (e.g. `timedatectl set-ntp true`)",
        )
    return CheckResult("clock", OK, f"within {abs(skew):.0f} s of the server's")


def _rate_limit_verdict(headers: Mapping[str, str], status: int) -> CheckResult:
    if status == 429:
        return CheckResult(
            "rate limit",
            WARN,
            "rate limited right now (HTTP 429)",
            "other tools share this key's limit; the app waits by itself",
        )
    limit, remaining = headers.get("X-RateLimit-Limit"), headers.get("X-RateLimit-Remaining")
    if not (limit and remaining and limit.isdigit() and remaining.isdigit()):
        return CheckResult("rate limit", OK, "no rate-limit headers in the answer")
    total, left = int(limit), int(remaining)
    detail = f"{left} of {total} requests left in this window"
    if total and left < total * RATE_LIMIT_WARN_SHARE:
        return CheckResult(
            "rate limit",
            WARN,
            detail,
            "other tools use the same key heavily; use `status --cached` in scripts",
        )
    return CheckResult("rate limit", OK, detail)


# -- the desktop ----------------------------------------------------------------------------


def check_tray(context: Context) -> list[CheckResult]:
    if sys.platform != "linux":
        return [CheckResult("tray", OK, f"the {sys.platform} menu bar / notification area")]
    from tray_app.ui import tray_host
    from tray_app.ui.choose import Probes, choose_tray

    env = context.environ
    session = (
        "Wayland"
        if env.get("WAYLAND_DISPLAY")
        else "X11"
        if env.get("DISPLAY")
        else "no graphical session"
    )
    watcher = tray_host.sni_watcher_present(env)
    xembed = bool(env.get("DISPLAY")) and tray_host.xembed_tray_present_in(env)
    choice = choose_tray(
        env,
        probes=Probes(watcher_present=lambda _e: watcher, xembed_present=lambda _e: xembed),
    )
    found = [
        "StatusNotifier watcher " + ("✓" if watcher else "✗"),
        "XEmbed tray " + ("✓" if xembed else "✗"),
    ]
    detail = f"{session}; {', '.join(found)}; the app would use {choice.kind.value}"
    if watcher or xembed:
        return [CheckResult("tray", OK, detail)]
    return [CheckResult("tray", FAIL, detail, tray_host.no_tray_message(env))]


def check_notifications(context: Context) -> list[CheckResult]:
    if sys.platform != "linux":
        return [CheckResult("notifications", OK, f"the {sys.platform} notification centre")]
    try:
        info, caps = asyncio.run(_notification_server(context.environ))
    except _NoServer as exc:
        return [
            CheckResult(
                "notifications",
                FAIL,
                str(exc),
                "start a notification daemon (dunst, mako, or your desktop's); until then "
                "low-balance alerts cannot be shown",
            )
        ]
    name, vendor, version = info
    detail = f"{name} {version} ({vendor})"
    if "actions" not in caps:
        return [
            CheckResult(
                "notifications",
                WARN,
                f"{detail} does not support actions",
                "alerts show without their buttons (Open dashboard); nothing else is lost",
            )
        ]
    return [CheckResult("notifications", OK, f"{detail}, supports actions")]


class _NoServer(Exception):
    pass


async def _notification_server(
    environ: Mapping[str, str],
) -> tuple[tuple[str, str, str], list[str]]:
    from dbus_fast import BusType, Message, MessageType
    from dbus_fast.aio import MessageBus

    address = environ.get("DBUS_SESSION_BUS_ADDRESS")
    try:
        bus = MessageBus(bus_address=address) if address else MessageBus(bus_type=BusType.SESSION)
        await asyncio.wait_for(bus.connect(), DBUS_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - no bus at all
        raise _NoServer(f"no D-Bus session bus ({type(exc).__name__})") from None
    try:

        async def call(member: str) -> list[object]:
            reply = await asyncio.wait_for(
                bus.call(
                    Message(
                        destination=NOTIFICATIONS,
                        path="/org/freedesktop/Notifications",
                        interface=NOTIFICATIONS,
                        member=member,
                    )
                ),
                DBUS_TIMEOUT_S,
            )
            if reply.message_type is not MessageType.METHOD_RETURN:
                raise _NoServer(f"no notification server on the session bus ({reply.error_name})")
            return list(reply.body)

        try:
            body = await call("GetServerInformation")
            caps = await call("GetCapabilities")
        except TimeoutError:
            raise _NoServer("the notification server did not answer") from None
        return (str(body[0]), str(body[1]), str(body[2])), [str(c) for c in caps[0]]  # type: ignore[attr-defined]
    finally:
        bus.disconnect()
        with contextlib.suppress(Exception):
            waiting = bus.wait_for_disconnect()  # type: ignore[no-untyped-call]
            await asyncio.wait_for(waiting, DBUS_TIMEOUT_S)


def check_autostart(context: Context) -> list[CheckResult]:
    from tray_app.autostart import autostart_for, resolve_launch_command

    autostart = autostart_for(
        environ=context.environ, home=Path.home(), launcher=resolve_launch_command()
    )
    status = autostart.status()
    if not status.command:
        return [
            CheckResult(
                "start at login",
                WARN,
                f"off ({status.location})",
                "run `lensmor-tray autostart enable` to start it when you log in",
            )
        ]
    if not status.enabled or not status.target_exists:
        return [
            CheckResult(
                "start at login",
                FAIL,
                f"the entry {status.location} will not start the app: {status.detail}",
                "run `lensmor-tray autostart enable` to rewrite it",
            )
        ]
    program = [arg for arg in status.command if arg not in ("run", "--autostart")]
    try:
        done = subprocess.run(
            [*program, "--version"], capture_output=True, timeout=CHECK_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [
            CheckResult(
                "start at login",
                FAIL,
                f"its command does not run: {type(exc).__name__}",
                "run `lensmor-tray autostart enable` to rewrite it",
            )
        ]
    if done.returncode != 0:
        return [
            CheckResult(
                "start at login",
                FAIL,
                f"its command exits with code {done.returncode}",
                "run `lensmor-tray autostart enable` to rewrite it",
            )
        ]
    return [CheckResult("start at login", OK, f"on ({status.location}); its command runs")]


def check_keyring(context: Context) -> list[CheckResult]:
    import keyring

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if "fail" in type(backend).__module__ or "null" in type(backend).__module__:
        from_env = bool(context.environ.get("LENSMOR_API_KEY"))
        return [
            CheckResult(
                "keyring",
                OK if from_env else WARN,
                f"no OS keyring ({name}); the key is kept in a file readable only by you",
                "install and unlock a Secret Service keyring (GNOME Keyring, KWallet)",
            )
        ]
    return [CheckResult("keyring", OK, name)]


def check_files(context: Context) -> list[CheckResult]:
    paths = context.paths
    folders = {
        "config folder": paths.config_file.parent,
        "data folder": paths.data_dir,
        "log folder": paths.log_dir,
    }
    integrations = context.settings.integrations
    for name in ("prometheus_textfile", "waybar_file"):
        target = getattr(integrations, name)
        if target is not None:
            folders[f"integrations.{name} folder"] = target.parent
    broken = []
    for label, folder in folders.items():
        problem = _writable(folder)
        if problem:
            broken.append(f"{label} {folder}: {problem}")
    if broken:
        return [
            CheckResult(
                "files", FAIL, "; ".join(broken), "fix the permissions (chmod u+w) or free space"
            )
        ]
    return [CheckResult("files", OK, "config, data and log folders are writable")]


def _writable(folder: Path) -> str:
    """ "" when a file can be created in `folder` (or in its nearest existing parent, where the
    app would create it), else why not."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return "no existing parent folder"
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a folder"
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def check_running(context: Context) -> list[CheckResult]:
    from tray_app.cached_state import CachedStateError, read_saved_state
    from tray_app.instance import running_pid

    pid = running_pid(context.paths.lock_file)
    try:
        saved = read_saved_state(context.paths.history_db)
    except CachedStateError as exc:
        saved = None
        unreadable = str(exc)
    else:
        unreadable = ""
    monitor = saved.get("monitor") if saved else None
    last = None
    if isinstance(monitor, dict):
        value = monitor.get("lastPollAt") or monitor.get("fetchedAt")
        last = float(value) if isinstance(value, int | float) else None
    now = time.time()
    polled = "never polled" if last is None else f"last polled {fmt.duration(now - last)} ago"
    if unreadable:
        polled = unreadable
    if pid is None:
        return [
            CheckResult(
                "app",
                WARN,
                f"not running ({polled})",
                "start it with `lensmor-tray` (or turn on start at login)",
            )
        ]
    interval = context.settings.poll_interval
    if last is not None and now - last > STALE_AFTER_INTERVALS * interval + 60:
        return [
            CheckResult(
                "app",
                WARN,
                f"running (pid {pid}) but {polled}",
                "see its log (`lensmor-tray paths`) or send it `lensmor-tray refresh`",
            )
        ]
    return [CheckResult("app", OK, f"running (pid {pid}), {polled}")]
