"""The native Linux tray: a StatusNotifierItem and its dbusmenu, spoken over dbus-fast.

No GTK, PyGObject or libappindicator: the item, its pixmaps and its menu are D-Bus objects
owned by the app's shared asyncio loop (`tray_app.support.aio_loop`). Modules, one job each:

- `pixmaps`: badge images as `IconPixmap` data (ARGB32, network byte order), one per size;
- `menu_model`: `MenuRow`s to dbusmenu items with stable ids, and the diff between two menus;
- `dbusmenu`: the `com.canonical.dbusmenu` object;
- `item`: the `org.kde.StatusNotifierItem` object;
- `service`: the bus connection, the well-known name and registration with the watcher;
- `tray`: `SniTray`, the tray port the app uses.

Nothing is imported or connected at import time.
"""
