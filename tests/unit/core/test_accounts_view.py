"""The tray of several accounts: the badge's choice, the one view presented from every
account's snapshot, staggered polls, and the account's name on notifications."""

from __future__ import annotations

import threading

import pytest

from tray_app.core.accounts_view import SUMMARY_ROWS, badge_account, present_accounts
from tray_app.core.balance import Balance
from tray_app.core.levels import DEFAULT_THRESHOLDS
from tray_app.core.stagger import spaced
from tray_app.core.state import MonitorState, PollResult, Problem, advance
from tray_app.core.view import (
    AccountSnapshot,
    Action,
    Extras,
    MenuRow,
    PinAccount,
    TrayView,
    present,
)
from tray_app.notify.base import Notification
from tray_app.runtime.board import NamedNotifier, TrayBoard

NOW = 1_767_225_600.0


def balance(total: int, amount: int = 10_000) -> Balance:
    return Balance(
        total_amount=amount,
        total_balance=total,
        subscription_amount=amount,
        subscription_balance=total,
        gift_amount=0,
        gift_balance=0,
        reset_at_ms=None,
    )


def state_of(
    total: int | None, amount: int = 10_000, problem: Problem | None = None
) -> MonitorState:
    state = MonitorState()
    if total is not None:
        state = advance(state, PollResult(NOW, balance=balance(total, amount)))
    if problem is not None:
        state = advance(state, PollResult(NOW, problem=problem, message="x"))
    return state


def snap(
    name: str,
    total: int | None,
    amount: int = 10_000,
    problem: Problem | None = None,
    *,
    extras: Extras | None = None,
    seq: int = 1,
) -> AccountSnapshot:
    state = state_of(total, amount, problem)
    return AccountSnapshot(name, state, DEFAULT_THRESHOLDS, NOW, extras or Extras(), seq=seq)


def view_of(total: int | None, amount: int = 10_000, problem: Problem | None = None) -> TrayView:
    """The view of one account alone."""
    return present(state_of(total, amount, problem), DEFAULT_THRESHOLDS, NOW)


def present_all(*snapshots: AccountSnapshot, pinned: str | None = None) -> TrayView | None:
    return present_accounts([s.name for s in snapshots], {s.name: s for s in snapshots}, pinned)


def choose(*snapshots: AccountSnapshot | str, pinned: str | None = None) -> str:
    """The badge's account; a bare name is an account with no snapshot yet."""
    names = [s if isinstance(s, str) else s.name for s in snapshots]
    known = {s.name: s for s in snapshots if not isinstance(s, str)}
    return badge_account(names, known, pinned)


def texts(rows: tuple[MenuRow, ...]) -> list[str]:
    return [row.text for row in rows]


def test_the_badge_shows_the_worst_level_then_the_lowest_fraction() -> None:
    accounts = [
        snap("Big", 900, amount=100_000),  # 0.9 %: critical
        snap("Small", 150, amount=1_000),  # 15 %: low
        snap("Fine", 9_000),
    ]
    assert choose(*accounts) == "Big"
    assert choose(snap("A", 1_500), snap("B", 1_100)) == "B"  # 15 % and 11 %


def test_unknown_balances_come_last_and_ties_keep_the_config_order() -> None:
    accounts = [
        "Starting",
        snap("Rejected", None, problem=Problem.KEY_REJECTED),
        snap("One", 5_000),
        snap("Two", 5_000),
    ]
    assert choose(*accounts) == "One"
    assert choose(*accounts[:2]) == "Starting"


def test_a_pinned_account_wins_unless_it_is_gone() -> None:
    accounts = [snap("Low", 100), snap("Fine", 9_000)]
    assert choose(*accounts, pinned="Fine") == "Fine"
    assert choose(*accounts, pinned="Removed") == "Low"


def test_one_account_looks_exactly_as_before() -> None:
    view = view_of(1_234)
    assert present_all(snap("default", 1_234)) == view
    assert present_all(snap("Work", 1_234), pinned="Work") == view
    assert present_accounts(["Work", "Home"], {}, None) is None  # nothing to show yet


def test_two_accounts_get_a_summary_row_each_the_pin_and_the_shared_rows() -> None:
    work = view_of(800)
    combined = present_all(snap("Home", 9_000), snap("Work", 800))
    assert combined is not None
    assert combined.badge == work.badge
    assert combined.title.startswith("Lensmor — Work: 800 of 10,000 credits")
    rows = texts(combined.rows)
    # Worst first: Work (8 %, low) above Home (90 %), each one row with its details below.
    assert rows[:2] == [
        "Work: 800 of 10,000 credits (8%) · low",
        "Home: 9,000 of 10,000 credits (90%) · ok",
    ]
    assert texts(combined.rows[0].children)[:2] == [
        "800 of 10,000 credits (8%)",
        "Subscription: 800 of 10,000",
    ]
    assert combined.rows[1].children == view_of(9_000).rows[: len(combined.rows[1].children)]
    pin = next(row for row in combined.rows if row.text == "Show on the icon")
    assert [(r.text, r.action, r.checked) for r in pin.children] == [
        ("Closest to running out", PinAccount(None), True),
        ("Home", PinAccount("Home"), False),
        ("Work", PinAccount("Work"), False),
    ]
    assert combined.default_action is Action.REFRESH
    assert rows[-1] == "Quit"
    assert rows.count("Refresh now") == 1


