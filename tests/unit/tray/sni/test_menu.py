"""The native tray's dbusmenu: stable ids from the view's rows, and the protocol on a real bus.

The first half tests the pure model (`menu_model`) with the real views `core.view.present`
builds; the second half talks to the exported `com.canonical.dbusmenu` object over a private
dbus-daemon (marked `desktop`: it needs dbus-daemon), as a host would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from dbus_fast import Variant

from tests.support.sni_bus import BusClient, DBusError, private_bus, running_tray, wait_until
from tray_app.core.balance import Balance
from tray_app.core.levels import DEFAULT_THRESHOLDS
from tray_app.core.state import MonitorState, PollResult, advance
from tray_app.core.view import Action, Extras, TrayView, present
from tray_app.tray.sni.dbusmenu import MENU_INTERFACE, MENU_PATH
from tray_app.tray.sni.menu_model import MenuIds, MenuItem, build_menu, diff, in_shape_of

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 25, 14, 2, tzinfo=UTC).timestamp()
RESET = int((NOW + 5 * 86400) * 1000)


def balance(left: int) -> Balance:
    return Balance(35050, left, 35000, left - 50, 50, 50, RESET)


def view(left: int = 30050, extras: Extras | None = None, *, at: float = NOW) -> TrayView:
    state = advance(MonitorState(), PollResult(at - 60, balance=balance(left)))
    return present(state, DEFAULT_THRESHOLDS, at, extras or Extras(), tz=UTC)


def labels(item: MenuItem) -> dict[str, int]:
    """label -> id for every item with a label."""
    return {str(i.props["label"]): i.id for i in item.walk() if "label" in i.props}


def by_action(item: MenuItem) -> dict[Action, int]:
    return {i.action: i.id for i in item.walk() if i.action is not None}


# -- the model ---------------------------------------------------------------------------------


def test_a_balance_change_keeps_every_id_and_sends_only_the_changed_labels() -> None:
    ids = MenuIds()
    before = build_menu(view(30050).rows, ids)
    after = build_menu(view(28550).rows, ids)
    assert by_action(before) == by_action(after)
    assert before.shape() == after.shape()
    change = diff(before, after)
    assert not change.layout_changed
    changed_labels = {str(props["label"]) for _, props in change.updated}
    assert changed_labels == {
        "28,550 of 35,050 credits (81%)",
        "Subscription: 28,500 of 35,000",
    }
    # Each changed item is sent with the changed property only.
    assert all(set(props) == {"label"} for _, props in change.updated)
    assert change.removed == ()


def test_rows_appearing_change_the_layout() -> None:
    ids = MenuIds()
    before = build_menu(view().rows, ids)
    after = build_menu(view(extras=Extras(usage_today=1500, usage_30_days=4000)).rows, ids)
    assert diff(before, after).layout_changed
    # The action rows keep their ids even then: a host's open menu finds them again.
    assert by_action(before) == by_action(after)


def test_a_new_layout_also_lists_the_known_rows_whose_labels_changed() -> None:
    # GNOME's extension re-reads only the type of rows it knows at a new layout: their new
    # labels must come as property updates too, or an open menu keeps the old text.
    ids = MenuIds()
    before = build_menu(view(30050).rows, ids)
    after = build_menu(view(28550, Extras(usage_today=1500, usage_30_days=4000)).rows, ids)
    change = diff(before, after)
    assert change.layout_changed
    known = {i.id for i in before.walk()}
    assert {item_id for item_id, _ in change.updated} <= known  # new rows are read whole
    changed_labels = {str(props["label"]) for _, props in change.updated}
    assert "28,550 of 35,050 credits (81%)" in changed_labels
    assert "Subscription: 28,500 of 35,000" in changed_labels
    unchanged = labels(before)["Refresh now"]
    assert unchanged not in {item_id for item_id, _ in change.updated}


def test_recent_alerts_appearing_keep_the_pause_submenu_and_its_children() -> None:
    ids = MenuIds()
    before = build_menu(view().rows, ids)
    recent = ((NOW - 60, "Lensmor credits low"),)
    after = build_menu(view(extras=Extras(recent_alerts=recent)).rows, ids)
    assert diff(before, after).layout_changed
    # "Recent alerts" is a new submenu before "Pause notifications": the pause submenu (a
    # named slot, not "the first submenu") keeps its id, so a host's open menu keeps it.
    assert labels(before)["Pause notifications"] == labels(after)["Pause notifications"]
    assert labels(before)["Until tomorrow"] == labels(after)["Until tomorrow"]
    assert "Recent alerts" in labels(after)


def test_in_the_shape_of_an_open_menu_rows_keep_their_places_and_take_new_labels() -> None:
    ids = MenuIds()
    shown = build_menu(view(30050).rows, ids)
    recent = ((NOW - 60, "Lensmor credits low"),)
    new = build_menu(view(1500, Extras(recent_alerts=recent)).rows, ids)
    kept = in_shape_of(shown, new)
    assert kept.shape() == shown.shape()  # no "Recent alerts" row yet
    assert kept.rows() != new.rows()
    assert not diff(shown, kept).layout_changed
    assert "1,500 of 35,050 credits (4%)" in labels(kept)
    assert by_action(kept) == by_action(shown)
    assert all(item.props.get("enabled", True) for item in kept.walk())


def test_in_the_shape_of_an_open_menu_a_row_gone_is_greyed_out_not_removed() -> None:
    ids = MenuIds()
    recent = ((NOW - 60, "Lensmor credits low"),)
    shown = build_menu(view(extras=Extras(recent_alerts=recent)).rows, ids)
    new = build_menu(view().rows, ids)  # the recent alerts are gone
    kept = in_shape_of(shown, new)
    assert kept.shape() == shown.shape()
    row = next(i for i in kept.walk() if i.props.get("label") == "Recent alerts")
    assert row.props["enabled"] is False
    assert row.props["children-display"] == "submenu"  # still a submenu until it goes
    assert all(child.props.get("enabled") is False for child in row.children)
    quit_row = next(i for i in kept.walk() if i.props.get("label") == "Quit")
    assert quit_row.props["enabled"] is True


def test_the_same_view_twice_changes_nothing() -> None:
    ids = MenuIds()
    assert diff(build_menu(view().rows, ids), build_menu(view().rows, ids)).empty


def test_start_at_login_is_a_checkmark_and_its_state_is_a_property_update() -> None:
    ids = MenuIds()
    off = build_menu(view(extras=Extras(autostart_enabled=False)).rows, ids)
    on = build_menu(view(extras=Extras(autostart_enabled=True)).rows, ids)
    row = next(i for i in off.walk() if i.action is Action.TOGGLE_AUTOSTART)
    assert row.props["toggle-type"] == "checkmark"
    assert row.props["toggle-state"] == 0
    change = diff(off, on)
    assert not change.layout_changed
    assert change.updated == ((row.id, {"toggle-state": 1}),)


def test_pause_is_a_submenu_whose_children_are_clickable() -> None:
    root = build_menu(view().rows, MenuIds())
    pause = next(i for i in root.walk() if i.props.get("label") == "Pause notifications")
    assert pause.props["children-display"] == "submenu"
    assert [c.action for c in pause.children] == [Action.PAUSE_HOUR, Action.PAUSE_TOMORROW]
    assert root.props == {"children-display": "submenu"}
    assert root.id == 0


def test_pausing_swaps_the_submenu_children_as_a_layout_change() -> None:
    ids = MenuIds()
    running = build_menu(view().rows, ids)
    paused = build_menu(view(extras=Extras(paused_until=NOW + 3600)).rows, ids)
    assert diff(running, paused).layout_changed
    pause_running = next(i for i in running.walk() if i.children and i.id)
    pause_paused = next(i for i in paused.walk() if i.children and i.id)
    assert pause_running.id == pause_paused.id  # the same slot, new children
    assert [c.action for c in pause_paused.children] == [Action.RESUME]


def test_separators_and_underscores() -> None:
    rows = view().rows
    rows = (replace(rows[0], text="snake_case"), *rows[1:])
    root = build_menu(rows, MenuIds())
    separators = [i for i in root.walk() if i.props.get("type") == "separator"]
    assert len(separators) == 2
    assert all("label" not in s.props for s in separators)
    assert "snake__case" in labels(root)  # a literal underscore, not a mnemonic


def test_a_slot_that_goes_and_comes_back_gets_its_old_id() -> None:
    ids = MenuIds()
    with_row = build_menu(view(extras=Extras(autostart_enabled=True)).rows, ids)
    build_menu(view().rows, ids)
    again = build_menu(view(extras=Extras(autostart_enabled=False)).rows, ids)
    assert by_action(with_row)[Action.TOGGLE_AUTOSTART] == by_action(again)[Action.TOGGLE_AUTOSTART]
    assert len(set(by_action(again).values())) == len(by_action(again))


def test_the_tooltip_text_is_the_title_and_the_detail_rows_as_markup() -> None:
    from tray_app.tray.sni.item import state_for

    v = view()
    rows = (replace(v.rows[0], text="Gift: <50> & more"), *v.rows[1:])
    state = state_for(replace(v, rows=rows), icon=())
    assert state.title == v.title
    lines = state.description.splitlines()
    assert lines[0] == "Gift: &lt;50&gt; &amp; more"
    # Only the read-only rows above the first separator: no actions, no submenu.
    assert "Refresh now" not in state.description
    assert lines[-1].startswith("Updated ")


# -- the protocol on a real bus ----------------------------------------------------------------


@pytest.fixture
def bus_address() -> Iterator[str]:
    with private_bus() as address:
        yield address


@pytest.fixture
def client(bus_address: str) -> Iterator[BusClient]:
    c = BusClient(bus_address)
    yield c
    c.close()


def layout(client: BusClient, name: str) -> tuple[int, list[object]]:
    revision, tree = client.call(
        name, MENU_PATH, MENU_INTERFACE, "GetLayout", 0, -1, [], sig="iias"
    )
    return revision, tree


def flat(tree: list[object]) -> dict[int, dict[str, object]]:
    """id -> plain properties for a GetLayout tree."""
    from tests.support.sni_bus import unwrap

    item_id, props, children = unwrap(tree)
    items = {item_id: props}
    for child in children:
        items.update(flat(child))
    return items


def menu_items(client: BusClient, name: str) -> dict[int, dict[str, object]] | None:
    """The menu's items once the first view is shown (more than the "starting" root)."""
    items = flat(layout(client, name)[1])
    return items if len(items) > 5 else None


