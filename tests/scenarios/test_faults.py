"""Faults, each against the real Monitor and the real client over loopback (tests/support/rig.py).

Throughout: poll_once never raises, the last good balance stays on screen marked stale, no
number the API did not send is shown, and the monitor recovers by itself when the fault ends.
The expected behaviour is in each test's name. Desktop faults (tray host or notification
daemon dying) are in tests/desktop/test_tray_app_tray_host.py and
test_tray_app_notifications.py; store faults (read-only, full, corrupt) in
tests/unit/history/test_opening.py; the locked keyring in tests/unit/keys/test_key_store.py.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator

import pytest

from tests.conftest import Home, run_cli
from tests.support.rig import DAY, Rig
from tests.support.waiting import poll_until
from tray_app.core.badge import BadgeKind
from tray_app.core.state import Problem
from tray_app.demo.server import DEMO_KEY, Fault, SimulatedLensmorServer
from tray_app.runtime.monitor import PollReport

GOOD_TEXT = "30k"  # the badge of the rig's 30,000-credit account


def assert_stale_with_last_good(report: PollReport, problem: Problem) -> None:
    assert report.state.problem is problem
    assert report.state.balance is not None
    assert report.state.balance.total_balance == 30_000
    assert report.view.badge.kind in (BadgeKind.STALE, BadgeKind.RATE_LIMITED)
    assert report.view.badge.text == GOOD_TEXT
    assert report.view.title.startswith("Lensmor: 30,000 of 30,000 credits")


def recover(rig: Rig) -> PollReport:
    rig.account.clear_faults()
    rig.clock.now += 60
    report = rig.poll()
    assert report.state.problem is None
    assert report.view.badge.kind is BadgeKind.LEVEL
    return report


def drive(rig: Rig, seconds: float) -> list[PollReport]:
    """Poll at the pace the monitor chooses for `seconds` of simulated time."""
    reports = []
    end = rig.clock.now + seconds
    while rig.clock.now < end:
        report = rig.poll()
        reports.append(report)
        assert report.next_poll.delay is not None
        rig.clock.now += report.next_poll.delay
    return reports


@pytest.fixture
def primed(rig: Rig) -> Rig:
    rig.client_options = {"connect_timeout": 0.5, "read_timeout": 0.5, "total_deadline": 1.0}
    rig.start()
    assert rig.poll().state.balance is not None
    return rig


def test_offline_for_hours_backs_off_to_the_cap_notifies_once_then_recovers(primed: Rig) -> None:
    primed.account.inject(Fault.drop(), times=100_000)
    reports = drive(primed, 6 * 3600)
    for report in reports:
        assert_stale_with_last_good(report, Problem.OFFLINE)
    delays = [r.next_poll.delay or 0 for r in reports]
    assert max(delays) <= 1800  # capped backoff
    assert delays[-1] >= 900  # and it did back off
    assert len(reports) < 30  # ~6 h at the cap is a handful of requests, not hundreds
    offline = [n for n in primed.notifier.sent if n.key.startswith("offline")]
    assert len(offline) == 1
    recover(primed)


def test_dns_failure_is_shown_as_offline_and_recovers_when_the_name_resolves(primed: Rig) -> None:
    assert primed.monitor is not None
    settings = primed.monitor.settings
    primed.monitor.reconfigure(
        source=primed.client("https://lensmor-does-not-exist.invalid"), settings=settings
    )
    primed.clock.now += 60
    assert_stale_with_last_good(primed.poll(), Problem.OFFLINE)
    primed.monitor.reconfigure(source=primed.client(), settings=settings)
    recover(primed)


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A loopback port whose accept queue is full: new connections get no SYN-ACK, so a client
    waits for its connect timeout (no address outside loopback is ever contacted)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    # The first filler's handshake completes (the socket turns writable): the queue is full.
    poll_until(lambda: select.select([], fillers[:1], [], 0)[1], 5, "the accept queue to fill up")
    try:
        yield port
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_connect_timeout_is_offline_and_bounded(primed: Rig, full_backlog: int) -> None:
    assert primed.monitor is not None
    primed.monitor.reconfigure(
        source=primed.client(f"http://127.0.0.1:{full_backlog}"),
        settings=primed.monitor.settings,
    )
    started = time.monotonic()
    primed.clock.now += 60
    assert_stale_with_last_good(primed.poll(), Problem.OFFLINE)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault.stall(), id="accepts-and-never-answers"),
        pytest.param(Fault.trickle(20), id="body-trickles-slowly"),
        pytest.param(Fault.drop(), id="connection-dropped"),
    ],
)
def test_a_server_that_hangs_or_trickles_is_cut_off_by_the_deadline(
    primed: Rig, fault: Fault
) -> None:
    primed.account.inject(fault)
    started = time.monotonic()
    primed.clock.now += 60
    assert_stale_with_last_good(primed.poll(), Problem.OFFLINE)
    assert time.monotonic() - started < 5
    recover(primed)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_storm_backs_off_keeps_the_balance_and_recovers(primed: Rig, status: int) -> None:
    primed.account.inject(Fault.status(status), times=100_000)
    reports = drive(primed, 2 * 3600)
    assert all(r.state.problem is Problem.SERVER for r in reports)
    for report in reports:
        assert_stale_with_last_good(report, Problem.SERVER)
    delays = [r.next_poll.delay or 0 for r in reports]
    assert delays == sorted(delays)  # exponential backoff (fixed jitter in the rig)
    assert delays[-1] > 4 * delays[0]
    assert len([n for n in primed.notifier.sent if n.key.startswith("offline")]) == 1
    recover(primed)


def drain_bucket(rig: Rig) -> None:
    """The user's own scripts share the key's bucket: empty it behind the monitor's back."""
    while rig.account.take_token(DEMO_KEY).allowed:
        pass


