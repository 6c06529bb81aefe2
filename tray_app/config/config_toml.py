"""Settings as TOML: the plain tables (`settings_to_toml`), and the config file's text edited
to say new settings while keeping what the user wrote (`edit_config_text`).

The edit changes only what changed, in the user's own document (tomlkit keeps comments,
order, quoting and blank lines): a value that did not change is not touched, even when the
file spells it differently (`base_url = "https://x/"`), or leaves it to its default. Accounts
are an array of tables, `[[accounts]]`, never the inline `accounts = [{…}]` that versions
before this one wrote (and that a hand-appended `[[accounts]]` block made invalid TOML); an
inline one found in a file is turned into tables.

The result is checked: it must parse to exactly the new settings. If tomlkit's edit does not
(a layout it cannot edit in place), the file is written afresh from the settings instead, and
a warning says that its comments were not kept.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from tray_app.config.hooks import hooks_to_toml
from tray_app.config.model import (
    DEFAULT_ACCOUNT,
    AccountConfig,
    AlertSettings,
    ConfigError,
    IntegrationSettings,
    Settings,
)
from tray_app.config.parse import parse_settings
from tray_app.core.account_label import name_key
from tray_app.core.language import N_

log = logging.getLogger(__name__)

_BOM = "\ufeff"
_IMPLICIT_ACCOUNTS = (AccountConfig(DEFAULT_ACCOUNT),)


def settings_to_toml(settings: Settings) -> dict[str, Any]:
    """The plain TOML tables that say `settings` (every top-level value, accounts as a list)."""
    data: dict[str, Any] = {
        "base_url": settings.base_url,
        "poll_interval": settings.poll_interval,
        "badge_style": settings.badge_style.value,
        "alerts": _alerts_to_toml(settings.alerts),
        **_integrations_toml(settings.integrations),
    }
    # The one plain "default" account is what a config without [[accounts]] means: leave the
    # table out so an old config round-trips unchanged.
    if settings.accounts != _IMPLICIT_ACCOUNTS:
        data["accounts"] = [account_to_toml(a) for a in settings.accounts]
    if settings.badge_account is not None:
        data["badge_account"] = settings.badge_account
    if settings.hooks:
        # Last of the plain values: [[hooks]] tables, and a key after them would be theirs.
        data["hooks"] = hooks_to_toml(settings.hooks)
    return data


def account_to_toml(account: AccountConfig) -> dict[str, Any]:
    table: dict[str, Any] = {"name": account.name}
    if account.base_url is not None:
        table["base_url"] = account.base_url
    if account.alerts is not None:
        table["alerts"] = _alerts_to_toml(account.alerts)
    return table


def _alerts_to_toml(alerts: AlertSettings) -> dict[str, Any]:
    return {
        "thresholds": [str(t) if t.is_percent else _plain(t.value) for t in alerts.thresholds],
        "expiring_hours": _plain(alerts.expiring_hours),
        "large_spend": _plain(alerts.large_spend),
        "offline_minutes": _plain(alerts.offline_minutes),
        "notifications": alerts.notifications,
    }


def _integrations_toml(integrations: IntegrationSettings) -> dict[str, Any]:
    # Written only when set, so a saved config stays as short as the user's.
    table = {
        name: str(getattr(integrations, name))
        for name in ("prometheus_textfile", "waybar_file")
        if getattr(integrations, name) is not None
    }
    return {"integrations": table} if table else {}


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# -- editing the user's file ---------------------------------------------------------------


def edit_config_text(text: str, old: Settings, new: Settings, origin: str = "config") -> str:
    """`text` (a config that parses to `old`) changed so that it parses to `new`."""
    from tomlkit.exceptions import TOMLKitError

    bom = _BOM if text.startswith(_BOM) else ""
    try:
        edited = bom + _edited(text[len(bom) :], old, new)
    except (TOMLKitError, ValueError, TypeError, KeyError, IndexError) as exc:
        log.debug("tomlkit could not edit %s in place: %r", origin, exc)
    else:
        if _says(edited, new):
            return edited
    log.warning(
        "%s: its layout could not be edited in place, so it was written afresh "
        "(its comments were not kept)",
        origin,
    )
    fresh = fresh_config_text(new)
    if not _says(fresh, new):  # pragma: no cover - a bug in settings_to_toml
        raise ConfigError(N_("{origin}: the new settings cannot be written as TOML"), origin=origin)
    return fresh


def fresh_config_text(settings: Settings) -> str:
    """A new config file that says `settings`, every value written out (as before issue 18),
    so a person opening it sees what there is to change; accounts as [[accounts]] tables."""
    import tomlkit

    document = tomlkit.document()
    data = settings_to_toml(settings)
    data.pop("accounts", None)
    for key, value in data.items():
        document[key] = value
    _edit_accounts(document, _IMPLICIT_ACCOUNTS, settings.accounts)
    return tomlkit.dumps(document)


def _edited(text: str, old: Settings, new: Settings) -> str:
    import tomlkit

    document = tomlkit.parse(text)
    old_data, new_data = settings_to_toml(old), settings_to_toml(new)
    old_data.pop("accounts", None)
    new_data.pop("accounts", None)
    _apply(document, old_data, new_data)
    if old.accounts != new.accounts:
        _edit_accounts(document, old.accounts, new.accounts)
    return tomlkit.dumps(document)


def _says(text: str, settings: Settings) -> bool:
    """True if `text` parses to exactly `settings`."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        return parse_settings(tomllib.loads(text.removeprefix(_BOM))) == settings
    except (ValueError, ConfigError):
        return False