def find(items: dict[int, dict[str, object]], label: str) -> int:
    return next(i for i, p in items.items() if p.get("label") == label)


pytestmark_bus = pytest.mark.desktop
NO_DATA = Variant("s", "")


@pytestmark_bus
def test_layout_properties_and_version(client: BusClient, bus_address: str) -> None:
    with running_tray(bus_address) as tray:
        tray.show(view())
        wait_until(lambda: menu_items(client, tray.bus_name), what="the menu")
        revision, tree = layout(client, tray.bus_name)
        items = flat(tree)
        quit_id = find(items, "Quit")
        assert items[quit_id] == {"label": "Quit", "enabled": True, "visible": True}
        props = client.get_all(tray.bus_name, MENU_PATH, MENU_INTERFACE)
        assert props == {
            "Version": 3,
            "TextDirection": "ltr",
            "Status": "normal",
            "IconThemePath": [],
        }
        # depth 0: the root alone; property filter honoured
        _, shallow = client.call(
            tray.bus_name,
            MENU_PATH,
            MENU_INTERFACE,
            "GetLayout",
            0,
            0,
            ["children-display"],
            sig="iias",
        )
        assert shallow[2] == []
        (group,) = client.call(
            tray.bus_name,
            MENU_PATH,
            MENU_INTERFACE,
            "GetGroupProperties",
            [quit_id],
            ["label"],
            sig="aias",
        )
        assert [[g[0], {k: v.value for k, v in g[1].items()}] for g in group] == [
            [quit_id, {"label": "Quit"}]
        ]
        (label,) = client.call(
            tray.bus_name, MENU_PATH, MENU_INTERFACE, "GetProperty", quit_id, "label", sig="is"
        )
        assert label.value == "Quit"
        assert revision >= 1


