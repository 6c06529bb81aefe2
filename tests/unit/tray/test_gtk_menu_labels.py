"""gtk_menu_labels: pystray items paired with the GTK labels in order, refused (the caller
rebuilds) when the two menus do not have the same shape; the words of a default item stay bold;
the shape of rows leaves out their words only. Stand-ins for pystray and GTK;
tests/desktop/test_pystray_menu_words.py runs it against the real GTK menus."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tray_app.core.view import SEPARATOR, Action, MenuRow
from tray_app.tray.gtk_menu_labels import labels_of, menu_shape, set_words


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


def test_each_item_is_paired_with_its_label_submenus_included() -> None:
    sub = gtk(["old alert"])
    menu = gtk(["Balance: 1", None, "Alerts"])
    menu.children[2].submenu = sub
    inner = Item("old alert")
    items = [Item("Balance: 1", default=True), SEP, Item("Alerts", submenu=[inner])]
    pairs = labels_of(items, menu, SEP)
    assert pairs is not None
    assert [(item.text, label) for item, label in pairs] == [
        ("Balance: 1", menu.children[0].label),
        ("Alerts", menu.children[2].label),
        ("old alert", sub.children[0].label),
    ]


def test_a_menu_of_another_shape_is_refused() -> None:
    assert labels_of([Item("a"), Item("b")], gtk(["a"]), SEP) is None  # a count
    assert labels_of([Item("a"), SEP], gtk(["a", "b"]), SEP) is None  # a separator out of place
    assert labels_of([Item("a"), Item("b")], gtk(["a", None]), SEP) is None
    assert labels_of([Item("a", submenu=[Item("x")])], gtk(["a"]), SEP) is None  # no submenu


def test_a_default_item_keeps_its_bold_markup() -> None:
    label = Label("Balance: 1")
    set_words(label, "Balance: 2 & <more>", default=True)
    assert label.markup == "<b>Balance: 2 &amp; &lt;more&gt;</b>"
    set_words(label, "plain", default=False)
    assert label == Label("plain")


def test_the_shape_of_rows_is_all_but_their_words() -> None:
    def rows(words: str, checked: bool = False) -> tuple[MenuRow, ...]:
        child = MenuRow(words)
        return (
            MenuRow(words, Action.REFRESH, default=True),
            SEPARATOR,
            MenuRow("Recent", children=(child,)),
            MenuRow("Start at login", Action.TOGGLE_AUTOSTART, checked=checked),
        )

    assert menu_shape(rows("a")) == menu_shape(rows("b"))
    assert menu_shape(rows("a")) != menu_shape(rows("a", checked=True))
    assert menu_shape(rows("a")) != menu_shape(rows("a")[:-1])
    assert menu_shape(rows("a")) != menu_shape((MenuRow("a", Action.QUIT), *rows("a")[1:]))
