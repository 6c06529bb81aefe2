"""The `org.kde.StatusNotifierItem` object at /StatusNotifierItem.

What it exports, and why:
- `IconPixmap` only (no `IconName`, no `IconThemePath`): the badge is drawn at run time, and
  pixels over D-Bus need no temp file a host could read half-written (GNOME blinked "•••"
  when pystray deleted its PNG too early).
- `ToolTip`: the balance sentence as title, the detail rows as description; `Title` is the
  balance sentence too, for hosts that show only the title on hover (XFCE).
- `Status` `NeedsAttention` with `AttentionIconPixmap` when the balance is critical or used up.
- `ItemIsMenu` true: hosts (XFCE, KDE, LXQt, waybar, GNOME) open the menu on a left click.
  `Activate`, `SecondaryActivate`, `ContextMenu` and `Scroll` are all answered so no host gets
  UnknownMethod; GNOME's extension calls `Activate` on a double click, and hosts that ignore
  `ItemIsMenu` on a left click: both get the view's default action (Refresh now, or Settings…
  without a key) through `on_activate`, like pystray's default item.

Signals are sent only for what changed, plus one late `NewIcon` (and `NewAttentionIcon`)
`ICON_SETTLE_S` after the last icon change: GNOME's AppIndicator extension up to v47 converts
a pixmap in low-priority idle batches and *drops* a new pixmap of the same size that arrives
while the previous one is still converting ("Icon __PIXMAP_ICON_16x16 Is still loading,
ignoring the request"), so the bar kept the old badge until the next change. Seen when the
first poll's badge followed registration by 100 ms on a loaded machine (2 starts in 10). Fixed
upstream in v48 (ubuntu/gnome-shell-extension-appindicator commit c14beda, issue #295: pixmaps
loaded by Clutter directly); Debian 12 ships v46. A host re-reading an unchanged pixmap costs
one property read.

Runs on the asyncio loop's thread only.
"""

# No `from __future__ import annotations` here: dbus-fast reads the D-Bus signatures from the
# annotations, and a postponed "None" return annotation reads as no signature at all (a
# TypeError at class creation in dbus-fast 5.2).

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from dbus_fast.annotations import DBusBool, DBusInt32, DBusObjectPath, DBusSignature, DBusStr
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import (
    ServiceInterface,
    dbus_method,
    dbus_property,
    dbus_signal,
)

from tray_app.core.fmt import markup_escaped
from tray_app.core.levels import Level
from tray_app.core.view import TrayView
from tray_app.tray.sni.dbusmenu import MENU_PATH
from tray_app.tray.sni.pixmaps import Pixmap

ITEM_INTERFACE = "org.kde.StatusNotifierItem"
ITEM_PATH = "/StatusNotifierItem"
ITEM_ID = "lensmor-tray"

PixmapList = Annotated[list[list[Any]], DBusSignature("a(iiay)")]
ToolTip = Annotated[list[Any], DBusSignature("(sa(iiay)ss)")]

#: Levels that ask for the user's attention.
ATTENTION_LEVELS = (Level.CRITICAL, Level.DEPLETED)
#: Tooltip icon size (hosts that draw a tooltip icon, KDE, draw it larger than the panel icon).
TOOLTIP_ICON_SIZES = (48,)
#: How long after the last icon change the icon is announced once more (see the docstring).
ICON_SETTLE_S = 1.5


@dataclass(frozen=True)
class ItemState:
    """Everything the item exports that changes with the view."""

    title: str
    description: str
    icon: tuple[Pixmap, ...]
    needs_attention: bool = False

    @property
    def status(self) -> str:
        return "NeedsAttention" if self.needs_attention else "Active"


def detail_rows(view: TrayView) -> tuple[str, ...]:
    """The read-only rows at the top of the menu (balance, gift, reset, status...)."""
    rows = []
    for row in view.rows:
        if row.separator:
            break
        if row.action is None and not row.children:
            rows.append(row.text)
    return tuple(rows)


def state_for(view: TrayView, icon: tuple[Pixmap, ...]) -> ItemState:
    return ItemState(
        title=view.title,
        # Hosts render the description as markup (Pango in XFCE/waybar, Qt rich text in KDE).
        description="\n".join(markup_escaped(row) for row in detail_rows(view)),
        icon=icon,
        needs_attention=view.badge.level in ATTENTION_LEVELS,
    )


def _wire(pixmaps: tuple[Pixmap, ...]) -> list[list[Any]]:
    return [[width, height, data] for width, height, data in pixmaps]


