"""`lensmor-tray doctor`: what works and what does not, one line per check (per account for
the key, the API and the history: accounts.py and api_probe.py beside this one; files:
files.py).

Every check runs in its own daemon thread with a deadline, all at once, so the whole report
takes as long as the slowest check and never longer than `CHECK_TIMEOUT_S` (plus the API's
own). A check that raises or overruns becomes a ✗ line, never a traceback. The key is only
ever shown masked.

Every line is in the user's language (`Context.lang`): the check's name (marked with `N_`,
translated when printed) and its words. `--json` stays English, names and details alike: it is
read by programs, and its names are keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tray_app.cli.doctor.accounts import check_histories, check_keyring, check_keys
from tray_app.cli.doctor.api_probe import API_CONNECT_TIMEOUT_S, API_READ_TIMEOUT_S, check_api
from tray_app.cli.doctor.context import FAIL, OK, WARN, Check, Context
from tray_app.cli.doctor.files import check_files
from tray_app.cli.doctor.hooks import check_guard, check_hooks
from tray_app.config.loading import load_settings
from tray_app.config.model import ConfigError
from tray_app.config.paths import AppPaths
from tray_app.core.doctor import CheckResult, exit_code, report_json, report_lines
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.support.bounded import all_within

__all__ = ["Check", "Context", "check_api", "run_checks", "run_doctor"]

CHECK_TIMEOUT_S = 6.0
DBUS_TIMEOUT_S = 1.5

NOTIFICATIONS = "org.freedesktop.Notifications"


def run_doctor(config: Path | None, *, json_output: bool = False, lang: Language = ENGLISH) -> int:
    paths = AppPaths.default(config)
    context = Context(paths=paths, environ=dict(os.environ), lang=ENGLISH if json_output else lang)
    results = run_checks(context, default_checks())
    if json_output:
        print(json.dumps(report_json(results)))
    else:
        fancy = _can_print("✓✗⚠→…")
        text = "\n".join(report_lines(results, ascii_only=not fancy, lang=lang))
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
        (N_("API"), check_api, api_timeout),
        (N_("tray"), check_tray, CHECK_TIMEOUT_S),
        (N_("notifications"), check_notifications, CHECK_TIMEOUT_S),
        (N_("start at login"), check_autostart, CHECK_TIMEOUT_S + 5),
        (N_("keyring"), check_keyring, CHECK_TIMEOUT_S + 3),  # four bounded calls of 2 s
        (N_("files"), check_files, CHECK_TIMEOUT_S),
        (N_("history"), check_histories, CHECK_TIMEOUT_S),
        (N_("app"), check_running, CHECK_TIMEOUT_S),
        (N_("hooks"), check_hooks, CHECK_TIMEOUT_S),
        (N_("guard"), check_guard, CHECK_TIMEOUT_S),
    ]


def run_checks(context: Context, checks: list[tuple[str, Check, float]]) -> list[CheckResult]:
    results = [check_config(context), *_bounded(N_("key"), check_keys, context, CHECK_TIMEOUT_S)]
    answers = all_within(
        [
            (functools.partial(_guarded, name, check, context), timeout)
            for name, check, timeout in checks
        ],
        "doctor-check",
    )
    for (name, _check, timeout), answer in zip(checks, answers, strict=True):
        results.extend(answer or [_overran(name, timeout, context.lang)])
    return results


def _overran(name: str, timeout: float, lang: Language) -> CheckResult:
    detail = lang.gettext("did not finish within {seconds} s").format(seconds=f"{timeout:g}")
    return CheckResult(name, FAIL, detail)


def _bounded(name: str, check: Check, context: Context, timeout: float) -> list[CheckResult]:
    [answer] = all_within([(functools.partial(_guarded, name, check, context), timeout)], name)
    return answer or [_overran(name, timeout, context.lang)]


def _guarded(name: str, check: Check, context: Context) -> list[CheckResult]:
    try:
        return check(context)
    except Exception as exc:  # noqa: BLE001 - a broken check is a ✗ line, never a traceback
        detail = context.lang.gettext("the check itself failed: {error}").format(
            error=f"{type(exc).__name__}: {exc}"
        )
        return [CheckResult(name, FAIL, detail)]


# -- configuration and key ------------------------------------------------------------------


def check_config(context: Context) -> CheckResult:
    _ = context.lang.gettext
    path = context.paths.config_file
    try:
        context.settings = load_settings(path)
    except ConfigError as exc:
        context.config_error = str(exc)
        return CheckResult(
            N_("config"),
            FAIL,
            exc.text(context.lang),
            _("fix the file (or delete it for defaults)"),
        )
    where = str(path) if path.exists() else _("{path} (absent: defaults)").format(path=path)
    return CheckResult(N_("config"), OK, where)


# -- the desktop ----------------------------------------------------------------------------


def check_tray(context: Context) -> list[CheckResult]:
    _ = context.lang.gettext
    if sys.platform != "linux":
        detail = _("the {platform} menu bar / notification area").format(platform=sys.platform)
        return [CheckResult(N_("tray"), OK, detail)]
    from tray_app.tray import host_probe as tray_host
    from tray_app.tray.choose import Probes, choose_tray

    env = context.environ
    session = (
        "Wayland"
        if env.get("WAYLAND_DISPLAY")
        else "X11"
        if env.get("DISPLAY")
        else _("no graphical session")
    )
    watcher = tray_host.sni_watcher_present(env)
    xembed = bool(env.get("DISPLAY")) and tray_host.xembed_tray_present_in(env)
    choice = choose_tray(
        env,
        probes=Probes(watcher_present=lambda _e: watcher, xembed_present=lambda _e: xembed),
    )
    detail = _(
        "{session}; StatusNotifier watcher {watcher}, XEmbed tray {xembed}; the app would use "
        "{tray}"
    ).format(
        session=session,
        watcher="✓" if watcher else "✗",
        xembed="✓" if xembed else "✗",
        tray=choice.kind.value,
    )
    if watcher or xembed:
        return [CheckResult(N_("tray"), OK, detail)]
    return [CheckResult(N_("tray"), FAIL, detail, _(tray_host.no_tray_message(env)))]


def check_notifications(context: Context) -> list[CheckResult]:
    _ = context.lang.gettext
    name = N_("notifications")
    if sys.platform != "linux":
        detail = _("the {platform} notification centre").format(platform=sys.platform)
        return [CheckResult(name, OK, detail)]
    try:
        info, caps = asyncio.run(_notification_server(context.environ))
    except _NoServer as exc:
        return [
            CheckResult(
                name,
                FAIL,
                _(exc.message).format(**exc.values),
                _(
                    "start a notification daemon (dunst, mako, or your desktop's); until then "
                    "low-balance alerts cannot be shown"
                ),
            )
        ]
    server, vendor, version = info
    detail = f"{server} {version} ({vendor})"
    if "actions" not in caps:
        return [
            CheckResult(
                name,
                WARN,
                _("{server} does not support actions").format(server=detail),
                _("alerts show without their buttons (Open dashboard); nothing else is lost"),
            )
        ]
    return [CheckResult(name, OK, _("{server}, supports actions").format(server=detail))]


class _NoServer(Exception):
    """`message` (English, marked with N_) with its {placeholders} in `values`."""

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message.format(**values))
        self.message, self.values = message, values


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
        raise _NoServer(N_("no D-Bus session bus ({error})"), error=type(exc).__name__) from None
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
                raise _NoServer(
                    N_("no notification server on the session bus ({error})"),
                    error=str(reply.error_name),
                )
            return list(reply.body)

        try:
            body = await call("GetServerInformation")
            caps = await call("GetCapabilities")
        except TimeoutError:
            raise _NoServer(N_("the notification server did not answer")) from None
        return (str(body[0]), str(body[1]), str(body[2])), [str(c) for c in caps[0]]  # type: ignore[attr-defined]
    finally:
        bus.disconnect()
        with contextlib.suppress(Exception):
            waiting = bus.wait_for_disconnect()  # type: ignore[no-untyped-call]
            await asyncio.wait_for(waiting, DBUS_TIMEOUT_S)


def check_autostart(context: Context) -> list[CheckResult]:
    from tray_app.autostart import autostart_for, resolve_launch_command

    _ = context.lang.gettext
    name = N_("start at login")
    rewrite = _("run `lensmor-tray autostart enable` to rewrite it")
    autostart = autostart_for(
        environ=context.environ, home=Path.home(), launcher=resolve_launch_command()
    )
    status = autostart.status()
    if not status.command:
        return [
            CheckResult(
                name,
                WARN,
                _("off ({location})").format(location=status.location),
                _("run `lensmor-tray autostart enable` to start it when you log in"),
            )
        ]
    if not status.enabled or not status.target_exists:
        detail = _("the entry {location} will not start the app: {reason}").format(
            location=status.location, reason=status.detail
        )
        return [CheckResult(name, FAIL, detail, rewrite)]
    program = [arg for arg in status.command if arg not in ("run", "--autostart")]
    try:
        done = subprocess.run(
            [*program, "--version"], capture_output=True, timeout=CHECK_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        detail = _("its command does not run: {error}").format(error=type(exc).__name__)
        return [CheckResult(name, FAIL, detail, rewrite)]
    if done.returncode != 0:
        detail = _("its command exits with code {code}").format(code=done.returncode)
        return [CheckResult(name, FAIL, detail, rewrite)]
    detail = _("on ({location}); its command runs").format(location=status.location)
    return [CheckResult(name, OK, detail)]


def check_running(context: Context) -> list[CheckResult]:
    """Whether the tray app runs (each account's last poll is on its history line)."""
    from tray_app.support.instance import running_pid

    _ = context.lang.gettext
    pid = running_pid(context.paths.lock_file)
    if pid is None:
        return [
            CheckResult(
                N_("app"),
                WARN,
                _("not running"),
                _("start it with `lensmor-tray` (or turn on start at login)"),
            )
        ]
    return [CheckResult(N_("app"), OK, _("running (pid {pid})").format(pid=pid))]
