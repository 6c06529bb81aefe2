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
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.support.bounded import all_within

API = N_("API")
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
        silent = context.lang.gettext("no answer within {seconds} s").format(seconds=f"{timeout:g}")
        lines = answer or [CheckResult(API, FAIL, silent)]
        results.extend(dataclasses.replace(r, account=context.label(name)) for r in lines)
    return results


def probe_account(context: Context, account: str) -> list[CheckResult]:
    """One GET of the balance at `account`'s base URL with its key: reachable, the key
    accepted, the server's clock, the rate limit left."""
    import requests

    from tray_app.api.client import BALANCE_PATH, USER_AGENT

    lang = context.lang
    _ = lang.gettext
    try:
        base_url = effective_base_url(context.settings, context.environ, account)
    except ConfigError as exc:
        return [CheckResult(API, FAIL, exc.text(lang), _("fix LENSMOR_BASE_URL or unset it"))]
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
        detail = _("TLS to {url} failed: {reason}").format(url=base_url, reason=_reason(exc, lang))
        fix = _("check the system clock and CA certificates (a proxy that intercepts TLS?)")
        return [CheckResult(API, FAIL, detail, fix)]
    except requests.exceptions.RequestException as exc:
        detail = _("cannot reach {url}: {reason}").format(url=base_url, reason=_reason(exc, lang))
        fix = _("check your network connection (and base_url in the config)")
        return [CheckResult(API, FAIL, detail, fix)]
    latency_ms = f"{(time.monotonic() - started) * 1000:.0f}"
    response.close()
    results = []
    status = response.status_code
    if status >= 500:
        detail = _("{url} answers HTTP {status} (server error) in {ms} ms").format(
            url=base_url, status=status, ms=latency_ms
        )
        fix = _("Lensmor has a problem; the app retries by itself, try again later")
        results.append(CheckResult(API, FAIL, detail, fix))
    elif base_url.startswith("https:"):
        detail = _("{url} answers in {ms} ms, TLS verified").format(url=base_url, ms=latency_ms)
        results.append(CheckResult(API, OK, detail))
    else:
        detail = _("{url} answers in {ms} ms, plain HTTP (loopback)").format(
            url=base_url, ms=latency_ms
        )
        results.append(CheckResult(API, OK, detail))
    results.append(_key_verdict(status, key is not None, key_set_command(account), lang))
    results.append(_clock_verdict(response.headers.get("Date"), lang))
    results.append(_rate_limit_verdict(response.headers, status, lang))
    return results


def _reason(exc: BaseException, lang: Language) -> str:
    from tray_app.api.errors import failure_reason

    return lang.gettext(failure_reason(exc))


def _key_verdict(
    status: int, have_key: bool, command: str, lang: Language = ENGLISH
) -> CheckResult:
    _ = lang.gettext
    name = N_("key accepted")
    if not have_key:
        return CheckResult(name, WARN, _("not checked: no key"), _("set a key first"))
    if status in (401, 403):
        return CheckResult(
            name,
            FAIL,
            _("the API refused the key (HTTP {status})").format(status=status),
            _("create a new key in the Lensmor app and run `{command}`").format(command=command),
        )
    if status == 200:
        return CheckResult(name, OK, _("the API accepted the key"))
    if status == 429:
        return CheckResult(name, WARN, _("not known: rate limited (HTTP 429)"), _("wait"))
    detail = _("not known: the API answered HTTP {status}").format(status=status)
    return CheckResult(name, WARN, detail, "")


def _clock_verdict(date_header: str | None, lang: Language = ENGLISH) -> CheckResult:
    _ = lang.gettext
    name = N_("clock")
    if not date_header:
        return CheckResult(name, WARN, _("the server sent no Date header to compare with"), "")
    try:
        server = email.utils.parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError):
        detail = _("unreadable Date header {header}").format(header=repr(date_header[:40]))
        return CheckResult(name, WARN, detail, "")
    skew = time.time() - server
    if abs(skew) > CLOCK_SKEW_WARN_S:
        duration = fmt.duration(abs(skew), lang)
        if skew > 0:
            detail = _("this computer's clock is {duration} ahead of the server's")
        else:
            detail = _("this computer's clock is {duration} behind the server's")
        fix = _("turn on time sync (e.g. `timedatectl set-ntp true`)")
        return CheckResult(name, WARN, detail.format(duration=duration), fix)
    detail = _("within {seconds} s of the server's").format(seconds=f"{abs(skew):.0f}")
    return CheckResult(name, OK, detail)


def _rate_limit_verdict(
    headers: Mapping[str, str], status: int, lang: Language = ENGLISH
) -> CheckResult:
    _ = lang.gettext
    name = N_("rate limit")
    if status == 429:
        return CheckResult(
            name,
            WARN,
            _("rate limited right now (HTTP 429)"),
            _("other tools share this key's limit; the app waits by itself"),
        )
    limit, remaining = headers.get("X-RateLimit-Limit"), headers.get("X-RateLimit-Remaining")
    if not (limit and remaining and limit.isdigit() and remaining.isdigit()):
        return CheckResult(name, OK, _("no rate-limit headers in the answer"))
    total, left = int(limit), int(remaining)
    detail = _("{left} of {total} requests left in this window").format(left=left, total=total)
    if total and left < total * RATE_LIMIT_WARN_SHARE:
        return CheckResult(
            name,
            WARN,
            detail,
            _("other tools use the same key heavily; use `status --cached` in scripts"),
        )
    return CheckResult(name, OK, detail)
