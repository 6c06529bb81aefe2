"""The API base URL: checked (https, or http to loopback only) and chosen per account."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from tray_app.config.model import DEFAULT_ACCOUNT, DEFAULT_BASE_URL, ConfigError, Settings
from tray_app.core.language import N_


def validate_base_url(url: str) -> str:
    """Return `url` without a trailing slash, or raise ConfigError.

    https is required, except that plain http is allowed for loopback hosts (the simulated API
    and local proxies): the key must never cross a network in clear text.
    """
    if any(c.isspace() or not c.isprintable() for c in url):
        raise ConfigError(
            N_("base_url {url} contains spaces or control characters"), url=repr(url[:80])
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ConfigError(
            N_("base_url {url} is not a valid URL ({error})"), url=repr(url), error=exc
        ) from None
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(
            N_("base_url {url} is not an http(s) URL; use e.g. {example}"),
            url=repr(url),
            example=DEFAULT_BASE_URL,
        )
    if parts.username or parts.password:
        raise ConfigError(N_("base_url must not contain a user name or password"))
    if parts.query or parts.fragment:
        raise ConfigError(N_("base_url {url} must not have a query or fragment"), url=repr(url))
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            N_(
                "base_url {url} uses plain http to a non-loopback host; use https "
                "(plain http is allowed only for 127.0.0.1, ::1 and localhost)"
            ),
            url=repr(url),
        )
    return url.rstrip("/")


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def effective_base_url(
    settings: Settings, environ: Mapping[str, str], account: str = DEFAULT_ACCOUNT
) -> str:
    """An account's own base_url wins; else LENSMOR_BASE_URL overrides the config's base_url
    (both validated the same way)."""
    own = next((a.base_url for a in settings.accounts if a.name == account), None)
    if own:
        return own
    override = environ.get("LENSMOR_BASE_URL")
    if override:
        try:
            return validate_base_url(override)
        except ConfigError as exc:
            raise ConfigError("LENSMOR_BASE_URL: {detail}", detail=exc) from None
    return settings.base_url
