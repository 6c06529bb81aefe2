"""The tray of several accounts: which account the badge shows, and the one menu.

Every account has its own Monitor, which presents that account's `TrayView` exactly as the
single-account app always did (core/view.py `present`). This module only combines them, so
with one account the combined view *is* that account's view: nothing changes for a user with
one key. With several:

- the badge and the tooltip are those of the account closest to running out (worst level,
  then lowest fraction remaining; accounts whose balance is not known yet come last, ties go
  to the order of the config), unless the user pinned one in the menu; the tooltip names it;
- the menu has a section per account (its name, then its balance rows), or, with more than
  `SECTIONS_UP_TO` accounts, one submenu per account; then "Show on the icon" (the pin), then
  the rows every account shares (Refresh, Settings, Pause, Quit ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from tray_app.core.language import ENGLISH, Language
from tray_app.core.view import SEPARATOR, MenuRow, PinAccount, TrayView

#: Up to this many accounts the menu shows them as sections; more get a submenu each.
SECTIONS_UP_TO = 2


@dataclass(frozen=True)
class AccountView:
    """One account's name and its latest view (None before its monitor presented one)."""

    name: str
    view: TrayView | None


def badge_account(accounts: Sequence[AccountView], pinned: str | None) -> str:
    """The name of the account the badge shows. `accounts` must not be empty."""
    names = [a.name for a in accounts]
    if pinned is not None and pinned in names:
        return pinned

    def urgency(indexed: tuple[int, AccountView]) -> tuple[int, int, float, int]:
        index, account = indexed
        view = account.view
        if view is None or view.level is None:
            return (1, 0, 1.0, index)
        fraction = 1.0 if view.fraction is None else view.fraction
        return (0, -view.level.severity, fraction, index)

    return min(enumerate(accounts), key=urgency)[1].name


def combine(
    accounts: Sequence[AccountView], pinned: str | None, lang: Language = ENGLISH
) -> TrayView | None:
    """The one tray view for all accounts (None while no account has a view yet)."""
    presented = [(a.name, a.view) for a in accounts if a.view is not None]
    if not presented:
        return None
    if len(accounts) == 1:
        return presented[0][1]
    chosen_name = badge_account(accounts, pinned)
    name, view = next((p for p in presented if p[0] == chosen_name), presented[0])
    shared = view.rows[len(view.section) :]  # starts with the separator after the section
    rows = (
        *_account_rows(accounts, lang),
        SEPARATOR,
        _pin_row(accounts, pinned, lang),
        *shared,
    )
    return TrayView(
        badge=view.badge,
        title=named_title(name, view.title, lang),
        rows=rows,
        section=(),
        level=view.level,
        fraction=view.fraction,
    )


def named_title(name: str, title: str, lang: Language = ENGLISH) -> str:
    """ "Lensmor: 1,000 of 10,000 credits" -> "Lensmor — Work: 1,000 of 10,000 credits"."""
    _ = lang.gettext
    # Every tooltip core/view.py writes starts with the (translated) "Lensmor: " prefix.
    prefix = _("Lensmor: {amounts}").split("{amounts}")[0]
    if prefix and title.startswith(prefix):
        return _("Lensmor — {account}: {details}").format(
            account=name, details=title[len(prefix) :]
        )
    return _("{account} — {title}").format(account=name, title=title)


def _section(account: AccountView, lang: Language) -> tuple[MenuRow, ...]:
    if account.view is None or not account.view.section:
        return (MenuRow(lang.gettext("Checking…")),)
    return account.view.section


def _account_rows(accounts: Sequence[AccountView], lang: Language) -> tuple[MenuRow, ...]:
    rows: list[MenuRow] = []
    if len(accounts) > SECTIONS_UP_TO:
        for account in accounts:
            section = _section(account, lang)
            rows.append(MenuRow(f"{account.name}: {section[0].text}", children=section))
        return tuple(rows)
    for index, account in enumerate(accounts):
        if index:
            rows.append(SEPARATOR)
        rows.append(MenuRow(account.name))
        # Side by side, each account's named rows ("recent-alerts") need their own slot, or
        # the menu adapters would give two rows one id.
        rows.extend(
            replace(row, slot=f"{account.name}/{row.slot}") if row.slot else row
            for row in _section(account, lang)
        )
    return tuple(rows)


def _pin_row(accounts: Sequence[AccountView], pinned: str | None, lang: Language) -> MenuRow:
    _ = lang.gettext
    names = [a.name for a in accounts]
    pinned = pinned if pinned in names else None
    choices = (
        MenuRow(_("Closest to running out"), PinAccount(None), checked=pinned is None),
        *(MenuRow(name, PinAccount(name), checked=pinned == name) for name in names),
    )
    return MenuRow(_("Show on the icon"), children=choices)