@pytestmark_bus
def test_a_balance_change_is_an_items_update_and_a_new_row_a_layout_update(
    client: BusClient, bus_address: str
) -> None:
    with running_tray(bus_address) as tray:
        tray.show(view(30050))
        wait_until(lambda: menu_items(client, tray.bus_name), what="the menu")
        revision, tree = layout(client, tray.bus_name)
        ids_before = set(flat(tree))
        client.clear()
        tray.show(view(28550))
        updated = wait_until(lambda: client.seen("ItemsPropertiesUpdated"), what="the update")
        # A round trip to the menu: a LayoutUpdated sent with the update has arrived by its
        # reply (one sender's messages arrive in order).
        menu_items(client, tray.bus_name)
        assert client.seen("LayoutUpdated") == []
        changed, removed = updated[0].body
        assert {str(props["label"].value) for _, props in changed} == {
            "28,550 of 35,050 credits (81%)",
            "Subscription: 28,500 of 35,000",
        }
        assert removed == []
        revision_after, tree_after = layout(client, tray.bus_name)
        assert revision_after == revision
        assert set(flat(tree_after)) == ids_before
        client.clear()
        tray.show(view(28550, Extras(usage_today=1500, usage_30_days=1500)))
        (signal,) = wait_until(lambda: client.seen("LayoutUpdated"), what="the layout update")
        assert signal.body == [revision + 1, 0]
        # The rows a host already knows and that changed come as property updates as well
        # (GNOME's extension reads only their type at a new layout): the detail row that was
        # "Updated …" now reads the usage; the rows that did not change are not listed.
        (props_signal,) = wait_until(
            lambda: client.seen("ItemsPropertiesUpdated"), what="the known rows' new labels"
        )
        changed, _removed = props_signal.body
        relabelled = {item_id: str(props["label"].value) for item_id, props in changed}
        assert set(relabelled) <= ids_before
        assert "Usage today: 1,500 · last 30 days: 1,500" in relabelled.values()
        assert "Refresh now" not in relabelled.values()


