"""Which row is which across two versions of a menu, whatever rows came or went.

A row's slot key names what it is, not where it is: a row with an action by its action
("refresh", "quit"), a row the view names (`MenuRow.slot`: "pause", "recent-alerts",
"account:Work") by that name, any other row by its kind and its place among siblings of that
kind (the third text row, the first submenu), each under its parent's key. So "41,000 of
50,000 credits" becoming "40,950 of 50,000 credits" keeps its key, and a "Recent alerts" row
appearing above "Pause notifications" leaves the pause row's key as it was.

Used for the native item's dbusmenu ids (tray/sni/menu_model.py) and to put new words into a
pystray menu that is open while its rows change (tray/pystray_tray.py).
"""

from __future__ import annotations

from tray_app.core.view import MenuRow


def slot_of(row: MenuRow, seen: dict[str, int]) -> str:
    """The key of `row` among its siblings; `seen` counts the kinds met so far among them."""
    if row.slot is not None:
        return f"slot:{row.slot}"
    if row.action is not None and not row.children and not row.separator:
        return f"action:{row.action.value}"
    kind = "separator" if row.separator else "submenu" if row.children else "text"
    index = seen.get(kind, 0)
    seen[kind] = index + 1
    return f"{kind}:{index}"


def rows_by_slot(
    rows: tuple[MenuRow, ...],
    parent: tuple[str, ...] = (),
    at: tuple[int, ...] = (),
) -> dict[tuple[str, ...], tuple[tuple[int, ...], MenuRow]]:
    """Every row, submenus included, by its key path: (its index path, the row)."""
    found: dict[tuple[str, ...], tuple[tuple[int, ...], MenuRow]] = {}
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        key = (*parent, slot_of(row, seen))
        found[key] = ((*at, i), row)
        found.update(rows_by_slot(row.children, key, (*at, i)))
    return found


def words_for_shown(
    shown: tuple[MenuRow, ...], new: tuple[MenuRow, ...]
) -> tuple[dict[tuple[int, ...], str], set[tuple[int, ...]]]:
    """For a menu built from `shown` and now asked to show `new`: the words `new` gives each
    row it still has, by the row's index path in `shown`, and the paths of the rows `new` no
    longer has (separators neither)."""
    fresh = rows_by_slot(new)
    words: dict[tuple[int, ...], str] = {}
    gone: set[tuple[int, ...]] = set()
    for key, (path, row) in rows_by_slot(shown).items():
        now = fresh.get(key)
        if row.separator or (now is not None and now[1].separator):
            continue
        if now is None:
            gone.add(path)
        else:
            words[path] = now[1].text
    return words, gone