def test_the_menu_grows_by_one_row_per_account_up_to_the_cap() -> None:
    def top_rows(count: int) -> int:
        accounts = [snap(f"Account {i}", 1_000 * (i + 1)) for i in range(count)]
        combined = present_all(*accounts)
        assert combined is not None
        return len(combined.rows)

    assert top_rows(3) == top_rows(2) + 1
    assert top_rows(SUMMARY_ROWS) == top_rows(2) + SUMMARY_ROWS - 2
    # Beyond the cap the menu does not grow: the rest are under "More accounts".
    assert top_rows(SUMMARY_ROWS + 1) == top_rows(SUMMARY_ROWS)
    assert top_rows(30) == top_rows(SUMMARY_ROWS)
    alone = present_all(snap("Only", 1_000))
    assert alone is not None
    # Two accounts are at most a few rows taller than one: no account's details on the top.
    assert top_rows(2) <= len(alone.rows) + 2


def summaries_of(view: TrayView) -> list[MenuRow]:
    """Every account's summary row, in menu order, those under "More accounts" included."""
    found: list[MenuRow] = []
    for row in view.rows:
        if row.slot == "more-accounts":
            found.extend(row.children)
        elif row.slot is not None and row.slot.startswith("account:"):
            found.append(row)
    return found


@pytest.mark.parametrize("count", [1, 5, 8, 9, 30])
def test_every_account_is_reachable_and_the_top_level_stays_capped(count: int) -> None:
    # Account i has 100 * (i + 1) credits: Account 0 is the worst, then in config order.
    accounts = [snap(f"Account {i}", 100 * (i + 1)) for i in range(count)]
    names = [a.name for a in accounts]
    two = present_all(snap("A", 100), snap("B", 200))
    assert two is not None
    shared = len(two.rows) - 2  # the pin, the separator and the rows every account shares
    for pinned in (None, names[-1]):
        view = present_all(*accounts, pinned=pinned)
        assert view is not None
        if count == 1:
            assert view == view_of(100)
            continue
        assert len(view.rows) <= SUMMARY_ROWS + shared
        summaries = summaries_of(view)
        order = [row.slot.removeprefix("account:") for row in summaries if row.slot]
        expected = names if pinned is None else [pinned, *names[:-1]]
        assert order == expected  # every account once, the pinned one then the worst first
        assert all(row.children for row in summaries)  # each with its own rows below
        more = [row for row in view.rows if row.slot == "more-accounts"]
        if count <= SUMMARY_ROWS:
            assert not more
        else:
            assert [row.text for row in more] == [f"More accounts ({count - SUMMARY_ROWS + 1})"]
            assert view.rows[0].slot == f"account:{expected[0]}"


def test_more_accounts_keeps_its_id_and_is_translated() -> None:
    from tray_app.support.i18n import language_from_environ
    from tray_app.tray.sni.menu_model import MenuIds, build_menu

    ids = MenuIds()

    def more_id(count: int) -> int:
        view = present_all(*(snap(f"A{i}", 100 * (i + 1)) for i in range(count)))
        assert view is not None
        root = build_menu(view.rows, ids)
        labels = {str(item.props.get("label", "")): item.id for item in root.walk()}
        return next(i for label, i in labels.items() if label.startswith("More accounts"))

    assert more_id(12) == more_id(20)
    german = language_from_environ({"LANG": "de_DE.UTF-8"})
    accounts = {f"A{i}": snap(f"A{i}", 100) for i in range(10)}
    view = present_accounts(list(accounts), accounts, None, lang=german)
    assert view is not None
    more = next(row for row in view.rows if row.slot == "more-accounts")
    assert more.text == german.gettext("More accounts ({count})").format(count=3)
    assert "More accounts" not in more.text


def test_pinning_moves_the_badge_and_the_tooltip() -> None:
    home = view_of(9_000)
    combined = present_all(snap("Work", 800), snap("Home", 9_000), pinned="Home")
    assert combined is not None
    assert combined.badge == home.badge
    assert combined.title.startswith("Lensmor — Home: 9,000")
    pin = next(row for row in combined.rows if row.text == "Show on the icon")
    assert [r.checked for r in pin.children] == [False, False, True]


