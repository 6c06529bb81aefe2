"""New words for the GTK menu pystray built, without building it again.

pystray's gtk and appindicator backends build a new `Gtk.Menu` from the whole `pystray.Menu`
whenever the menu is set (pystray/_util/gtk.py `_create_menu`; appindicator then hands it to
libayatana with `set_menu`). A poll that finds a new balance changes only the words of a few
rows ("Balance: 18,950 of 30,000", "Updated just now"), yet rebuilding cost the GTK thread
about 4 ms a poll, most of a re-render poll's extra CPU against the bare skeleton (issue 20).
When only the words changed, the labels of the menu on screen are set instead: an open menu
shows the new words at once and stays open (a rebuilt menu replaces it).

Which GTK item belongs to which pystray item: `_create_menu` appends one item per entry of
`iter(menu)` (the visible items, without the redundant separators pystray drops), so the
children of the `Gtk.Menu` and `list(menu)` pair up in order, submenus alike. Anything that
does not pair up (a count or a separator out of place) answers False, and the caller builds
the menu the usual way.
"""

from __future__ import annotations

import html
from typing import Any


def relabel(menu: Any, gtk_menu: Any, separator: Any) -> bool:
    """Give each item of `gtk_menu` the text of its pystray item in `menu`; False (some
    labels perhaps already set) when the two do not have the same shape.

    `separator` is pystray's `Menu.SEPARATOR`. A default item keeps the bold markup pystray
    gives it; setting plain text on it would drop that.
    """
    items = list(menu)
    children = gtk_menu.get_children()
    if len(items) != len(children):
        return False
    for item, child in zip(items, children, strict=True):
        label = child.get_child()
        if (item is separator) != (label is None):  # a separator has no label
            return False
        if item is separator:
            continue
        text = item.text
        if label.get_text() != text:
            if item.default:
                # As pystray marks it up (GLib.markup_escape_text); quotes need no escaping
                # in element text, so html.escape without them gives the same markup.
                label.set_markup(f"<b>{html.escape(text, quote=False)}</b>")
            else:
                label.set_text(text)
        if item.submenu:
            submenu = child.get_submenu()
            if submenu is None or not relabel(item.submenu, submenu, separator):
                return False
    return True
