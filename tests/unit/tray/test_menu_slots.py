"""Rows matched by slot across two versions of a menu (tray/menu_slots.py)."""

from __future__ import annotations

from tray_app.core.view import Action, MenuRow
from tray_app.tray.menu_slots import rows_by_slot, words_for_shown

SEP = MenuRow("", separator=True)


def test_a_row_added_above_others_leaves_their_words_where_they_are_shown() -> None:
    shown = (
        MenuRow("30,050 of 35,050 credits"),
        SEP,
        MenuRow("Pause", children=(MenuRow("1 hour", action=Action.PAUSE_HOUR),), slot="pause"),
        MenuRow("Quit", action=Action.QUIT),
    )
    new = (
        MenuRow("550 of 35,050 credits"),
        SEP,
        MenuRow("Recent alerts", children=(MenuRow("low"),), slot="recent-alerts"),
        MenuRow("Pause", children=(MenuRow("1 hour", action=Action.PAUSE_HOUR),), slot="pause"),
        MenuRow("Quit", action=Action.QUIT),
    )
    words, gone = words_for_shown(shown, new)
    assert words == {(0,): "550 of 35,050 credits", (2,): "Pause", (2, 0): "1 hour", (3,): "Quit"}
    assert gone == set()


def test_rows_of_one_kind_are_told_apart_by_their_place_among_that_kind() -> None:
    rows = (MenuRow("a"), SEP, MenuRow("b"), MenuRow("c", children=(MenuRow("d"),)))
    keys = {key: path for key, (path, _row) in rows_by_slot(rows).items()}
    assert keys == {
        ("text:0",): (0,),
        ("separator:0",): (1,),
        ("text:1",): (2,),
        ("submenu:0",): (3,),
        ("submenu:0", "text:0"): (3, 0),
    }


def test_a_row_gone_gets_no_words_and_is_listed_gone_with_its_children() -> None:
    shown = (MenuRow("a"), MenuRow("Recent alerts", children=(MenuRow("x"),), slot="recent-alerts"))
    assert words_for_shown(shown, (MenuRow("b"),)) == ({(0,): "b"}, {(1,), (1, 0)})
