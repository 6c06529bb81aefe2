"""The errors the Lensmor API client raises (api/client.py), and the short causes of a failed
request, each worded in the language it is shown in (`ApiError.text`)."""

from __future__ import annotations

from tray_app.core.language import ENGLISH, N_, Language, Phrase


class ApiError(Exception):
    """Base of every error the client raises.

    `message` is either our own English words, marked with `N_`, with {placeholders} filled
    from `values` (a `Phrase` among them worded in the same language), or, when `values` is
    None, the server's own words, shown as they came. `text(lang)` says it in `lang`; `str()`
    in English (logs)."""

    def __init__(
        self,
        message: str,
        *,
        trace_id: str | None = None,
        values: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.values = values
        self.trace_id = trace_id

    def text(self, lang: Language) -> str:
        if self.values is None:
            words = self.message
        else:
            filled = {
                name: lang.gettext(value) if isinstance(value, Phrase) else value
                for name, value in self.values.items()
            }
            words = lang.gettext(self.message).format(**filled)
        if self.trace_id:
            return lang.gettext("{detail} (traceId {trace})").format(
                detail=words, trace=self.trace_id
            )
        return words

    def __str__(self) -> str:
        return self.text(ENGLISH)


class AuthError(ApiError):
    """The server rejected the key (401/403). Ask the user for a new key; do not retry."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_key: str | None,
        trace_id: str | None = None,
        values: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, trace_id=trace_id, values=values)
        self.status = status
        self.error_key = error_key


class RateLimited(ApiError):
    """429: wait `retry_after` seconds before the next request."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        trace_id: str | None = None,
        values: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, trace_id=trace_id, values=values)
        self.retry_after = retry_after


class ServerError(ApiError):
    """A 5xx answer. Transient: retry with backoff."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        trace_id: str | None = None,
        values: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, trace_id=trace_id, values=values)
        self.status = status


class NetworkError(ApiError):
    """No usable answer: DNS, connect, timeout, TLS, dropped connection. Retry with backoff."""


class BadResponse(ApiError):
    """An answer that is not a valid balance: not JSON, wrong shape, too big, odd status."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status: int | None = None,
        trace_id: str | None = None,
        values: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, trace_id=trace_id, values=values)
        self.field = field
        self.status = status


def failure_reason(exc: BaseException) -> str:
    """A short cause for a requests exception, without URLs or headers that might echo input."""
    text = str(exc)
    lowered = text.lower()
    for needle, reason in (
        ("name or service not known", N_("the host name could not be resolved")),
        ("nodename nor servname", N_("the host name could not be resolved")),
        ("temporary failure in name resolution", N_("the host name could not be resolved")),
        ("getaddrinfo failed", N_("the host name could not be resolved")),
        ("connection refused", N_("connection refused")),
        ("certificate verify failed", N_("the server's certificate is not trusted")),
        ("timed out", N_("timed out")),
        ("connection reset", N_("the connection was reset")),
        ("remotedisconnected", N_("the server closed the connection")),
        ("connection aborted", N_("the connection was aborted")),
        ("network is unreachable", N_("the network is unreachable")),
    ):
        if needle in lowered:
            return reason
    return type(exc).__name__
