"""The tray of one or several accounts, presented once from every account's snapshot.

With one account the view is exactly `core.view.present` of its snapshot: nothing changes for
a user with one key. With several:

- the badge and the tooltip are those of the account closest to running out (worst level,
  then lowest fraction remaining; accounts whose balance is not known yet come last, ties go
  to the order of the config), unless the user pinned one in the menu; the tooltip names it;
- the menu has a section per account (its name, then its own rows), or, with more than
  `SECTIONS_UP_TO` accounts, one submenu per account; then "Show on the icon" (the pin), then
  the rows every account shares (Refresh, Settings, Pause, Quit ...), as the badge's account
  has them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace

from tray_app.core.language import ENGLISH, Language
from tray_app.core.view import (
    SEPARATOR,
    AccountSnapshot,
    MenuRow,
    PinAccount,
    TrayView,
    account_rows,
    badge,
    present,
    shared_rows,
    title,
)

#: Up to this many accounts the menu shows them as sections; more get a submenu each.
SECTIONS_UP_TO = 2


def badge_account(
    names: Sequence[str], snapshots: Mapping[str, AccountSnapshot], pinned: str | None
) -> str:
    """The name of the account the badge shows. `names` (config order) must not be empty."""
    if pinned is not None and pinned in names:
        return pinned

    def urgency(indexed: tuple[int, str]) -> tuple[int, int, float, int]:
        index, name = indexed
        snapshot = snapshots.get(name)
        level = None if snapshot is None else snapshot.level
        if snapshot is None or level is None or snapshot.state.balance is None:
            return (1, 0, 1.0, index)
        fraction = snapshot.state.balance.fraction_remaining
        return (0, -level.severity, 1.0 if fraction is None else fraction, index)

    return min(enumerate(names), key=urgency)[1]


def present_accounts(
    names: Sequence[str],
    snapshots: Mapping[str, AccountSnapshot],
    pinned: str | None,
    *,
    tz: dt.tzinfo | None = None,
    lang: Language = ENGLISH,
) -> TrayView | None:
    """The one tray view for the accounts `names` (config order) from their latest snapshots;
    None while no account has one yet."""
    known = [snapshots[name] for name in names if name in snapshots]
    if not known:
        return None
    if len(names) == 1:
        only = known[0]
        return present(only.state, only.thresholds, only.now, only.extras, tz, lang=lang)
    chosen_name = badge_account(names, snapshots, pinned)
    chosen = snapshots.get(chosen_name, known[0])
    outdated = chosen.state.is_outdated(chosen.now, chosen.extras.poll_interval)
    rows = (
        *_account_sections(names, snapshots, tz, lang),
        SEPARATOR,
        _pin_row(names, pinned, lang),
        *shared_rows(chosen.state, chosen.now, chosen.extras, tz, lang),
    )
    return TrayView(
        badge=badge(chosen.state, chosen.thresholds, chosen.extras.badge_style, outdated),
        title=title(
            chosen.state,
            chosen.thresholds,
            chosen.now,
            tz,
            lang,
            outdated=outdated,
            account=chosen.name,
        ),
        rows=rows,
    )


def _own_rows(
    snapshot: AccountSnapshot | None, tz: dt.tzinfo | None, lang: Language
) -> tuple[MenuRow, ...]:
    if snapshot is None:
        return (MenuRow(lang.gettext("Checking…")),)
    return account_rows(snapshot.state, snapshot.now, snapshot.extras, tz, lang)


def _account_sections(
    names: Sequence[str],
    snapshots: Mapping[str, AccountSnapshot],
    tz: dt.tzinfo | None,
    lang: Language,
) -> tuple[MenuRow, ...]:
    rows: list[MenuRow] = []
    if len(names) > SECTIONS_UP_TO:
        for name in names:
            own = _own_rows(snapshots.get(name), tz, lang)
            rows.append(MenuRow(f"{name}: {own[0].text}", children=own))
        return tuple(rows)
    for index, name in enumerate(names):
        if index:
            rows.append(SEPARATOR)
        rows.append(MenuRow(name))
        # Side by side, each account's named rows ("recent-alerts") need their own slot, or
        # the menu adapters would give two rows one id.
        rows.extend(
            replace(row, slot=f"{name}/{row.slot}") if row.slot else row
            for row in _own_rows(snapshots.get(name), tz, lang)
        )
    return tuple(rows)


def _pin_row(names: Sequence[str], pinned: str | None, lang: Language) -> MenuRow:
    _ = lang.gettext
    pinned = pinned if pinned in names else None
    choices = (
        MenuRow(_("Closest to running out"), PinAccount(None), checked=pinned is None),
        *(MenuRow(name, PinAccount(name), checked=pinned == name) for name in names),
    )
    return MenuRow(_("Show on the icon"), children=choices)
