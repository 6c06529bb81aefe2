"""Fetch one account's balance for a command, and word what went wrong as a `CliError`.

`status` fetches with the stored key (`fetch_balance_of`), `account add` with the key it is
about to store (`fetch_with_key`); both fail with the same one line and exit code for the same
problem (`api_error_to_cli`, worded by core.errors as the tray words it). The HTTP client is
imported only when a request is made: it costs ~0.1 s of start-up that `history`, `usage` and
the other commands that never call the API should not pay.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from tray_app.cli.config_access import key_store, pacing_profile
from tray_app.cli.exits import EXIT_KEY, EXIT_RATE_LIMITED, EXIT_UNAVAILABLE, CliError
from tray_app.cli.hints import key_set_command
from tray_app.config.model import DEFAULT_ACCOUNT, Settings
from tray_app.config.paths import AppPaths
from tray_app.config.urls import effective_base_url
from tray_app.core import errors
from tray_app.core.balance import Balance
from tray_app.core.language import N_, Language
from tray_app.core.state import Problem

if TYPE_CHECKING:
    from tray_app.api.client import ApiError


def fetch_balance_of(paths: AppPaths, settings: Settings, account: str) -> tuple[Balance, float]:
    """Fetch `account`'s balance once; CliError (one line, exit code) on any failure."""
    base_url = effective_base_url(settings, os.environ, account)
    store = key_store(paths, account)
    stored = store.load()  # its warnings are logged, and so shown once (see cli/main.py)
    if stored is None:
        raise CliError(
            N_(
                "no API key is set; run `{command}` (create one in the Lensmor app under "
                "Settings -> API Keys)"
            ),
            EXIT_KEY,
            command=key_set_command(account),
        )
    return fetch_with_key(base_url, stored.value, account), time.time()


def fetch_with_key(base_url: str, key: str, account: str = DEFAULT_ACCOUNT) -> Balance:
    from tray_app.api.client import ApiError, client_for_profile

    client = client_for_profile(base_url, key, pacing_profile())
    try:
        return client.fetch_balance().balance
    except ApiError as exc:
        raise api_error_to_cli(exc, account) from None
    finally:
        client.close()


def api_error_to_cli(exc: ApiError, account: str = DEFAULT_ACCOUNT) -> CliError:
    """Map a client error to the one line and exit code the user sees (worded by core.errors)."""
    from tray_app.api.client import RateLimited, problem_of

    problem = problem_of(exc)
    if problem is Problem.KEY_REJECTED:
        return CliError(
            N_("the API key was rejected ({detail}); {advice} and run `{command}`"),
            EXIT_KEY,
            detail=exc.text,
            advice=lambda lang: errors.advice(problem, lang=lang),
            command=key_set_command(account),
        )
    if isinstance(exc, RateLimited):
        retry_after = exc.retry_after

        def line(lang: Language) -> str:
            return errors.one_line(problem, None, retry_after, lang)

        if exc.trace_id:
            return CliError(
                N_("{problem} (traceId {trace})"),
                EXIT_RATE_LIMITED,
                problem=line,
                trace=exc.trace_id,
            )
        return CliError("{problem}", EXIT_RATE_LIMITED, problem=line)
    # The client's words (an HTTP status, a timeout) in the user's language.
    return CliError(
        "{problem}",
        EXIT_UNAVAILABLE,
        problem=lambda lang: errors.one_line(problem, exc.text(lang), lang=lang),
    )
