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

import asyncio
import logging
import time
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
from tray_app.tray.sni.menu_model import (
    PROPERTY_SIGNATURES,
    ROOT_ID,
    MenuItem,
    PropValue,
    diff,
    in_shape_of,
)

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


#: How long a menu counts as open after the host last said it opens it, for hosts that never
#: say it closed: libdbusmenu-gtk (xfce4-panel, waybar) sends AboutToShowGroup([0]) as it
#: opens the menu and nothing when it closes.
OPEN_MENU_HOLD_S = 30.0


class DbusMenu(ServiceInterface):
    """The menu tree, its revision, and the signals that keep a host's copy current."""

    def __init__(
        self,
        root: MenuItem,
        on_click: Callable[[MenuAction], None],
        *,
        hold_limit_s: float = OPEN_MENU_HOLD_S,
    ) -> None:
        super().__init__(MENU_INTERFACE)
        self._root = root
        self._by_id = {item.id: item for item in root.walk()}
        self._on_click = on_click
        self._revision = 1
        # Until when a host shows the menu (time.monotonic(); 0: closed), and the menu whose
        # new or removed rows wait for it to close.
        self._hold_limit_s = hold_limit_s
        self._open_until = 0.0
        self._hold_timer: asyncio.TimerHandle | None = None
        self._held: MenuItem | None = None

    @property
    def root(self) -> MenuItem:
        return self._root

    @property
    def revision(self) -> int:
        return self._revision

    def update(self, root: MenuItem) -> None:
        """Show `root`: property changes in place, and a new revision for a new shape.

        While a host shows the menu, rows appearing or disappearing wait until it closes: a
        GTK menu (libdbusmenu-gtk: xfce4-panel, waybar) keeps the height it opened with, so
        a row added under the user's pointer pushed "Quit" behind a scroll arrow. Until then
        the open menu gets the new labels of the rows it has. Rows only re-ordered (accounts
        re-sorted by level) move at once: the menu keeps its height.

        Open: from the host's "opened" event on the root (GNOME, KDE) or its
        AboutToShowGroup([0]) (libdbusmenu-gtk); closed at its "closed" event, or
        `hold_limit_s` later for a host that never sends one."""
        if time.monotonic() < self._open_until and root.rows() != self._root.rows():
            self._held = root
            root = in_shape_of(self._root, root)
        else:
            self._held = None
        self._show(root)

    def _show(self, root: MenuItem) -> None:
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

    def _root_event(self, event_id: str) -> None:
        log.debug("the host says the menu is %s", event_id)
        if event_id == "opened":
            self._opened()
        elif event_id == "closed":
            self._closed()

    def _opened(self) -> None:
        self._open_until = time.monotonic() + self._hold_limit_s
        if self._hold_timer is not None:
            self._hold_timer.cancel()
        try:
            loop = asyncio.get_running_loop()  # the D-Bus loop, which calls every method here
        except RuntimeError:
            return  # called directly (a test): the next update sees the hold has ended
        self._hold_timer = loop.call_later(self._hold_limit_s, self._closed)

    def _closed(self) -> None:
        self._open_until = 0.0
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._hold_timer = None
        self._release_held()

    def _release_held(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            self._show(held)

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
        elif item_id == ROOT_ID:
            self._root_event(event_id)

    @dbus_method()
    def EventGroup(self, events: EventList) -> IdList:
        errors = []
        for item_id, event_id, _data, _timestamp in events:
            if item_id not in self._by_id:
                errors.append(item_id)
            elif event_id == "clicked":
                self._clicked(item_id)
            elif item_id == ROOT_ID:
                self._root_event(event_id)
        return errors

    @dbus_method()
    def AboutToShow(self, item_id: DBusInt32) -> DBusBool:
        # Not taken as the menu opening: GNOME's extension calls AboutToShow(0) as it attaches
        # the menu ("Dropbox requires us to call AboutToShow(0) first", its dbusMenu.js), and
        # it and KDE say "opened" and "closed" as events.
        self._item(item_id)
        return False  # the tree is always current: nothing to refresh before showing it

    @dbus_method()
    def AboutToShowGroup(self, ids: IdList) -> AboutToShowGroupReply:
        if ROOT_ID in ids:  # libdbusmenu-gtk, as it opens the menu (it sends no events)
            self._opened()
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
