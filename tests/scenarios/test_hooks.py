"""Hooks against the simulated API: the real Monitor (tests/support/rig.py), the real hook
runner and real processes. Every event kind runs its hook once with the documented JSON; a
restart repeats none; a flapping resetAt fires one "renewed"; a hook that never ends is
killed at its timeout while the monitor keeps answering; a hook never sees the key."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CANARY_KEY, Home
from tests.scenarios.reload_rig import tray_process
from tests.support.hook_recorder import CountingHooks, events_of, recorder_command, records
from tests.support.rig import DAY, Rig
from tests.support.waiting import poll_until
from tray_app.config.model import HookConfig
from tray_app.core.hook_names import EVENT_NAMES
from tray_app.demo.faults import Fault
from tray_app.demo.server import SimulatedAccount, SimulatedLensmorServer
from tray_app.notify.hooks import HookRunner

HOUR = 3600.0
HOOK_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "LANG": "C.UTF-8",
    "XDG_RUNTIME_DIR": "/run/user/4242",
    "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/4242/bus",
    "LENSMOR_API_KEY": "uak_neverneverneverneverever0000",  # must not reach a hook
    "PYTHONPATH": "/nowhere",  # nor anything else of the app's
}


@pytest.fixture
def hooked(rig: Rig, tmp_path: Path) -> Iterator[tuple[Rig, CountingHooks, Path]]:
    """The rig with one hook on every event, recording what it got."""
    command, out = recorder_command(tmp_path)
    runner = HookRunner({**HOOK_ENV, "HOME": str(tmp_path)})
    counting = CountingHooks(runner)
    rig.settings = dataclasses.replace(rig.settings, hooks=(HookConfig(("*",), command),))
    rig.hooks = counting
    rig.start()
    yield rig, counting, out
    runner.close()


def _step(rig: Rig, out: Path, expected: list[str], hours: float = 2) -> None:
    """Move the clock, poll once, wait for the hooks the poll ran."""
    rig.clock.now += hours * HOUR
    rig.poll()
    poll_until(lambda: len(records(out)) >= len(expected), 15, f"hooks {expected}")
    assert events_of(out) == expected


def test_every_event_kind_runs_its_hook_once_with_the_documented_json(
    hooked: tuple[Rig, CountingHooks, Path],
) -> None:
    rig, _hooks, out = hooked
    account = rig.account
    seen: list[str] = []
    rig.poll()  # 30,000 of 30,000: the first poll only learns the period
    for credits in (4_000, 4_000):  # under the unusual-spend floor, an hour apart
        account.spend(credits)
        _step(rig, out, seen)
    account.spend(6_000)  # 6,000 in an hour, no pace known yet: unusual
    _step(rig, out, seen := [*seen, "unusual_spend"])
    for credits in (4_000, 4_000, 2_500):  # 16,000 -> 5,500: below 20 % (6,000)
        account.spend(credits)
        _step(rig, out, seen if credits != 2_500 else (seen := [*seen, "low"]))
    account.spend(4_100)  # 1,400: below 5 %
    _step(rig, out, seen := [*seen, "critical"])
    account.spend(1_400)
    _step(rig, out, seen := [*seen, "empty"])
    account.gift(3_000)
    _step(rig, out, seen := [*seen, "topped_up"])
    account.reset()  # a new period: 30,000 subscription credits, resetAt a period later
    _step(rig, out, seen := [*seen, "renewed"])
    reset_at = account.snapshot()["resetAt"]
    assert isinstance(reset_at, int)
    rig.clock.now = reset_at / 1000 - DAY  # a day before the credits expire
    _step(rig, out, seen := [*seen, "expiring"], hours=0)
    account.inject(Fault.status(503), times=50)
    _step(rig, out, seen)  # the outage starts
    _step(rig, out, seen := [*seen, "unreachable"], hours=1.1)
    account.clear_faults()
    _step(rig, out, seen := [*seen, "recovered"], hours=0.1)
    account.set_valid_keys([])
    _step(rig, out, seen := [*seen, "rejected_key"], hours=0.1)

    assert sorted(seen) == sorted(EVENT_NAMES)  # every kind, each once
    runs = records(out)
    for run in runs:
        payload, env = run["payload"], run["env"]
        assert payload["account"] == "default"
        assert payload["test"] is False
        assert env["LENSMOR_EVENT"] == payload["event"]
        assert env["LENSMOR_ACCOUNT"] == "default"
        # Built from scratch: nothing of this process's environment but what is listed
        # (Python itself adds LC_CTYPE when it coerces the C locale, PEP 538).
        # XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS pass through (the session's sockets).
        assert set(env) - {"LC_CTYPE"} == {
            "PATH",
            "HOME",
            "LANG",
            "LENSMOR_EVENT",
            "LENSMOR_ACCOUNT",
            "XDG_RUNTIME_DIR",
            "DBUS_SESSION_BUS_ADDRESS",
        }
        assert env["DBUS_SESSION_BUS_ADDRESS"] == HOOK_ENV["DBUS_SESSION_BUS_ADDRESS"]
        assert HOOK_ENV["LENSMOR_API_KEY"] not in env.values()
    by_event = {run["payload"]["event"]: run["payload"] for run in runs}
    assert by_event["low"]["thresholds"] == ["20%"]
    assert by_event["low"]["level"] == "low"
    assert by_event["low"]["balance"]["totalBalance"] == 5_500
    assert by_event["critical"]["thresholds"] == ["5%"]
    assert by_event["empty"]["thresholds"] == ["depleted"]
    assert by_event["empty"]["level"] == "depleted"
    assert by_event["renewed"]["balance"]["subscriptionBalance"] == 30_000
    assert by_event["rejected_key"]["balance"] is not None  # the last one known
    assert by_event["low"]["timeMs"] == round(by_event["low"]["timeMs"] / 1000) * 1000
    # The notification's own title and text.
    titles = [n.title for n in rig.notifier.sent]
    assert by_event["low"]["title"] in titles
    assert by_event["empty"]["title"] in titles
    keys = [payload["key"] for payload in by_event.values()]
    assert len(set(keys)) == len(keys)


def test_a_restart_repeats_no_hook(hooked: tuple[Rig, CountingHooks, Path]) -> None:
    rig, hooks, out = hooked
    rig.account.set_balance(subscriptionBalance=1_000)  # below both lines at the first poll
    rig.poll()
    poll_until(lambda: events_of(out) == ["critical"], 15, "the critical hook")
    assert records(out)[0]["payload"]["thresholds"] == ["20%", "5%"]
    handed = len(hooks.handed)
    for _restart in range(3):
        rig.start()  # a new Monitor over the same history and saved state
        rig.clock.now += 60
        rig.poll()
    assert len(hooks.handed) == handed
    assert events_of(out) == ["critical"]


def test_a_flapping_reset_at_fires_one_renewed(hooked: tuple[Rig, CountingHooks, Path]) -> None:
    rig, hooks, out = hooked
    first = rig.account.snapshot()["resetAt"]
    assert isinstance(first, int)
    later = first + 30 * int(DAY * 1000)
    rig.poll()
    for reset_at in (later, first, later, first, later, first, later):
        rig.account.set_balance(resetAt=reset_at)
        rig.clock.now += 300
        rig.poll()
    poll_until(lambda: events_of(out) == ["renewed"], 15, "one renewed")
    assert [event.event for event in hooks.handed] == ["renewed"]


def test_a_hook_that_never_ends_is_killed_at_its_timeout_and_the_monitor_answers(
    rig: Rig, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    forever = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen(['sleep', '1000'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(1000)\n"
    )
    runner = HookRunner({**HOOK_ENV, "HOME": str(tmp_path)})
    rig.settings = dataclasses.replace(
        rig.settings, hooks=(HookConfig(("low",), (sys.executable, "-c", forever), timeout=1),)
    )
    rig.hooks = CountingHooks(runner)
    monitor = rig.start()
    rig.account.set_balance(subscriptionBalance=5_000)  # below 20 % at the first poll
    began = time.monotonic()
    rig.poll()
    assert time.monotonic() - began < 2  # the poll handed the hook off
    hook_pid, child_pid = map(
        int, poll_until(lambda: pids.exists() and pids.read_text().split(), 10, "the hook to start")
    )
    assert _alive(hook_pid)
    assert _alive(child_pid)
    for _ in range(5):  # the monitor answers while the hook runs
        began = time.monotonic()
        monitor.refresh_view(rig.clock.now)
        assert time.monotonic() - began < 0.5
    poll_until(lambda: not _alive(hook_pid) and not _alive(child_pid), 10, "the hook killed")
    # The worker forgets the process just after reaping it: a moment after it is gone.
    poll_until(lambda: runner.running() == 0, 5, "the runner to forget the hook")
    poll_until(lambda: rig.hooks.failures, 5, "the failure reported")  # type: ignore[union-attr]
    poll_until(
        lambda: "killed after 1 s" in rig.tray.snapshots[-1].extras.recent_alerts[0][1],
        5,
        "the failure under Recent alerts",
    )
    recent = rig.tray.snapshots[-1].extras.recent_alerts
    assert "low" in recent[0][1]
    assert rig.store is not None
    assert rig.store.alerts(0.0, 5)[0].kind == "hook_failed"
    runner.close()


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_the_running_app_runs_hooks_that_never_see_the_key(home: Home, tmp_path: Path) -> None:
    command, out = recorder_command(tmp_path)
    account = SimulatedAccount(total_subscription=10_000, gift=0, valid_keys=(CANARY_KEY,))
    account.spend(9_000)  # 10 % left: "low" at the first poll
    with SimulatedLensmorServer(account) as server:
        argv = ", ".join(f'"{word}"' for word in command)
        home.write_config(f'[[hooks]]\non = ["*"]\ncommand = [{argv}]\n')
        home.env.update({"LENSMOR_BASE_URL": server.url, "LENSMOR_API_KEY": CANARY_KEY})
        with tray_process(home) as tray:
            tray.wait_for(lambda: events_of(out) == ["low"], 30, "the low hook")
            tray.wait_for(lambda: "hook python" in tray.log(), 10, "the hook logged")
    run = records(out)[0]
    seen = [run["stdin"], *run["argv"], *run["env"].keys(), *run["env"].values()]
    assert not any(CANARY_KEY in text or CANARY_KEY[-4:] in text for text in seen)
    assert "LENSMOR_API_KEY" not in run["env"]
    assert CANARY_KEY not in tray.log()
