"""notify/hooks.py with real processes: the environment is made from scratch, stdin is the
JSON, a hook past its timeout is killed with its children, a missing program is one reason,
at most MAX_RUNNING run at once, and quitting kills what still runs."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import pytest

from tests.support.waiting import poll_until
from tray_app.config.model import HookConfig
from tray_app.core.hook_events import HookEvent
from tray_app.core.language import ENGLISH
from tray_app.notify.hooks import (
    MAX_RUNNING,
    MAX_WAITING,
    HookOutcome,
    HookRunner,
    hook_environment,
    run_hook,
)

EVENT = HookEvent("low", "Work", "k1", "Lensmor credits low", "1,000 left.", 1.8e9, None, None)
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/home/someone", "LANG": "fr_FR.UTF-8"}


def _python(code: str, timeout: float = 10, on: tuple[str, ...] = ("*",)) -> HookConfig:
    return HookConfig(on, (sys.executable, "-c", code), timeout=timeout)


def test_the_environment_is_made_from_scratch() -> None:
    app = {**ENV, "LENSMOR_API_KEY": "uak_secret", "LC_ALL": "de_DE.UTF-8", "PYTHONPATH": "x"}
    assert hook_environment(EVENT, app) == {
        "PATH": "/usr/bin:/bin",
        "HOME": "/home/someone",
        "LANG": "de_DE.UTF-8",  # the language the app speaks: LC_ALL first
        "LENSMOR_EVENT": "low",
        "LENSMOR_ACCOUNT": "Work",
    }


def test_the_session_bus_and_runtime_dir_pass_through_the_key_never() -> None:
    session = {
        "XDG_RUNTIME_DIR": "/run/user/1000",
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus",
    }
    env = hook_environment(EVENT, {**ENV, **session, "LENSMOR_API_KEY": "uak_secret"})
    assert {name: env.get(name) for name in session} == session
    assert "LENSMOR_API_KEY" not in env
    assert "uak_secret" not in env.values()


def test_stdin_is_the_json_and_the_first_lines_come_back() -> None:
    code = (
        "import json, os, sys; e = json.load(sys.stdin); "
        "print(e['event'], os.environ['LENSMOR_ACCOUNT']); print('oops', file=sys.stderr); "
        "sys.exit(3)"
    )
    outcome = run_hook(_python(code), EVENT, ENV)
    assert outcome.status == 3
    assert not outcome.ok
    assert outcome.stdout == "low Work"
    assert outcome.stderr == "oops"
    assert outcome.describe() == "exit status 3: oops"
    assert outcome.failure_text(ENGLISH) == (
        f"Hook {Path(sys.executable).name} failed on low: exit status 3: oops"
    )


def test_a_hook_past_its_timeout_is_killed_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child"
    code = (
        "import subprocess, time; c = subprocess.Popen(['sleep', '100']); "
        f"open({str(pid_file)!r}, 'w').write(str(c.pid)); time.sleep(100)"
    )
    began = time.monotonic()
    outcome = run_hook(_python(code, timeout=1), EVENT, ENV)
    assert time.monotonic() - began < 8
    assert outcome.timed_out
    assert outcome.failure_text(ENGLISH).endswith("killed after 1 s")
    child = int(pid_file.read_text())
    poll_until(lambda: not _running(child), 5, "the hook's child killed too")


def _running(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_a_missing_program_is_a_reason_not_an_exception() -> None:
    outcome = run_hook(HookConfig(("*",), ("no-such-hook-program",)), EVENT, ENV)
    assert outcome.status is None
    assert outcome.missing == "no-such-hook-program not found"
    assert "could not start it" in outcome.failure_text(ENGLISH)


def test_submit_returns_at_once_and_at_most_three_run_at_a_time(tmp_path: Path) -> None:
    gate = tmp_path / "go"
    code = f"import os, time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.02)\n"
    runner = HookRunner(ENV)
    failures: list[HookOutcome] = []
    try:
        began = time.monotonic()
        queued = runner.submit([_python(code, timeout=30)], [EVENT] * 5, failures.append)
        assert queued == 5
        assert time.monotonic() - began < 0.5
        poll_until(lambda: runner.running() == MAX_RUNNING, 10, "three hooks running")
        for _ in range(10):  # and never more, while they wait for the gate
            assert runner.running() <= MAX_RUNNING
            time.sleep(0.02)
        gate.touch()
        poll_until(lambda: runner.running() == 0 and runner._jobs.empty(), 20, "all done")
    finally:
        runner.close()
    assert failures == []


def test_a_failure_is_reported_and_only_matching_hooks_run(tmp_path: Path) -> None:
    runner = HookRunner(ENV)
    failures: list[HookOutcome] = []
    hooks = [_python("import sys; sys.exit(1)", on=("low",)), _python("", on=("empty",))]
    try:
        assert runner.submit(hooks, [EVENT], failures.append) == 1
        poll_until(lambda: failures, 10, "the failure reported")
    finally:
        runner.close()
    assert json.dumps(failures[0].hook.on) == '["low"]'


def test_closing_kills_a_hook_still_running(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(100)"
    runner = HookRunner(ENV)
    runner.submit([_python(code, timeout=300)], [EVENT])
    poll_until(lambda: pid_file.exists() and pid_file.read_text(), 10, "the hook started")
    runner.close(grace=0.2)
    poll_until(lambda: not _running(int(pid_file.read_text())), 5, "the hook killed at quit")
    assert runner.submit([_python("")], [EVENT]) == 0  # closed: nothing more runs


def test_runs_past_a_full_queue_are_reported_and_those_waiting_at_quit_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gate = tmp_path / "go"
    code = f"import os, time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.02)\n"
    runner = HookRunner(ENV, max_running=1)
    failures: list[HookOutcome] = []
    caplog.set_level(logging.INFO, logger="tray_app.notify.hooks")
    try:
        submitted = MAX_WAITING + 5
        queued = runner.submit([_python(code, timeout=30)], [EVENT] * submitted, failures.append)
        dropped = [outcome for outcome in failures if outcome.dropped]
        assert queued < submitted
        assert len(dropped) == submitted - queued
        assert dropped[0].failure_text(ENGLISH) == (
            f"Hook {Path(sys.executable).name} not run on low: {MAX_WAITING} hook runs were waiting"
        )
        assert "dropped" in caplog.text
    finally:
        runner.close(grace=0.2)
    at_quit = [r for r in caplog.records if "the app quit before its turn" in r.getMessage()]
    assert len(at_quit) >= MAX_WAITING - 1
    assert f"hook {Path(sys.executable).name} for low (Work)" in at_quit[0].getMessage()
