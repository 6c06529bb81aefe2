"""How a command ends: its exit code, and the one line on stderr when it fails.

Exit codes (documented in the README):
    0 ok · 1 "not enabled" answers (autostart status) · 2 usage or config error ·
    3 key missing or rejected · 4 network, server or bad response · 5 rate limited

`guard` has its own, for scripts (cli/commands/guard.py): 0 enough · 1 below · 3 key missing
or rejected · 64 bad arguments (sysexits' EX_USAGE) · 69 cannot tell (EX_UNAVAILABLE) · and
with `-- COMMAND`, the command's own status, 126 when it cannot be run, 127 when not found.

Every error the user can cause is reported as one line on stderr that says what happened and
what to do, with the traceId when the server sent one; never a traceback, never the key.
Apart from cli/main.py because every command raises `CliError` and several print a line of
their own with `print_error` (one account of several failing, a warning).
"""

from __future__ import annotations

import sys

from tray_app.core.language import ENGLISH, Language

EXIT_OK = 0
EXIT_NO = 1
EXIT_USAGE = 2
EXIT_KEY = 3
EXIT_UNAVAILABLE = 4
EXIT_RATE_LIMITED = 5

EXIT_GUARD_USAGE = 64
EXIT_GUARD_UNKNOWN = 69
EXIT_CANNOT_RUN = 126
EXIT_NOT_FOUND = 127

#: Exit codes from best to worst, for "the exit code is the worst of them" with several
#: accounts: a usage/config error beats a rejected key, which beats an outage, which beats
#: a rate limit (which only asks to wait).
EXIT_SEVERITY = (EXIT_OK, EXIT_RATE_LIMITED, EXIT_UNAVAILABLE, EXIT_KEY, EXIT_USAGE)


def worst_exit(codes: list[int]) -> int:
    def rank(code: int) -> int:
        return EXIT_SEVERITY.index(code) if code in EXIT_SEVERITY else len(EXIT_SEVERITY)

    return max(codes, key=rank, default=0)


class CliError(Exception):
    """A failure to report as one line with an exit code.

    `message` is English (marked with `N_` where it is written) with {named} placeholders
    filled from `values`; `text(lang)` words it in the user's language. A value that is a
    callable is a piece worded elsewhere (core.errors) and gets the language too. `str()` is
    the English line (logs, JSON)."""

    def __init__(self, message: str, code: int, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(self.text(ENGLISH))
        self.code = code

    def text(self, lang: Language) -> str:
        if not self.values:
            return lang.gettext(self.message)
        filled = {
            name: value(lang) if callable(value) else value for name, value in self.values.items()
        }
        return lang.gettext(self.message).format(**filled)


def print_error(message: str) -> None:
    """`message` as the CLI's one line on stderr (errors and warnings alike)."""
    print(f"lensmor-tray: {message}", file=sys.stderr)