def test_the_worst_account_comes_first_unknown_ones_last_the_pinned_one_on_top() -> None:
    accounts = {
        "A": snap("A", 8_000),
        "B": snap("B", None, problem=Problem.KEY_REJECTED),
        "D": snap("D", 500),
    }
    combined = present_accounts(["A", "B", "C", "D"], accounts, None)
    assert combined is not None
    assert texts(combined.rows[:4]) == [
        "D: 500 of 10,000 credits (5%) · low",
        "A: 8,000 of 10,000 credits (80%) · ok",
        "B: Key rejected — set a new key",
        "C: Checking…",
    ]
    assert "Subscription: 8,000 of 10,000" in texts(combined.rows[1].children)
    pinned = present_accounts(["A", "B", "C", "D"], accounts, "B")
    assert pinned is not None
    assert [row.text.split(":")[0] for row in pinned.rows[:4]] == ["B", "D", "A", "C"]


def test_an_accounts_row_keeps_its_menu_id_when_the_order_changes() -> None:
    from tray_app.tray.sni.menu_model import MenuIds, build_menu, diff

    ids = MenuIds()

    def menu(work: int, home: int) -> dict[str, int]:
        combined = present_all(snap("Work", work), snap("Home", home))
        assert combined is not None
        root = build_menu(combined.rows, ids)
        return {str(item.props.get("label", "")).split(":")[0]: item.id for item in root.walk()}

    before = menu(800, 9_000)  # Work first
    after = menu(9_500, 700)  # Home first now
    assert before["Work"] == after["Work"]
    assert before["Home"] == after["Home"]
    first = present_all(snap("Work", 800), snap("Home", 9_000))
    second = present_all(snap("Work", 790), snap("Home", 9_000))
    assert first is not None
    assert second is not None
    # A balance that changes is a label update of the same rows, not a new menu.
    change = diff(build_menu(first.rows, ids), build_menu(second.rows, ids))
    assert not change.layout_changed
    assert change.updated


def test_spaced_keeps_polls_apart_and_never_earlier() -> None:
    assert spaced(100.0, []) == 100.0
    assert spaced(100.0, [100.0]) == 102.0
    assert spaced(100.0, [99.0, 101.5, 103.0]) == 105.0
    assert spaced(100.0, [97.0]) == 100.0
    # How the scheduler uses it, every account with its own poll job:
    # tests/unit/runtime/test_scheduler.py.


class Recording:
    def __init__(self) -> None:
        self.sent: list[Notification] = []
        self.shown: list[TrayView] = []

    def send(self, n: Notification) -> object:
        self.sent.append(n)
        return "ok"

    def show(self, view: TrayView) -> None:
        self.shown.append(view)


def test_notifications_name_the_account_only_when_there_are_several() -> None:
    inner = Recording()
    several = threading.Event()
    named = NamedNotifier(inner, "Work", several.is_set)
    note = Notification("Lensmor credits low", "20% left", key="low:1", family="level")
    named.send(note)
    several.set()
    named.send(note)
    assert inner.sent[0] == note
    assert inner.sent[1].title == "Work: Lensmor credits low"
    assert inner.sent[1].family == "Work/level"
    assert inner.sent[1].body == "20% left"


def test_the_board_shows_the_combination_of_the_latest_snapshots() -> None:
    tray = Recording()
    board = TrayBoard(tray, ["Work", "Home"])
    board.slot("Home").show(snap("Home", 9_000))
    assert tray.shown[-1].title.startswith("Lensmor — Home")
    work = board.slot("Work")
    work.show(snap("Work", 700))
    assert board.badge_account() == "Work"
    assert tray.shown[-1].title.startswith("Lensmor — Work")
    board.pin("Home")
    assert tray.shown[-1].title.startswith("Lensmor — Home")
    shown = len(tray.shown)
    board.slot("Gone").show(snap("Gone", 1))  # an account removed meanwhile: ignored
    board.slot("Home").show(snap("Home", 9_000))  # nothing visible changed: not shown again
    assert len(tray.shown) == shown
    board.set_accounts(["Work"], None)
    assert tray.shown[-1].title.startswith("Lensmor: 700")  # one account: as before


def test_the_board_keeps_each_accounts_newest_snapshot() -> None:
    tray = Recording()
    board = TrayBoard(tray, ["Work", "Home"])
    board.slot("Home").show(snap("Home", 9_900))

    def work_rows() -> list[str]:
        row = next(r for r in tray.shown[-1].rows if r.text.startswith("Work: "))
        return texts(row.children)

    work = board.slot("Work")
    work.show(snap("Work", 700, seq=2))  # a pause's snapshot, shown first
    work.show(snap("Work", 9_500, seq=1))  # the poll's, made before it, arriving late
    assert work_rows()[0] == "700 of 10,000 credits (7%)"
    # A slot handed out again (a rebuilt monitor) starts counting afresh.
    again = board.slot("Work")
    again.show(snap("Work", 9_500, seq=1))
    assert work_rows()[0] == "9,500 of 10,000 credits (95%)"
    work.show(snap("Work", 100, seq=5))  # the replaced slot no longer shows
    assert work_rows()[0] == "9,500 of 10,000 credits (95%)"


