"""The tray of one or several accounts, presented once from every account's snapshot.

With one account the view is exactly `core.view.present` of its snapshot: nothing changes for
a user with one key. With several:

- the badge and the tooltip are those of the account closest to running out (worst level,
  then lowest fraction remaining; accounts whose balance is not known yet come last, ties go
  to the order of the config), unless the user pinned one in the menu; the tooltip names it;
- the menu has one summary row per account (its name, balance and level in words) whose
  submenu holds the account's own rows, the pinned account first, then the others from the
  closest to running out (the badge's order); then "Show on the icon" (the pin), then the rows
  every account shares (Refresh, Settings, Pause, Quit ...), as the badge's account has them.
  At most `SUMMARY_ROWS` account rows stand on the top level: with more accounts, the first
  `SUMMARY_ROWS - 1` in that order and one "More accounts (N)" row whose submenu holds the
  rest, the same summary rows with the same submenus. So the menu stays under a 600 px
  screen's height with any number of accounts (one ~25 px row each passed it at about 16).
- each summary row is keyed by its account's name (`MenuRow.slot`), not its position: when
  the order changes, every row keeps its menu id, so a menu open on screen stays open. An
  account that moves between the top level and "More accounts" gets a new id (a menu id
  belongs to a row's place under its parent, tray/sni/menu_model.py): that is a layout change
  the host redraws, rare next to the balance updates that keep every id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from tray_app.core.account_label import shown_name
from tray_app.core.language import ENGLISH, Language
from tray_app.core.view import (
    SEPARATOR,
    AccountSnapshot,
    MenuRow,
    PinAccount,
    TrayView,
    account_rows,
    amounts,
    badge,
    level_name,
    present,
    shared_rows,
    title,
)

#: The most account rows on the menu's top level, "More accounts" included: 8 rows of ~25 px
#: with the pin and the shared rows stay well under 600 px.
SUMMARY_ROWS = 8


def badge_account(
    names: Sequence[str], snapshots: Mapping[str, AccountSnapshot], pinned: str | None
) -> str:
    """The name of the account the badge shows. `names` (config order) must not be empty."""
    return menu_order(names, snapshots, pinned)[0]


def menu_order(
    names: Sequence[str], snapshots: Mapping[str, AccountSnapshot], pinned: str | None
) -> list[str]:
    """`names` as the menu lists them: the pinned account first, then from the closest to
    running out (worst level, then lowest fraction remaining) to the furthest; accounts whose
    balance is not known yet last; ties in config order."""

    def urgency(indexed: tuple[int, str]) -> tuple[int, int, float, int]:
        index, name = indexed
        snapshot = snapshots.get(name)
        level = None if snapshot is None else snapshot.level
        if snapshot is None or level is None or snapshot.state.balance is None:
            return (1, 0, 1.0, index)
        fraction = snapshot.state.balance.fraction_remaining
        return (0, -level.severity, 1.0 if fraction is None else fraction, index)

    ordered = [name for _index, name in sorted(enumerate(names), key=urgency)]
    if pinned is not None and pinned in names:
        ordered.remove(pinned)
        ordered.insert(0, pinned)
    return ordered


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
        *_account_rows(names, snapshots, pinned, tz, lang),
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
            account=shown_name(chosen.name, names, lang),
        ),
        rows=rows,
    )


def _own_rows(
    snapshot: AccountSnapshot | None, tz: dt.tzinfo | None, lang: Language
) -> tuple[MenuRow, ...]:
    if snapshot is None:
        return (MenuRow(lang.gettext("Checking…")),)
    return account_rows(snapshot.state, snapshot.now, snapshot.extras, tz, lang)


def _account_rows(
    names: Sequence[str],
    snapshots: Mapping[str, AccountSnapshot],
    pinned: str | None,
    tz: dt.tzinfo | None,
    lang: Language,
) -> tuple[MenuRow, ...]:
    summaries = tuple(
        _summary_row(name, shown_name(name, names, lang), snapshots.get(name), tz, lang)
        for name in menu_order(names, snapshots, pinned)
    )
    if len(summaries) <= SUMMARY_ROWS:
        return summaries
    top, rest = summaries[: SUMMARY_ROWS - 1], summaries[SUMMARY_ROWS - 1 :]
    more = lang.gettext("More accounts ({count})").format(count=len(rest))
    # Its own slot: the row keeps its id (and an open submenu stays open) when N changes.
    return (*top, MenuRow(more, children=rest, slot="more-accounts"))


def _summary_row(
    name: str,
    shown: str,
    snapshot: AccountSnapshot | None,
    tz: dt.tzinfo | None,
    lang: Language,
) -> MenuRow:
    """ "Work: 800 of 10,000 credits · critical", its own rows in the submenu. `shown`: the
    name as people see it ("Main"); the row's slot keeps the real `name`."""
    _ = lang.gettext
    own = _own_rows(snapshot, tz, lang)
    level = None if snapshot is None else snapshot.level
    if snapshot is None or snapshot.state.balance is None or level is None:
        # No balance yet: what the account's status row says ("Checking…", "Key rejected").
        text = _("{account}: {status}").format(account=shown, status=own[0].text)
    else:
        text = _("{account}: {balance} · {level}").format(
            account=shown,
            balance=amounts(snapshot.state.balance, lang),
            level=level_name(level, lang),
        )
    return MenuRow(text, children=own, slot=f"account:{name}")


def _pin_row(names: Sequence[str], pinned: str | None, lang: Language) -> MenuRow:
    _ = lang.gettext
    pinned = pinned if pinned in names else None
    choices = (
        MenuRow(_("Closest to running out"), PinAccount(None), checked=pinned is None),
        *(
            MenuRow(shown_name(name, names, lang), PinAccount(name), checked=pinned == name)
            for name in names
        ),
    )
    return MenuRow(_("Show on the icon"), children=choices)