@pytestmark_bus
def test_clicks_reach_the_app_off_the_bus_thread_and_the_menu_keeps_answering(
    client: BusClient, bus_address: str
) -> None:
    seen: list[tuple[Action, str]] = []
    release = threading.Event()

    def on_action(action: Action) -> None:
        seen.append((action, threading.current_thread().name))
        release.wait(10)  # like the app's callback waiting for the monitor's lock

    with running_tray(bus_address, on_action) as tray:
        tray.show(view())
        items = wait_until(lambda: menu_items(client, tray.bus_name), what="the menu")
        refresh = find(items, "Refresh now")
        started = time.monotonic()
        client.call(
            tray.bus_name,
            MENU_PATH,
            MENU_INTERFACE,
            "Event",
            refresh,
            "clicked",
            NO_DATA,
            0,
            sig="isvu",
        )
        wait_until(lambda: seen, what="the click to reach the callback")
        # The callback is still blocked; the menu still answers at once.
        layout(client, tray.bus_name)
        client.call(tray.bus_name, MENU_PATH, MENU_INTERFACE, "AboutToShow", 0, sig="i")
        assert time.monotonic() - started < 1.0
        release.set()
        quit_id = find(items, "Quit")
        hour = find(items, "For 1 hour")
        (errors,) = client.call(
            tray.bus_name,
            MENU_PATH,
            MENU_INTERFACE,
            "EventGroup",
            [
                [hour, "clicked", NO_DATA, 0],
                [quit_id, "hovered", NO_DATA, 0],
                [9999, "clicked", NO_DATA, 0],
            ],
            sig="a(isvu)",
        )
        assert errors == [9999]
        wait_until(lambda: len(seen) == 2, what="the submenu click")
        assert [a for a, _ in seen] == [Action.REFRESH, Action.PAUSE_HOUR]
        assert all(name.startswith("lensmor-tray-action") for _, name in seen)
        with pytest.raises(DBusError, match="InvalidArgs"):
            client.call(
                tray.bus_name,
                MENU_PATH,
                MENU_INTERFACE,
                "Event",
                9999,
                "clicked",
                NO_DATA,
                0,
                sig="isvu",
            )
        assert client.call(
            tray.bus_name, MENU_PATH, MENU_INTERFACE, "AboutToShowGroup", [0, 9999], sig="ai"
        ) == [[], [9999]]


def _event(client: BusClient, name: str, event: str) -> None:
    client.call(name, MENU_PATH, MENU_INTERFACE, "Event", 0, event, NO_DATA, 0, sig="isvu")


@pytestmark_bus
def test_new_rows_wait_while_a_host_shows_the_menu_and_come_when_it_closes(
    client: BusClient, bus_address: str
) -> None:
    """libdbusmenu-gtk's menu (xfce4-panel, waybar) keeps the height it opened with: a row
    added while it is open pushed "Quit" behind a scroll arrow."""
    with running_tray(bus_address) as tray:
        tray.show(view(30050))
        wait_until(lambda: menu_items(client, tray.bus_name), what="the menu")
        revision, tree = layout(client, tray.bus_name)
        ids_before = set(flat(tree))
        _event(client, tray.bus_name, "opened")
        client.clear()
        recent = ((NOW - 60, "Lensmor credits low"),)
        tray.show(view(1500, Extras(recent_alerts=recent)))
        wait_until(lambda: client.seen("ItemsPropertiesUpdated"), what="the new labels")
        assert layout(client, tray.bus_name)[0] == revision  # the same rows, in place
        assert client.seen("LayoutUpdated") == []
        items = flat(layout(client, tray.bus_name)[1])
        assert set(items) == ids_before
        assert "1,500 of 35,050 credits (4%)" in {p.get("label") for p in items.values()}
        _event(client, tray.bus_name, "closed")
        (signal,) = wait_until(lambda: client.seen("LayoutUpdated"), what="the held rows")
        assert signal.body == [revision + 1, 0]
        labels_now = {p.get("label") for p in flat(layout(client, tray.bus_name)[1]).values()}
        assert "Recent alerts" in labels_now


