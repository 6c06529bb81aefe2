"""The app's log: a rotating file, plus stderr when verbose; a log it cannot write never shows
a traceback.

Python's logging prints "--- Logging error ---" and a traceback to stderr for every record a
handler fails to write (`Handler.handleError`, with `logging.raiseExceptions` on by default): on
a full disk that is a traceback per log line. `_LogFile` says once, in one line, that the log
cannot be written, sends warnings and errors to stderr meanwhile, and writes the file again as
soon as it can.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

LOG_BYTES = 1_000_000
LOG_BACKUPS = 3


def configure_logging(verbose: bool, log_file: Path | None) -> None:
    """Rotating file log (if given) plus stderr when verbose. Called by commands that log."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # APScheduler logs every job run at INFO; our monitor already logs each poll once.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            handler = _log_file_handler(log_file)
            handler.setFormatter(formatter)
            root.addHandler(handler)
        except OSError as exc:
            # No handler: warnings reach stderr as one line each (cli's logging.lastResort).
            _say(
                _gettext("warning: cannot write the log file {path}: {reason}").format(
                    path=log_file, reason=_reason(exc)
                )
            )
    if verbose:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter)
        root.addHandler(stream)


def _log_file_handler(path: Path) -> logging.Handler:
    # Imported here, like before: the commands that do not log never pay for it.
    from logging.handlers import RotatingFileHandler

    class _LogFile(RotatingFileHandler):
        """A rotating log file whose write failures (a full disk) are said once, not raised."""

        def __init__(self) -> None:
            super().__init__(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS)
            self._error: OSError | None = None
            self._failing = False

        def emit(self, record: logging.LogRecord) -> None:
            self._error = None
            super().emit(record)  # calls handleError if the write fails
            if self._error is None:
                self._failing = False
                return
            if not self._failing:
                self._failing = True
                _say(
                    _gettext(
                        "warning: cannot write the log file {path}: {reason}; warnings are "
                        "shown here until it can be written again"
                    ).format(path=path, reason=_reason(self._error))
                )
            if record.levelno >= logging.WARNING:
                _say(f"{record.levelname.lower()}: {record.getMessage()}")

        def handleError(self, record: logging.LogRecord) -> None:
            error = sys.exc_info()[1]
            if isinstance(error, OSError):
                self._error = error
            else:
                super().handleError(record)  # a bug (a bad format string): logging's own report

    return _LogFile()


def _reason(exc: OSError) -> str:
    from tray_app.support.file_problems import reason
    from tray_app.support.i18n import language_from_environ

    return reason(exc, language_from_environ(os.environ))


def _gettext(message: str) -> str:
    from tray_app.support.i18n import language_from_environ

    return language_from_environ(os.environ).gettext(message)


def _say(message: str) -> None:
    print(f"lensmor-tray: {message}", file=sys.stderr, flush=True)
