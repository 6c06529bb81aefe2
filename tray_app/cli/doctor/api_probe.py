"""`lensmor-tray doctor`'s API checks: each account's own base URL probed with its own key
(reachable, TLS, the key accepted, the server's clock, the rate limit left)."""

from __future__ import annotations

import dataclasses
import email.utils
import functools
import time
from collections.abc import Mapping

from tray_app.cli.doctor.context import FAIL, OK, WARN, Context
from tray_app.cli.hints import key_set_command
from tray_app.config.model import ConfigError
from tray_app.config.urls import effective_base_url
from tray_app.core import fmt
from tray_app.core.doctor import CheckResult
from tray_app.support.bounded import all_within

API_CONNECT_TIMEOUT_S = 3.0
API_READ_TIMEOUT_S = 5.0
#: More clock difference than this with the server is reported (TLS and resetAt need a sane
#: clock; a minute is far beyond what NTP leaves).
CLOCK_SKEW_WARN_S = 60.0
#: Warn when fewer than this share of the rate-limit window's requests are left.
RATE_LIMIT_WARN_SHARE = 0.2


def check_api(context: Context) -> list[CheckResult]:
    """Every account's own base URL, probed with that account's key, all at once."""
    accounts = context.settings.account_names
    timeout = API_CONNECT_TIMEOUT_S + API_READ_TIMEOUT_S + 0.5
    answers = all_within(
        [(functools.partial(probe_account, context, name), timeout) for name in accounts],
        "doctor-probe",
    )
    results: list[CheckResult] = []
    for name, answer in zip(accounts, answers, strict=True):
        lines = answer or [CheckResult("API", FAIL, f"no answer within {timeout:g} s")]
        results.extend(dataclasses.replace(r, account=context.label(name)) for r in lines)
    return results


def probe_account(context: Context, account: str) -> list[CheckResult]:
    """One GET of the balance at `account`'s base URL with its key: reachable, the key
    accepted, the server's clock, the rate limit left."""
    import requests

    from tray_app.api.client import BALANCE_PATH, USER_AGENT

    try:
        base_url = effective_base_url(context.settings, context.environ, account)
    except ConfigError as exc:
        return [CheckResult("API", FAIL, str(exc), "fix LENSMOR_BASE_URL or unset it")]
    key = context.key_of(account)
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
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
    results.append(_key_verdict(status, key is not None, key_set_command(account)))
    results.append(_clock_verdict(response.headers.get("Date")))
    results.append(_rate_limit_verdict(response.headers, status))
    return results


def _reason(exc: BaseException) -> str:
    from tray_app.api.client import _reason as api_reason

    return api_reason(exc)


def _key_verdict(status: int, have_key: bool, command: str) -> CheckResult:
    if not have_key:
        return CheckResult("key accepted", WARN, "not checked: no key", "set a key first")
    if status in (401, 403):
        return CheckResult(
            "key accepted",
            FAIL,
            f"the API refused the key (HTTP {status})",
            f"create a new key in the Lensmor app and run `{command}`",
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