def test_a_429_storm_never_polls_before_retry_after_and_backs_off_then_recovers(
    primed: Rig,
) -> None:
    primed.account.set_rate_limit(10, 600)  # one token per minute
    waits: list[float] = []
    asked_first: float | None = None
    for _ in range(6):
        drain_bucket(primed)
        before = len(primed.account.requests)
        report = primed.poll()
        assert len(primed.account.requests) == before + 1  # one request per poll, no retries
        assert report.state.problem is Problem.RATE_LIMITED
        assert_stale_with_last_good(report, Problem.RATE_LIMITED)
        assert report.state.retry_at is not None
        asked = report.state.retry_at - primed.clock.now
        delay = report.next_poll.delay
        assert delay is not None
        assert delay >= asked  # never sooner than the server said
        rows = " ".join(r.text for r in report.view.rows)
        assert "Rate limited, retrying at" in rows
        waits.append(delay)
        asked_first = asked if asked_first is None else asked_first
        primed.clock.now += delay
    assert waits[0] == pytest.approx(asked_first)  # the first 429: exactly Retry-After
    assert waits == sorted(waits)
    assert waits[-1] >= 480  # a storm costs a handful of requests, not one a second
    # The storm is over: the next poll succeeds and the monitor is back to normal.
    assert primed.poll().state.problem is None
    assert len([n for n in primed.notifier.sent if n.key.startswith("offline")]) == 0


def test_the_429_wait_is_what_the_server_said(primed: Rig) -> None:
    primed.account.inject(Fault.status(429, headers={"Retry-After": "137"}))
    primed.clock.now += 60
    report = primed.poll()
    assert report.state.problem is Problem.RATE_LIMITED
    assert report.next_poll.delay == 137
    primed.clock.now += 137
    assert primed.poll().state.problem is None


def test_a_tls_failure_sends_no_key_and_shows_offline(primed: Rig, self_signed_https: str) -> None:
    assert primed.monitor is not None
    settings = primed.monitor.settings
    primed.monitor.reconfigure(source=primed.client(self_signed_https), settings=settings)
    primed.clock.now += 60
    assert_stale_with_last_good(primed.poll(), Problem.OFFLINE)
    primed.monitor.reconfigure(source=primed.client(), settings=settings)
    recover(primed)  # the fixture asserts on teardown that no request got through


def test_a_redirect_to_another_host_never_carries_the_key(primed: Rig) -> None:
    with SimulatedLensmorServer() as elsewhere:
        primed.account.inject(Fault.redirect(elsewhere.url + "/external/credits/balance"))
        primed.clock.now += 60
        assert_stale_with_last_good(primed.poll(), Problem.BAD_RESPONSE)
        assert elsewhere.account.requests == []
    recover(primed)


