"""What the hook tests share: a hook command that records what it got (stdin, environment,
argv) as one JSON file per run, a HookPort that counts the events handed to the real runner,
and the published schema of the JSON a hook reads (docs/hook-event.schema.json)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from tray_app.config.model import HookConfig
from tray_app.core.hook_events import HookEvent
from tray_app.notify.hooks import HookOutcome, HookRunner

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "docs" / "hook-event.schema.json").read_text())

# Stdlib only, and written to a file: the hook's environment has no PYTHONPATH.
RECORDER = """\
import json, os, sys, time
data = sys.stdin.read()
out = sys.argv[1]
name = os.path.join(out, f"{time.time_ns()}-{os.getpid()}")
with open(name + ".tmp", "w") as f:
    json.dump({"stdin": data, "env": dict(os.environ), "argv": sys.argv}, f)
os.replace(name + ".tmp", name + ".json")
"""


def recorder_command(tmp: Path) -> tuple[tuple[str, ...], Path]:
    """(the hook's argv, the folder its records land in)."""
    script = tmp / "record_hook.py"
    script.write_text(RECORDER)
    out = tmp / "hook-records"
    out.mkdir(exist_ok=True)
    return (sys.executable, str(script), str(out)), out


def records(out: Path) -> list[dict[str, Any]]:
    """Every run recorded so far, oldest first, its stdin decoded and schema-checked."""
    runs = []
    for path in sorted(out.glob("*.json"), key=lambda p: int(p.name.split("-")[0])):
        run = json.loads(path.read_text())
        payload = json.loads(run["stdin"])
        Draft202012Validator(SCHEMA).validate(payload)
        runs.append({**run, "payload": payload})
    return runs


def events_of(out: Path) -> list[str]:
    return [run["payload"]["event"] for run in records(out)]


@dataclass
class CountingHooks:
    """The real runner, with a note of every event the monitor handed it."""

    runner: HookRunner
    handed: list[HookEvent] = field(default_factory=list)
    failures: list[HookOutcome] = field(default_factory=list)

    def submit(
        self,
        hooks: tuple[HookConfig, ...],
        events: list[HookEvent],
        on_failure: Callable[[HookOutcome], None],
    ) -> int:
        self.handed += events

        def failed(outcome: HookOutcome) -> None:
            self.failures.append(outcome)
            on_failure(outcome)

        return self.runner.submit(hooks, events, failed)
