"""The view's menu rows as dbusmenu items with stable ids, and what changed between two menus.

Why stable ids: a host keeps an open menu open only while the ids it shows still exist.
pystray rebuilt the whole GTK menu on every balance update, libdbusmenu gave every item a new
id, and XFCE/LXQt closed the open menu each time (see ../shared/desktops/README.md). Here an
id belongs to a *slot* of the menu, not to its text (the keys of `tray_app.tray.menu_slots`:
a row's action or name, else its kind and place among siblings of that kind).

So "41,000 of 50,000 credits" becoming "40,950 of 50,000 credits" keeps its id and is sent as
`ItemsPropertiesUpdated`; only rows appearing or disappearing change the layout
(`LayoutUpdated`). Ids are never reused for another slot within one process.

Plain data only: `tray_app.tray.sni.dbusmenu` turns it into D-Bus values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tray_app.core.view import MenuAction, MenuRow
from tray_app.tray.menu_slots import slot_of

ROOT_ID = 0

#: A property's value as dbusmenu types it: label/type/toggle-type/children-display are
#: strings, enabled/visible booleans, toggle-state an int32.
PropValue = str | bool | int

#: D-Bus signature of each property we send (for the Variant wrapping).
PROPERTY_SIGNATURES: dict[str, str] = {
    "type": "s",
    "label": "s",
    "enabled": "b",
    "visible": "b",
    "toggle-type": "s",
    "toggle-state": "i",
    "children-display": "s",
}


@dataclass(frozen=True)
class MenuItem:
    """One dbusmenu item: its id, its properties, its children and what a click does."""

    id: int
    props: dict[str, PropValue]
    children: tuple[MenuItem, ...] = ()
    action: MenuAction | None = None

    def walk(self) -> list[MenuItem]:
        """This item and all its descendants, depth first."""
        items = [self]
        for child in self.children:
            items.extend(child.walk())
        return items

    def shape(self) -> tuple[int, tuple[object, ...]]:
        """The ids and their nesting only: equal shapes mean no `LayoutUpdated`."""
        return self.id, tuple(child.shape() for child in self.children)

    def rows(self) -> frozenset[tuple[int, int]]:
        """(parent id, child id) for every row, in no order: equal when two menus have the
        same rows, however ordered (accounts re-sorted by their level)."""
        return frozenset((item.id, child.id) for item in self.walk() for child in item.children)


@dataclass
class MenuIds:
    """Hands out one id per menu slot and remembers it for the life of the menu."""

    _ids: dict[tuple[str, ...], int] = field(default_factory=dict)
    _next: int = ROOT_ID + 1

    def id_for(self, key: tuple[str, ...]) -> int:
        known = self._ids.get(key)
        if known is not None:
            return known
        new, self._next = self._next, self._next + 1
        self._ids[key] = new
        return new


def escape_label(text: str) -> str:
    """dbusmenu reads "_" as the mnemonic marker; a literal underscore is written "__"."""
    return text.replace("_", "__")


def build_menu(rows: tuple[MenuRow, ...], ids: MenuIds) -> MenuItem:
    """The root item (id 0) holding `rows`, with ids from `ids`."""
    return MenuItem(ROOT_ID, {"children-display": "submenu"}, children=_items(rows, ("root",), ids))


def _items(
    rows: tuple[MenuRow, ...], parent: tuple[str, ...], ids: MenuIds
) -> tuple[MenuItem, ...]:
    seen: dict[str, int] = {}
    items = []
    for row in rows:
        key = (*parent, slot_of(row, seen))
        items.append(_item(row, key, ids))
    return tuple(items)


def _item(row: MenuRow, key: tuple[str, ...], ids: MenuIds) -> MenuItem:
    item_id = ids.id_for(key)
    if row.separator:
        return MenuItem(item_id, {"type": "separator", "visible": True})
    props: dict[str, PropValue] = {
        "label": escape_label(row.text),
        "enabled": row.enabled,
        "visible": True,
    }
    if row.checked is not None:
        props["toggle-type"] = "checkmark"
        props["toggle-state"] = 1 if row.checked else 0
    if row.children:
        props["children-display"] = "submenu"
        return MenuItem(item_id, props, children=_items(row.children, key, ids))
    return MenuItem(item_id, props, action=row.action)


@dataclass(frozen=True)
class MenuChange:
    """How to tell a host about a new menu: a new layout, or per-item property changes."""

    layout_changed: bool
    #: (id, properties that are new or changed) for ItemsPropertiesUpdated.
    updated: tuple[tuple[int, dict[str, PropValue]], ...] = ()
    #: (id, names of properties the item no longer has).
    removed: tuple[tuple[int, tuple[str, ...]], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.layout_changed and not self.updated and not self.removed


def diff(old: MenuItem, new: MenuItem) -> MenuChange:
    """What changed from `old` to `new` (two roots built with the same `MenuIds`).

    A new shape is a new layout, and the rows that were there before and changed are listed
    too: GNOME's AppIndicator extension re-reads only `type` and `children-display` of the
    rows it knows when the layout changes and takes their labels from ItemsPropertiesUpdated
    (its dbusMenu.js `_beginLayoutUpdate`), so an open menu there kept "Checking…" above the
    first balance."""
    before_by_id = {item.id: item for item in old.walk()}
    updated: list[tuple[int, dict[str, PropValue]]] = []
    removed: list[tuple[int, tuple[str, ...]]] = []
    for after in new.walk():
        before = before_by_id.get(after.id)
        if before is None:
            continue  # a new row: a host reads all of its properties
        changed = {k: v for k, v in after.props.items() if before.props.get(k) != v}
        gone = tuple(k for k in before.props if k not in after.props)
        if changed:
            updated.append((after.id, changed))
        if gone:
            removed.append((after.id, gone))
    return MenuChange(old.shape() != new.shape(), tuple(updated), tuple(removed))


def in_shape_of(shown: MenuItem, new: MenuItem) -> MenuItem:
    """`shown`'s rows, each with the properties `new` gives it and in `new`'s order: the menu
    `new` asks for, minus its rows appearing or disappearing (held back while a host shows the
    menu; see `DbusMenu.update`). A row `new` no longer has keeps its text and its place,
    greyed out: what it did may no longer apply."""
    fresh = {item.id: item for item in new.walk()}

    def kept(item: MenuItem) -> MenuItem:
        now = fresh.get(item.id)
        children = tuple(kept(c) for c in _in_new_order(item.children, now))
        if now is None:
            props = dict(item.props)
            if props.get("type") != "separator":
                props["enabled"] = False
            return MenuItem(item.id, props, children)
        props = {k: v for k, v in now.props.items() if k != "children-display"}
        if item.children or item.id == ROOT_ID:  # a submenu stays one until the layout changes
            props["children-display"] = "submenu"
        return MenuItem(item.id, props, children, now.action)

    return kept(shown)


def _in_new_order(shown: tuple[MenuItem, ...], now: MenuItem | None) -> tuple[MenuItem, ...]:
    """`shown`, the rows `now` also has re-sorted as `now` has them (accounts by level), the
    others where they were."""
    if now is None:
        return shown
    by_id = {child.id: child for child in shown}
    moved = iter([by_id[child.id] for child in now.children if child.id in by_id])
    staying = {child.id for child in now.children}
    return tuple(next(moved) if child.id in staying else child for child in shown)