def test_the_combined_view_speaks_the_users_language() -> None:
    from tray_app.support.i18n import language_from_environ

    german = language_from_environ({"LANG": "de_DE.UTF-8"})
    state = advance(MonitorState(), PollResult(NOW, balance=balance(800)))
    work = AccountSnapshot("Work", state, DEFAULT_THRESHOLDS, NOW)
    home = AccountSnapshot("Home", MonitorState(), DEFAULT_THRESHOLDS, NOW)
    alone = present(state, DEFAULT_THRESHOLDS, NOW, lang=german)
    combined = present_accounts(["Work", "Home"], {"Work": work, "Home": home}, None, lang=german)
    assert combined is not None
    assert alone.title.startswith("Lensmor: 800 von 10.000 Credits")
    # The account's name is part of the sentence from the start, not spliced into it.
    assert combined.title == "Lensmor — Work: " + alone.title.removeprefix("Lensmor: ")
    assert "Im Symbol anzeigen" in texts(combined.rows)


def test_the_unnamed_account_is_main_in_the_menu_as_in_the_settings_window() -> None:
    from tray_app.support.i18n import language_from_environ

    german = language_from_environ({"LANG": "de_DE.UTF-8"})
    main = german.gettext("Main")
    assert main != "Main"
    snapshots = {"default": snap("default", 800), "Work": snap("Work", 9_000)}
    combined = present_accounts(["default", "Work"], snapshots, None, lang=german)
    assert combined is not None
    assert combined.title.startswith(f"Lensmor — {main}: 800")
    summary = combined.rows[0]
    assert summary.text.startswith(f"{main}: 800")
    assert summary.slot == "account:default"  # the menu id keeps the real name
    pin = next(row for row in combined.rows if row.text == german.gettext("Show on the icon"))
    assert [(r.text, r.action) for r in pin.children[1:]] == [
        (main, PinAccount("default")),
        ("Work", PinAccount("Work")),
    ]
    # An account the user named "Main" keeps that name; the unnamed one is then "default".
    taken = {"default": snap("default", 800), "Main": snap("Main", 9_000)}
    both = present_all(*taken.values())
    assert both is not None
    assert texts(both.rows)[:2] == [
        "default: 800 of 10,000 credits (8%) · low",
        "Main: 9,000 of 10,000 credits (90%) · ok",
    ]


def test_two_accounts_with_recent_alerts_get_distinct_menu_ids() -> None:
    from tray_app.tray.sni.menu_model import MenuIds, build_menu

    recent = ((NOW - 60, "Lensmor credits low"),)
    with_alerts = Extras(recent_alerts=recent)
    combined = present_all(
        snap("Work", 900, extras=with_alerts), snap("Home", 900, extras=with_alerts)
    )
    assert combined is not None
    menu = build_menu(combined.rows, MenuIds())
    ids = [item.id for item in menu.walk()]
    # Each account's "Recent alerts" submenu is its own row: ids never repeat in one menu.
    assert len(ids) == len(set(ids))
    submenus = [texts(row.children) for row in combined.rows[:2]]
    assert [rows.count("Recent alerts") for rows in submenus] == [1, 1]


def test_notifications_call_the_unnamed_account_main_in_the_users_language() -> None:
    from tray_app.core.account_label import DEFAULT_ACCOUNT
    from tray_app.support.i18n import language_from_environ

    german = language_from_environ({"LANG": "de_DE.UTF-8"})
    inner = Recording()
    names = [DEFAULT_ACCOUNT, "Work"]
    NamedNotifier(inner, DEFAULT_ACCOUNT, lambda: True, german, lambda: names).send(
        Notification("Lensmor-Credits niedrig", "20 % übrig", key="low:1", family="level")
    )
    assert inner.sent[0].title == f"{german.gettext('Main')}: Lensmor-Credits niedrig"
    assert "default" not in inner.sent[0].title
    # What tells notifications apart keeps the real name.
    assert (inner.sent[0].family, inner.sent[0].key) == ("default/level", "default/low:1")
    # An account the user called "Hauptkonto" keeps that name; the unnamed one its real one.
    names.append(german.gettext("Main"))
    NamedNotifier(inner, DEFAULT_ACCOUNT, lambda: True, german, lambda: names).send(
        Notification("t", "b")
    )
    assert inner.sent[1].title == "default: t"
