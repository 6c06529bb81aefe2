"""Opening the tray the app runs with: wait for a tray host at login, choose (choose.py),
build, and fall back to the headless tray, saying in one line why there is no icon or no
menu and what to install."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any

from tray_app.core.language import N_, Message
from tray_app.core.view import MenuAction
from tray_app.tray import host_probe
from tray_app.tray.base import Tray
from tray_app.tray.choose import Probes, TrayKind, build_tray, choose_tray
from tray_app.tray.headless import HeadlessTray

log = logging.getLogger(__name__)

TRAY_HOST_WAIT_AT_LOGIN_S = 90.0

NO_MENU_ADVICE = N_(
    "the tray icon has no menu on this desktop (pystray's xorg backend, an XEmbed-only tray); "
    "install PyGObject (Debian/Ubuntu: sudo apt install python3-gi gir1.2-gtk-3.0) or use a "
    "panel with a StatusNotifier tray"
)


def open_tray(
    environ: Mapping[str, str],
    on_action: Callable[[MenuAction], None],
    loop: Any,
    *,
    at_login: bool,
    say: Callable[[Message], None],
) -> Tray:
    """The tray for this desktop; `loop` is the app's AsyncioThread (D-Bus probes, the native
    item). `at_login`: wait up to TRAY_HOST_WAIT_AT_LOGIN_S for the panel to start first.
    `say` tells the person (in their language) and the log (in English) why there is no icon
    or no menu."""
    if (
        sys.platform == "linux"
        and at_login
        and not host_probe.wait_for_tray_host(
            environ,
            TRAY_HOST_WAIT_AT_LOGIN_S,
            present=lambda env: host_probe.tray_host_present(env, loop),
        )
    ):
        return _headless(Message(host_probe.no_tray_message(environ)), say)
    choice = choose_tray(environ, probes=Probes.on(loop))
    log.info("tray: %s (%s)", choice.kind.value, choice.reason)
    if choice.kind is TrayKind.NONE:
        notice = choice.notice or Message(N_("no tray: {reason}"), reason=choice.reason)
        return _headless(_message(notice), say)
    if choice.notice:
        say(_message(choice.notice))
    try:
        tray: Tray = build_tray(choice, on_action, loop)
    except Exception as exc:  # noqa: BLE001 - any backend failure: run without a tray
        return _headless(
            Message(N_("the tray icon could not be created ({error})"), error=type(exc).__name__),
            say,
        )
    if not tray.has_menu:
        say(Message(NO_MENU_ADVICE))
    log.info("tray backend: %s", tray.backend)
    return tray


def _headless(message: Message, say: Callable[[Message], None]) -> HeadlessTray:
    say(message)
    return HeadlessTray()


def _message(notice: str) -> Message:
    # A TrayChoice's notice is a Message (choose.py); anything else is said as it is.
    return notice if isinstance(notice, Message) else Message(notice)