def _menu(*labels_in_order: str) -> MenuItem:
    ids = {"A": 1, "B": 2, "C": 3, "Quit": 4}
    rows = tuple(MenuItem(ids[label], {"label": label}) for label in labels_in_order)
    return MenuItem(0, {"children-display": "submenu"}, children=rows)


def test_an_open_menu_takes_a_new_order_at_once_and_new_rows_once_closed() -> None:
    from tray_app.tray.sni.dbusmenu import DbusMenu

    menu = DbusMenu(_menu("A", "B", "Quit"), lambda _action: None)
    menu.Event(0, "opened", NO_DATA, 0)
    menu.update(_menu("B", "A", "Quit"))  # re-sorted: the same height, shown now
    assert [c.props["label"] for c in menu.root.children] == ["B", "A", "Quit"]
    menu.update(_menu("B", "A", "C", "Quit"))  # a new row: held while open
    assert [c.props["label"] for c in menu.root.children] == ["B", "A", "Quit"]
    menu.Event(0, "opened", NO_DATA, 0)  # sent again: still open, still held
    assert len(menu.root.children) == 3
    menu.Event(0, "closed", NO_DATA, 0)
    assert [c.props["label"] for c in menu.root.children] == ["B", "A", "C", "Quit"]
    menu.Event(0, "closed", NO_DATA, 0)  # twice: nothing held any more
    assert len(menu.root.children) == 4


def test_a_host_that_only_says_it_opens_the_menu_gets_the_held_rows_after_the_hold() -> None:
    """libdbusmenu-gtk (xfce4-panel, waybar) calls AboutToShowGroup([0]) as it opens the menu
    and says nothing when it closes: the hold ends on a timer on the D-Bus loop."""
    from tray_app.tray.sni.dbusmenu import DbusMenu

    async def scenario() -> list[str]:
        menu = DbusMenu(_menu("A", "Quit"), lambda _action: None, hold_limit_s=0.2)
        menu.AboutToShowGroup([0])
        menu.update(_menu("A", "C", "Quit"))
        assert len(menu.root.children) == 2  # held
        await asyncio.sleep(0.4)
        return [str(c.props["label"]) for c in menu.root.children]

    assert asyncio.run(scenario()) == ["A", "C", "Quit"]


def test_without_a_loop_the_next_update_after_the_hold_shows_the_rows() -> None:
    from tray_app.tray.sni.dbusmenu import DbusMenu

    menu = DbusMenu(_menu("A", "Quit"), lambda _action: None, hold_limit_s=0.2)
    menu.AboutToShowGroup([0])
    menu.update(_menu("A", "C", "Quit"))
    assert len(menu.root.children) == 2
    time.sleep(0.3)
    menu.update(_menu("A", "C", "Quit"))
    assert len(menu.root.children) == 3


def test_in_the_shape_of_an_open_menu_rows_take_the_new_order_and_gone_rows_keep_theirs() -> None:
    shown = _menu("A", "B", "C", "Quit")
    new = _menu("B", "A", "Quit")  # C gone, A and B swapped
    kept = in_shape_of(shown, new)
    assert [c.props["label"] for c in kept.children] == ["B", "A", "C", "Quit"]
    assert [c.props.get("enabled", True) for c in kept.children] == [True, True, False, True]


def test_in_the_shape_of_an_open_menu_a_re_sorted_submenu_keeps_its_shown_children() -> None:
    def account(item_id: int, *children: int) -> MenuItem:
        rows = tuple(MenuItem(c, {"label": f"row {c}"}) for c in children)
        return MenuItem(item_id, {"label": f"account {item_id}"}, children=rows)

    root = {"children-display": "submenu"}
    shown = MenuItem(0, root, children=(account(1, 10), account(2, 20)))
    new = MenuItem(0, root, children=(account(2, 20), account(1, 10, 11)))  # re-sorted, a row
    kept = in_shape_of(shown, new)
    assert [c.id for c in kept.children] == [2, 1]
    assert kept.rows() == shown.rows()  # account 1's new row 11 waits


def test_about_to_show_alone_is_not_the_menu_opening() -> None:
    """GNOME's extension calls AboutToShow(0) when it attaches the menu, long before anyone
    opens it: rows held then left its menu empty until the hold ran out."""
    from tray_app.tray.sni.dbusmenu import DbusMenu

    menu = DbusMenu(_menu("Quit"), lambda _action: None)
    menu.AboutToShow(0)
    menu.update(_menu("A", "Quit"))
    assert len(menu.root.children) == 2
