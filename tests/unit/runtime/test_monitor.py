"""The real Monitor against the real simulated API over loopback (see tests/support/rig.py)."""

from __future__ import annotations

import json

import pytest

from tests.support.rig import DAY, START, Rig
from tray_app.config.model import Settings
from tray_app.core.badge import BadgeKind
from tray_app.demo.server import DEMO_KEY, Fault


def test_first_poll_shows_and_saves_the_balance(rig: Rig) -> None:
    report = rig.poll()
    assert report.state.balance is not None
    assert report.state.balance.total_balance == 30_000
    assert rig.tray.views[-1].title.startswith("Lensmor: 30,000 of 30,000 credits (100%)")
    saved = json.dumps(rig.store.load_state() if rig.store else None)
    assert '"totalBalance": 30000' in saved
    assert DEMO_KEY not in saved


def test_crossing_20_percent_notifies_once_and_never_again(rig: Rig) -> None:
    rig.poll()
    rig.account.spend(24_500)  # 5,500 of 30,000 = 18 %
    rig.clock.now += 300
    rig.poll()
    # 24,500 in five minutes is also unusual spend: that heads the one notification.
    [shown] = rig.notifier.sent
    assert shown.title == "Unusual Lensmor spend"
    # The low warning is folded in, the balance told once.
    assert "5,500 left. 18% of 30,000 left, below your 20% warning." in shown.body
    assert shown.body.count("5,500") == 1
    for _ in range(10):
        rig.clock.now += 300
        rig.poll()
    assert rig.kinds() == ["unusual-spend", "threshold"]
    assert len(rig.notifier.sent) == 1


def test_a_restart_repeats_nothing_and_shows_the_saved_balance_first(rig: Rig) -> None:
    rig.poll()
    rig.account.spend(24_500)
    rig.clock.now += 300
    rig.poll()
    sent = len(rig.notifier.sent)
    monitor = rig.start()
    monitor.show_saved(rig.clock.now)
    view = rig.tray.views[-1]
    assert view.badge.kind is BadgeKind.STALE  # last known number, marked not yet refreshed
    assert view.title.endswith("not yet refreshed")
    rig.clock.now += 300
    rig.poll()
    assert len(rig.notifier.sent) == sent


def test_a_malformed_answer_keeps_the_last_good_balance_marked_stale(rig: Rig) -> None:
    rig.poll()
    rig.account.inject(Fault.body(b'{"totalBalance": 99999999}'))
    rig.clock.now += 300
    report = rig.poll()
    assert report.state.balance is not None
    assert report.state.balance.total_balance == 30_000
    assert report.view.badge.kind is BadgeKind.STALE
    assert report.view.badge.text == "30k"
    assert "99" not in report.view.title


def test_a_failing_notifier_never_stops_the_loop(rig: Rig) -> None:
    rig.notifier.fail = True
    rig.poll()
    rig.account.spend(29_000)
    rig.clock.now += 300
    report = rig.poll()
    assert report.state.balance is not None
    assert report.state.balance.total_balance == 1_000
    assert report.next_poll.delay is not None


def test_a_rejected_key_notifies_once_and_stops_polling(rig: Rig) -> None:
    rig.poll()
    rig.account.set_valid_keys(["uak_another000000000000000"])
    rig.clock.now += 300
    report = rig.poll()
    assert report.next_poll.delay is None
    rejected = [n for n in rig.notifier.sent if "key" in n.title.lower()]
    assert len(rejected) == 1


def run_days(rig: Rig, days: float, events: dict[int, list[str]]) -> list[float]:
    """Drive the monitor at the pace it chooses; apply scripted events at whole hours."""
    end = rig.clock.now + days * DAY
    next_hour = rig.clock.now
    delays: list[float] = []
    while rig.clock.now < end:
        report = rig.poll()
        delay = report.next_poll.delay
        assert delay is not None
        delays.append(delay)
        target = rig.clock.now + delay
        while next_hour <= target and next_hour < end:
            rig.clock.now = next_hour
            hour = round((next_hour - START) / 3600)
            routine = ["spend:240"] if hour % 6 == 0 else []
            for action in events.get(hour, routine):
                name, _, amount = action.partition(":")
                if name == "spend":
                    rig.account.spend(
                        min(int(amount), int(rig.account.snapshot()["totalBalance"] or 0))
                    )
                elif name == "gift":
                    rig.account.gift(int(amount))
                elif name == "reset":
                    rig.account.reset()
                elif name == "outage":
                    rig.account.inject(Fault.status(503), times=100_000)
                elif name == "restore":
                    rig.account.clear_faults()
            next_hour += 3600
        rig.clock.now = max(rig.clock.now, target)
    return delays


@pytest.mark.slow
def test_thirty_days_of_scripted_use_give_exactly_the_expected_notifications(rig: Rig) -> None:
    """Thirty days in accelerated time. Spending is 240 credits every 6 h (960 a day) on a
    30,000 subscription that renews on day 10, with one 2,500-credit unlock on day 2, a
    5,000 gift on day 15, and a 3-hour API outage on day 20."""
    events = {
        2 * 24 + 9: ["spend:2500"],
        10 * 24: ["reset"],
        15 * 24 + 12: ["gift:5000"],
        20 * 24 + 1: ["outage"],
        20 * 24 + 4: ["restore"],
    }
    # An hourly poll (a user may choose it) keeps the run short; pacing still shortens it to a
    # minute after each change and around the outage.
    rig.settings = Settings(poll_interval=3600)
    rig.start()
    run_days(rig, 30, events)
    # Worked out by hand from the rules: the unlock is neither unusual (under the 5,000 floor)
    # nor a large spend (off by default); 48 h before the day-10 reset 19,580 subscription
    # credits remain; the reset renews 30,000; the gift is a top-up; the outage notifies once
    # after 1 h, and its end once. After the reset 960 a day leaves 15,800 of 35,000 (45 %) on
    # day 30 and lasts past the day-40 reset: no threshold, no runway warning.
    assert rig.kinds() == ["expiring", "reset", "top-up", "offline", "online"]
    bodies = [n.body for n in rig.notifier.sent]
    assert bodies[0].startswith("19,580 subscription credits expire in 47 h")
    assert bodies[1].startswith("Subscription credits renewed: 30,000 available")
    assert bodies[2].startswith("5,000 credits added")
    assert "1 h" in bodies[3]
    assert bodies[4].startswith("The Lensmor API answers again after 2 h")
    assert rig.monitor is not None
    assert rig.monitor.state.balance is not None
    assert rig.monitor.state.balance.to_api_dict() == rig.account.snapshot()
