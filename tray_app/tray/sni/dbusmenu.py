"""The `com.canonical.dbusmenu` object (protocol version 3) at /MenuBar.

Hosts (XFCE, KDE, LXQt, GNOME's AppIndicator extension, waybar) read the tree with
`GetLayout`, send clicks with `Event(id, "clicked", ...)` and listen for `LayoutUpdated` and
`ItemsPropertiesUpdated`. Every method answers from memory: a click only hands its `Action`
to `on_click`, which must not block (the tray passes it to a worker thread), so the menu never
waits on a poll, the network or the monitor's lock.

Runs on the asyncio loop's thread only: `update()` is called there by the tray.
"""

# No `from __future__ import annotations` here: dbus-fast reads the D-Bus signatures from the
# annotations, and a postponed "None" return annotation reads as no signature at all (a
# TypeError at class creation in dbus-fast 5.2).

import logging
from collections.abc import Callable
from typing import Annotated, Any

from dbus_fast import DBusError, ErrorType, Variant
from dbus_fast.annotations import (
    DBusBool,
    DBusInt32,
    DBusSignature,
    DBusStr,
    DBusUInt32,
    DBusVariant,
)
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import (
    ServiceInterface,
    dbus_method,
    dbus_property,
    dbus_signal,
)

from tray_app.core.view import MenuAction
from tray_app.tray.sni.menu_model import PROPERTY_SIGNATURES, ROOT_ID, MenuItem, PropValue, diff

log = logging.getLogger(__name__)

MENU_INTERFACE = "com.canonical.dbusmenu"
MENU_PATH = "/MenuBar"
DBUSMENU_VERSION = 3

# D-Bus shapes of the protocol, named once.
Layout = Annotated[list[Any], DBusSignature("(ia{sv}av)")]
IdList = Annotated[list[int], DBusSignature("ai")]
NameList = Annotated[list[str], DBusSignature("as")]
ItemProps = Annotated[list[list[Any]], DBusSignature("a(ia{sv})")]
RemovedProps = Annotated[list[list[Any]], DBusSignature("a(ias)")]
EventList = Annotated[list[list[Any]], DBusSignature("a(isvu)")]
LayoutReply = Annotated[list[Any], DBusSignature("u(ia{sv}av)")]
AboutToShowGroupReply = Annotated[list[Any], DBusSignature("aiai")]


def _variant(name: str, value: PropValue) -> Variant:
    return Variant(PROPERTY_SIGNATURES[name], value)


def _props(item: MenuItem, names: list[str]) -> dict[str, Variant]:
    wanted = names or list(item.props)
    return {name: _variant(name, item.props[name]) for name in wanted if name in item.props}


def _layout(item: MenuItem, depth: int, names: list[str]) -> list[Any]:
    children: list[Variant] = []
    if depth != 0:
        children = [
            Variant("(ia{sv}av)", _layout(child, depth - 1, names)) for child in item.children
        ]
    return [item.id, _props(item, names), children]


def _unknown(item_id: int) -> DBusError:
    return DBusError(ErrorType.INVALID_ARGS, f"no menu item with id {item_id}")


class DbusMenu(ServiceInterface):
    """The menu tree, its revision, and the signals that keep a host's copy current."""

    def __init__(self, root: MenuItem, on_click: Callable[[MenuAction], None]) -> None:
        super().__init__(MENU_INTERFACE)
        self._root = root
        self._by_id = {item.id: item for item in root.walk()}
        self._on_click = on_click
        self._revision = 1

    @property
    def root(self) -> MenuItem:
        return self._root

    @property
    def revision(self) -> int:
        return self._revision

    def update(self, root: MenuItem) -> None:
        """Show `root`: property changes in place, and a new revision for a new shape."""
        change = diff(self._root, root)
        self._root = root
        self._by_id = {item.id: item for item in root.walk()}
        if change.layout_changed:
            self._revision += 1
            self.LayoutUpdated(self._revision, ROOT_ID)
        # Also after a new layout: the rows a host already knows may have new labels (diff()).
        if change.updated or change.removed:
            updated = [
                [item_id, {k: _variant(k, v) for k, v in props.items()}]
                for item_id, props in change.updated
            ]
            removed = [[item_id, list(names)] for item_id, names in change.removed]
            self.ItemsPropertiesUpdated(updated, removed)

    def _item(self, item_id: int) -> MenuItem:
        item = self._by_id.get(item_id)
        if item is None:
            raise _unknown(item_id)
        return item

    def _clicked(self, item_id: int) -> None:
        action = self._by_id[item_id].action
        if action is not None:
            self._on_click(action)

    # -- methods -----------------------------------------------------------------------------
    @dbus_method()
    def GetLayout(
        self, parent_id: DBusInt32, recursion_depth: DBusInt32, property_names: NameList
    ) -> LayoutReply:
        item = self._item(parent_id)
        return [self._revision, _layout(item, recursion_depth, property_names)]

    @dbus_method()
    def GetGroupProperties(self, ids: IdList, property_names: NameList) -> ItemProps:
        items = [self._by_id[i] for i in ids if i in self._by_id] if ids else self._root.walk()
        return [[item.id, _props(item, property_names)] for item in items]

    @dbus_method()
    def GetProperty(self, item_id: DBusInt32, name: DBusStr) -> DBusVariant:
        item = self._item(item_id)
        if name not in item.props:
            raise DBusError(ErrorType.INVALID_ARGS, f"menu item {item_id} has no property {name!r}")
        return _variant(name, item.props[name])

    @dbus_method()
    def Event(
        self, item_id: DBusInt32, event_id: DBusStr, data: DBusVariant, timestamp: DBusUInt32
    ) -> None:
        self._item(item_id)
        if event_id == "clicked":
            self._clicked(item_id)

    @dbus_method()
    def EventGroup(self, events: EventList) -> IdList:
        errors = []
        for item_id, event_id, _data, _timestamp in events:
            if item_id not in self._by_id:
                errors.append(item_id)
            elif event_id == "clicked":
                self._clicked(item_id)
        return errors

    @dbus_method()
    def AboutToShow(self, item_id: DBusInt32) -> DBusBool:
        self._item(item_id)
        return False  # the tree is always current: nothing to refresh before showing it

    @dbus_method()
    def AboutToShowGroup(self, ids: IdList) -> AboutToShowGroupReply:
        errors = [i for i in ids if i not in self._by_id]
        return [[], errors]

    # -- signals -----------------------------------------------------------------------------
    @dbus_signal()
    def ItemsPropertiesUpdated(
        self, updated: ItemProps, removed: RemovedProps
    ) -> Annotated[list[Any], DBusSignature("a(ia{sv})a(ias)")]:
        return [updated, removed]

    @dbus_signal()
    def LayoutUpdated(
        self, revision: DBusUInt32, parent: DBusInt32
    ) -> Annotated[list[int], DBusSignature("ui")]:
        return [revision, parent]

    @dbus_signal()
    def ItemActivationRequested(
        self, item_id: DBusInt32, timestamp: DBusUInt32
    ) -> Annotated[list[int], DBusSignature("iu")]:
        return [item_id, timestamp]

    # -- properties --------------------------------------------------------------------------
    @dbus_property(access=PropertyAccess.READ)
    def Version(self) -> DBusUInt32:
        return DBUSMENU_VERSION

    @dbus_property(access=PropertyAccess.READ)
    def TextDirection(self) -> DBusStr:
        return "ltr"

    @dbus_property(access=PropertyAccess.READ)
    def Status(self) -> DBusStr:
        return "normal"

    @dbus_property(access=PropertyAccess.READ)
    def IconThemePath(self) -> NameList:
        return []