def _apply(container: Any, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Make the tomlkit `container` say `new` where it said `old`: delete what went, set what
    changed, recurse into tables, leave the rest (and its comments) alone."""
    from tomlkit.items import InlineTable, Table

    for key in old.keys() - new.keys():
        if key in container:
            del container[key]
    for key, value in new.items():
        before = old.get(key)
        if key in old and before == value:
            continue
        current = container.get(key) if key in container else None
        if isinstance(value, dict) and isinstance(current, Table | InlineTable):
            _apply(current, before if isinstance(before, dict) else {}, value)
        elif isinstance(value, dict) and isinstance(before, dict):
            # A table the file leaves to its defaults ([alerts]): only what differs from them.
            container[key] = {k: v for k, v in value.items() if before.get(k) != v}
        else:
            container[key] = value


def _edit_accounts(
    document: Any, old: Sequence[AccountConfig], new: Sequence[AccountConfig]
) -> None:
    """Edit the [[accounts]] tables in place: an account that stays keeps its table (and the
    comments in it), a renamed one too; a removed one loses its table; a new one is appended."""
    import tomlkit
    from tomlkit.items import AoT

    existing = document.get("accounts") if "accounts" in document else None
    if new == _IMPLICIT_ACCOUNTS and existing is None:
        return
    if not isinstance(existing, AoT) or len(existing) != len(old):
        # No tables yet, or the inline `accounts = [{…}]`: write the accounts as tables at the
        # end, where a table must be (a plain key after it would belong to the last account).
        if existing is not None:
            del document["accounts"]
        tables = tomlkit.aot()
        for account in new:
            tables.append(_new_table(account, blank_line_before=False))
        document.append("accounts", tables)
        return
    index_of = {name_key(account.name): i for i, account in enumerate(old)}
    kept: dict[int, AccountConfig] = {}
    added: list[AccountConfig] = []
    for account in new:
        i = index_of.get(name_key(account.name))
        if i is None or i in kept:
            added.append(account)
        else:
            kept[i] = account
    gone = [i for i in range(len(old)) if i not in kept]
    if len(gone) == len(added):  # a rename: the same table, with its new name
        kept.update(zip(gone, added, strict=True))
        gone, added = [], []
    for i, account in kept.items():
        _apply(existing[i], account_to_toml(old[i]), account_to_toml(account))
    for i in sorted(gone, reverse=True):
        del existing[i]
    for account in added:
        existing.append(_new_table(account, blank_line_before=True))
    if [table["name"] for table in existing] != [account.name for account in new]:
        raise ValueError("the accounts are in another order")  # written afresh instead


def _new_table(account: AccountConfig, *, blank_line_before: bool) -> Any:
    import tomlkit

    table = tomlkit.table()
    for key, value in account_to_toml(account).items():
        table[key] = value
    if blank_line_before:
        table.trivia.indent = "\n"
    return table