class StatusNotifierItem(ServiceInterface):
    """The tray item; `update()` swaps its state and signals what changed."""

    def __init__(
        self,
        state: ItemState,
        on_activate: Callable[[], None],
        *,
        item_id: str = ITEM_ID,
    ) -> None:
        super().__init__(ITEM_INTERFACE)
        self._state = state
        self._on_activate = on_activate
        self._id = item_id
        self._settle: asyncio.TimerHandle | None = None

    @property
    def state(self) -> ItemState:
        return self._state

    @property
    def icon_settling(self) -> bool:
        """Whether the late re-announcement of a changed icon is still to come."""
        return self._settle is not None

    def update(self, state: ItemState) -> None:
        old, self._state = self._state, state
        if old.icon != state.icon:
            self.NewIcon()
            self._announce_icon_again_later()
        if (old.icon, old.needs_attention) != (state.icon, state.needs_attention):
            self.NewAttentionIcon()
        if old.title != state.title:
            self.NewTitle()
        if (old.title, old.description, old.icon) != (state.title, state.description, state.icon):
            self.NewToolTip()
        if old.status != state.status:
            self.NewStatus(state.status)

    def _announce_icon_again_later(self) -> None:
        if self._settle is not None:
            self._settle.cancel()  # one re-announcement per burst of changes, after the last
        self._settle = asyncio.get_running_loop().call_later(ICON_SETTLE_S, self._icon_settled)

    def _icon_settled(self) -> None:
        # After the item left the bus this emits to no connection: harmless.
        self.NewIcon()
        self.NewAttentionIcon()
        self._settle = None  # after the signals: `icon_settling` false means they are sent

    # -- methods -----------------------------------------------------------------------------
    @dbus_method()
    def Activate(self, x: DBusInt32, y: DBusInt32) -> None:
        self._on_activate()

    @dbus_method()
    def SecondaryActivate(self, x: DBusInt32, y: DBusInt32) -> None:
        self._on_activate()

    @dbus_method()
    def ContextMenu(self, x: DBusInt32, y: DBusInt32) -> None:
        """Hosts that draw the dbusmenu themselves never call this; nothing to pop up here."""

    @dbus_method()
    def Scroll(self, delta: DBusInt32, orientation: DBusStr) -> None:
        """Scrolling over the badge means nothing for a balance; answered, ignored."""

    @dbus_method()
    def ProvideXdgActivationToken(self, token: DBusStr) -> None:
        """KDE 5.25+ and GNOME's extension send a window activation token before `Activate`.

        Accepted so the call is not an error; the app raises no window of its own from a
        click (the settings dialog is a separate process started from the menu).
        """

    # -- signals -----------------------------------------------------------------------------
    @dbus_signal()
    def NewTitle(self) -> None:
        return None

    @dbus_signal()
    def NewIcon(self) -> None:
        return None

    @dbus_signal()
    def NewAttentionIcon(self) -> None:
        return None

    @dbus_signal()
    def NewOverlayIcon(self) -> None:
        return None

    @dbus_signal()
    def NewToolTip(self) -> None:
        return None

    @dbus_signal()
    def NewStatus(self, status: DBusStr) -> DBusStr:
        return status

    # -- properties --------------------------------------------------------------------------
    @dbus_property(access=PropertyAccess.READ)
    def Category(self) -> DBusStr:
        return "ApplicationStatus"

    @dbus_property(access=PropertyAccess.READ)
    def Id(self) -> DBusStr:
        return self._id

    @dbus_property(access=PropertyAccess.READ)
    def Title(self) -> DBusStr:
        return self._state.title

    @dbus_property(access=PropertyAccess.READ)
    def Status(self) -> DBusStr:
        return self._state.status

    @dbus_property(access=PropertyAccess.READ)
    def WindowId(self) -> DBusInt32:
        return 0

    @dbus_property(access=PropertyAccess.READ)
    def IconThemePath(self) -> DBusStr:
        return ""

    @dbus_property(access=PropertyAccess.READ)
    def IconName(self) -> DBusStr:
        return ""

    @dbus_property(access=PropertyAccess.READ)
    def IconPixmap(self) -> PixmapList:
        return _wire(self._state.icon)

    @dbus_property(access=PropertyAccess.READ)
    def OverlayIconName(self) -> DBusStr:
        return ""

    @dbus_property(access=PropertyAccess.READ)
    def OverlayIconPixmap(self) -> PixmapList:
        return []

    @dbus_property(access=PropertyAccess.READ)
    def AttentionIconName(self) -> DBusStr:
        return ""

    @dbus_property(access=PropertyAccess.READ)
    def AttentionIconPixmap(self) -> PixmapList:
        # The badge already shows the level in colour; the attention icon is that same badge,
        # so hosts that swap icons on NeedsAttention (GNOME) keep showing the number. Empty
        # while Active: every GetAll carries it, and the pixmaps are most of its size.
        return _wire(self._state.icon) if self._state.needs_attention else []

    @dbus_property(access=PropertyAccess.READ)
    def AttentionMovieName(self) -> DBusStr:
        return ""

    @dbus_property(access=PropertyAccess.READ)
    def ToolTip(self) -> ToolTip:
        tooltip_icon = [p for p in self._state.icon if p[0] in TOOLTIP_ICON_SIZES]
        return ["", _wire(tuple(tooltip_icon)), self._state.title, self._state.description]

    @dbus_property(access=PropertyAccess.READ)
    def ItemIsMenu(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Menu(self) -> DBusObjectPath:
        return MENU_PATH