def test_an_oversized_body_is_refused_and_the_old_balance_stays(primed: Rig) -> None:
    primed.account.inject(Fault.oversized(50 * 1024 * 1024, declare_length=False))
    primed.clock.now += 60
    assert_stale_with_last_good(primed.poll(), Problem.BAD_RESPONSE)
    recover(primed)


@pytest.mark.parametrize("jump", [3600.0, -3600.0], ids=["forward-an-hour", "back-an-hour"])
def test_the_clock_jumping_keeps_polling_sane(primed: Rig, jump: float) -> None:
    primed.account.spend(1000)
    primed.clock.now += 60
    primed.poll()
    primed.clock.now += jump
    report = primed.poll()
    assert report.state.problem is None
    assert report.next_poll.delay is not None
    assert 0 < report.next_poll.delay <= 300
    primed.clock.now += report.next_poll.delay
    assert primed.poll().state.problem is None


def test_a_rejected_key_stops_polling_until_the_key_changes(primed: Rig) -> None:
    primed.account.set_valid_keys(["uak_someoneelse0000000000000"])
    primed.clock.now += 60
    report = primed.poll()
    assert report.state.problem is Problem.KEY_REJECTED
    assert report.next_poll.delay is None
    assert report.view.badge.kind is BadgeKind.KEY_REJECTED
    assert primed.monitor is not None
    primed.account.set_valid_keys([DEMO_KEY])
    primed.monitor.reconfigure(source=primed.client(), settings=primed.monitor.settings)
    recover(primed)


def test_a_corrupt_history_file_is_moved_aside_and_the_app_runs(rig: Rig) -> None:
    assert rig.store is not None
    rig.store.close()
    rig.store = None
    rig.store_path.write_bytes(b"this is not a database" * 100)
    rig.start()
    assert rig.poll().state.balance is not None
    aside = list(rig.store_path.parent.glob(rig.store_path.name + ".corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == b"this is not a database" * 100


def test_an_unwritable_data_directory_keeps_the_app_running_in_memory(rig: Rig) -> None:
    blocker = rig.store_path.parent / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    rig.store_path = blocker / "history.sqlite3"
    rig.start()
    assert rig.store is not None
    assert rig.store.persistent is False
    report = rig.poll()
    assert report.state.balance is not None
    rig.account.spend(25_000)  # 5,000 of 30,000: below 20 %
    rig.clock.now += 300
    assert rig.poll().state.balance is not None
    assert rig.kinds().count("threshold") == 1


def test_a_corrupt_saved_state_starts_fresh_without_losing_history(rig: Rig) -> None:
    rig.poll()
    assert rig.store is not None
    rig.store.save_state(
        {"monitor": {"version": 1, "balance": {"totalBalance": "lots"}}, "alerts": "garbage"}
    )
    monitor = rig.start()
    assert monitor.state.balance is None  # nothing trustworthy to show yet
    assert rig.store is not None
    assert rig.store.last_recorded() is not None  # the history itself is intact
    assert rig.poll().state.balance is not None


def test_a_hanging_keyring_does_not_hang_the_cli(home: Home) -> None:
    (home.config_dir).mkdir(parents=True, exist_ok=True)
    key_file = home.config_dir / "api-key"
    key_file.write_text(DEMO_KEY + "\n")
    key_file.chmod(0o600)
    started = time.monotonic()
    result = run_cli(
        home,
        "key",
        "show",
        env={"PYTHON_KEYRING_BACKEND": "tests.support.file_keyring.HangingKeyring"},
    )
    assert time.monotonic() - started < 20
    assert result.code == 0
    assert "did not answer" in result.err
    assert result.out.startswith("uak_…")


def test_a_long_run_of_failures_never_leaks_into_the_day_count(primed: Rig) -> None:
    primed.account.inject(Fault.status(503), times=100_000)
    drive(primed, DAY)
    recover(primed)
    assert primed.store is not None
    changes = primed.store.changes(50)
    assert all(c.balance.total_balance == 30_000 for c in changes)
