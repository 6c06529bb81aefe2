"""`lensmor-tray hooks list` and `hooks test` as a user runs them (a child process)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import Home, run_cli
from tests.support.hook_recorder import recorder_command, records
from tests.support.waiting import poll_until


def test_list_names_each_hook_and_a_missing_program(home: Home) -> None:
    home.write_config(
        '[[hooks]]\non = ["low", "empty"]\ncommand = ["no-such-program-x", "a b"]\n'
        'account = "Work"\ntimeout = 3\n\n[[hooks]]\non = ["*"]\ncommand = ["sh", "-c", "true"]\n'
        '\n[[accounts]]\nname = "Work"\n'
    )
    result = run_cli(home, "hooks", "list")
    assert result.code == 0
    assert result.out.splitlines()[:5] == [
        "hooks[0]: no-such-program-x 'a b'",
        "  on: low, empty",
        "  account: Work",
        "  timeout: 3 s",
        "  program not found: no-such-program-x",
    ]
    assert "hooks[1]: sh -c true" in result.out
    assert "every account" in result.out
    doctor = run_cli(home, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(doctor.out)["checks"]}
    assert checks["hooks"]["verdict"] == "fail"
    assert checks["guard"]["verdict"] == "ok"
    assert "one request" in checks["guard"]["detail"]
    assert "hooks[0] runs no-such-program-x" in checks["hooks"]["detail"]


def test_test_runs_the_matching_hooks_with_a_sample_event(home: Home) -> None:
    command, out = recorder_command(home.root)
    argv = ", ".join(json.dumps(word) for word in command)
    home.write_config(
        f'[[hooks]]\non = ["renewed"]\ncommand = [{argv}]\n\n'
        f'[[hooks]]\non = ["*"]\ncommand = ["{sys.executable}", "-c", "import sys; sys.exit(4)"]\n'
    )
    result = run_cli(home, "hooks", "test", "renewed")
    assert result.code == 1  # the second one failed
    lines = result.out.splitlines()
    assert lines[0].startswith("hooks[0] python")
    assert "exit status 0" in lines[0]
    assert lines[1].startswith("hooks[1] python")
    assert "exit status 4" in lines[1]
    [run] = records(out)
    assert run["payload"]["test"] is True
    assert run["payload"]["event"] == "renewed"
    assert run["env"]["LENSMOR_ACCOUNT"] == "default"
    unknown = run_cli(home, "hooks", "test", "low", "--account", "Nobody")
    assert unknown.code == 2
    assert "no account named 'Nobody'" in unknown.err


def test_ctrl_c_during_hooks_test_kills_the_hook_too(home: Home) -> None:
    pid_file = home.root / "hook.pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(300)"
    home.write_config(
        f'[[hooks]]\non = ["*"]\ncommand = [{json.dumps(sys.executable)}, "-c", "{code}"]\n'
        "timeout = 300\n"
    )
    cli = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "hooks", "test", "low"],
        env=home.env,
        cwd=home.root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        hook = int(poll_until(lambda: pid_file.exists() and pid_file.read_text(), 20, "the hook"))
        cli.send_signal(signal.SIGINT)  # the terminal's Ctrl-C: not to the hook's own session
        assert cli.wait(timeout=20) == 130
        poll_until(lambda: not _alive(hook), 10, "the hook killed with the command")
    finally:
        cli.kill()
        cli.wait()
        if pid_file.exists() and _alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)  # not left behind on a failure


def _alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
