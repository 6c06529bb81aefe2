"""gtk_menu_labels.relabel pairs pystray items with GTK items in order, and refuses (so the
caller rebuilds) when the two menus do not have the same shape. Stand-ins for both sides;
tests/desktop/test_pystray_menu_words.py runs it against the real GTK menus."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tray_app.tray.gtk_menu_labels import relabel


@dataclass
class Item:
    text: str
    default: bool = False
    submenu: list[Any] | None = None


SEP = Item("- - - -")


@dataclass
class Label:
    text: str
    markup: str = ""

    def get_text(self) -> str:
        return self.text

    def set_text(self, text: str) -> None:
        self.text, self.markup = text, ""

    def set_markup(self, markup: str) -> None:
        self.markup = markup
        self.text = markup.removeprefix("<b>").removesuffix("</b>").replace("&amp;", "&")


@dataclass
class GtkItem:
    label: Label | None
    submenu: GtkMenu | None = None

    def get_child(self) -> Label | None:
        return self.label

    def get_submenu(self) -> GtkMenu | None:
        return self.submenu


@dataclass
class GtkMenu:
    children: list[GtkItem] = field(default_factory=list)

    def get_children(self) -> list[GtkItem]:
        return self.children


def gtk(texts: list[str | None]) -> GtkMenu:
    return GtkMenu([GtkItem(None if t is None else Label(t)) for t in texts])


def test_new_words_go_into_the_matching_items_and_submenus() -> None:
    sub = gtk(["old alert"])
    menu = gtk(["Balance: 1", None, "Alerts"])
    menu.children[2].submenu = sub
    items = [
        Item("Balance: 2 & more", default=True),
        SEP,
        Item("Alerts", submenu=[Item("new alert")]),
    ]
    assert relabel(items, menu, SEP)
    assert menu.children[0].label == Label("Balance: 2 & more", "<b>Balance: 2 &amp; more</b>")
    assert sub.children[0].label == Label("new alert")


def test_a_menu_of_another_shape_is_refused() -> None:
    assert not relabel([Item("a"), Item("b")], gtk(["a"]), SEP)  # a count
    assert not relabel([Item("a"), SEP], gtk(["a", "b"]), SEP)  # a separator out of place
    assert not relabel([Item("a"), Item("b")], gtk(["a", None]), SEP)
    assert not relabel([Item("a", submenu=[Item("x")])], gtk(["a"]), SEP)  # no GTK submenu
