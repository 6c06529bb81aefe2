"""`lensmor-tray hooks list` and `hooks test` as a user runs them (a child process)."""

from __future__ import annotations

import json
import sys

from tests.conftest import Home, run_cli
from tests.support.hook_recorder import recorder_command, records


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
