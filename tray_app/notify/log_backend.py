"""The last resort: a notification nobody could show is at least written to the log."""

from __future__ import annotations

import logging

from tray_app.notify.base import Notification

_log = logging.getLogger(__name__)


class LogNotifier:
    """Logs title and body at INFO. Never fails, so a chain ending here always delivers."""

    name = "log"

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or _log

    def send(self, n: Notification) -> None:
        # %r keeps a multi-line body on one log line and shows the text exactly as composed.
        key = f" [{n.key}]" if n.key else ""
        self._log.info("notification%s (%s): %r %r", key, n.urgency, n.title, n.plain_body)
