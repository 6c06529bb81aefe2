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
does not pair up (a count or a separator out of place) answers None, and the caller builds
the menu the usual way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tray_app.core.fmt import markup_escaped
from tray_app.core.view import MenuRow


def labels_of(menu: Any, gtk_menu: Any, separator: Any) -> list[tuple[Any, Any]] | None:
    """(pystray item, the GTK label showing its words) for every item of `menu` but the
    separators, submenus included; None when `gtk_menu` does not have the same shape.

    `separator` is pystray's `Menu.SEPARATOR`.
    """
    items = list(menu)
    children = gtk_menu.get_children()
    if len(items) != len(children):
        return None
    pairs: list[tuple[Any, Any]] = []
    for item, child in zip(items, children, strict=True):
        label = child.get_child()
        if (item is separator) != (label is None):  # a separator has no label
            return None
        if item is separator:
            continue
        pairs.append((item, label))
        if item.submenu:
            submenu = child.get_submenu()
            inner = None if submenu is None else labels_of(item.submenu, submenu, separator)
            if inner is None:
                return None
            pairs.extend(inner)
    return pairs


def set_words(label: Any, text: str, *, default: bool) -> None:
    """Show `text` on `label`; a default item keeps the bold markup pystray gives it (plain
    text would drop it), escaped as the native item's tooltip is (`fmt.markup_escaped`)."""
    if default:
        label.set_markup(f"<b>{markup_escaped(text)}</b>")
    else:
        label.set_text(text)


def text_at(texts: dict[tuple[int, ...], str], path: tuple[int, ...], _item: Any) -> str:
    """A pystray item's words: `texts[path]` (its `text` callable, with a partial)."""
    return texts[path]


def texts_of(
    rows: tuple[MenuRow, ...], texts: dict[tuple[int, ...], str], path: tuple[int, ...]
) -> None:
    """Write the words of `rows` into `texts` by path, numbered as `PystrayTray._items`
    (tray/pystray_tray.py) numbers them: the row's indices, submenus included."""
    for i, row in enumerate(rows):
        here = (*path, i)
        texts[here] = row.text
        texts_of(row.children, texts, here)


def menu_shape(rows: tuple[MenuRow, ...]) -> tuple[object, ...]:
    """Everything about `rows` but their words: equal shapes give equal menus but for the
    labels (the same items, actions, check marks, bold default, greyed rows and submenus)."""
    return tuple(
        (r.separator, r.action, r.default, r.checked, r.enabled, menu_shape(r.children))
        for r in rows
    )


Labels = dict[tuple[int, ...], tuple[Any, bool]]


def show_words(
    gtk_menu: Any,
    labels: Labels,
    words: dict[tuple[int, ...], str],
    gone: Iterable[tuple[int, ...]] = (),
) -> None:
    """Put `words` (by row path) on the menu's `labels` (the GTK label and whether it is the
    bold default), grey out the rows at `gone` (what they did may no longer apply), then
    place the menu again if it is open: GTK keeps an open menu where it opened, so a row
    grown wider pushed its right side off the screen (trayer at 800 px)."""
    for path, text in words.items():
        if path in labels:
            label, default = labels[path]
            set_words(label, text, default=default)
    for path in gone:
        if path in labels:
            labels[path][0].get_parent().set_sensitive(False)  # the label's menu item
    if gtk_menu is not None and gtk_menu.get_visible():
        from gi.repository import GLib  # loaded already: only these backends have labels

        # At idle priority: after GTK's layout pass has given the menu its new size.
        GLib.idle_add(_place_again, gtk_menu)


def _place_again(gtk_menu: Any) -> bool:
    if gtk_menu.get_visible():
        gtk_menu.reposition()
    return False  # once
