"""macOS: a per-user LaunchAgent, `~/Library/LaunchAgents/com.lensmor.tray.plist`.

launchd reads every plist in that folder when the user logs in to the GUI (the `Aqua` session)
and, with `RunAtLoad`, starts the program once. `launchctl bootstrap` loads the agent into the
current session as well, so `launchctl print gui/<uid>/com.lensmor.tray` shows it straight away;
`launchctl bootout` unloads it.

Two launchd behaviours shape enable/disable:
- `bootstrap` of an agent that is already loaded fails (error 5, "Input/output error"), so we
  ask `launchctl print` first and bootstrap only when it is not loaded: enabling twice is
  harmless. A rewritten plist (a repaired launcher path) is read afresh at the next login.
- `bootout` stops the agent's running process. When the running process *is* the tray app (it
  was started at login) and the user unticks "Start at login" in its menu, booting out would
  quit the app under the user's hand. So we bootout only an idle agent; a running one keeps
  running, its plist is gone, and launchd forgets it at logout.
launchctl failures never raise: they end up in the returned status's `detail`.
"""

from __future__ import annotations

import plistlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from xml.parsers.expat import ExpatError

from tray_app.autostart.base import AutostartStatus, RunCommand, entry_status, with_detail
from tray_app.autostart.launcher import LaunchCommand
from tray_app.support.atomic_files import write_private_file

LABEL: Final = "com.lensmor.tray"
PLIST_NAME: Final = f"{LABEL}.plist"
# Absolute: an app started by launchd has PATH=/usr/bin:/bin:/usr/sbin:/sbin, and we never want
# a launchctl found elsewhere.
LAUNCHCTL: Final = "/bin/launchctl"
LAUNCHCTL_TIMEOUT_S: Final = 15.0
# `launchctl print` output is not an API, but its "pid = N" line has been stable since 10.10.
_PID_LINE: Final = re.compile(r"^\s*pid = (\d+)\s*$", re.MULTILINE)


def agent_path(home: Path) -> Path:
    return home / "Library" / "LaunchAgents" / PLIST_NAME


def agent_plist(argv: tuple[str, ...]) -> dict[str, Any]:
    """The LaunchAgent definition for `argv` (see `man launchd.plist`)."""
    return {
        "Label": LABEL,
        "ProgramArguments": list(argv),
        "RunAtLoad": True,
        # Not {"SuccessfulExit": False}: that relaunches after any non-zero exit, and a tray app
        # that cannot start (no API key yet: exit 2) would be restarted every ThrottleInterval
        # (10 s) for the whole session. A user who quits from the menu must stay quit too.
        "KeepAlive": False,
        # Interactive: the app draws UI, so launchd must not throttle its CPU or I/O.
        "ProcessType": "Interactive",
        # Only the GUI login session has a menu bar; never load for ssh or background sessions.
        "LimitLoadToSessionType": "Aqua",
    }


@dataclass(frozen=True)
class _Loaded:
    """What `launchctl print` said: loaded or not, and the running pid if any."""

    loaded: bool
    pid: int | None = None
    error: str = ""


@dataclass(frozen=True)
class _Result:
    """One launchctl call: `ran` is False when it could not even start (missing, timed out)."""

    ok: bool
    output: str = ""
    problem: str = ""
    ran: bool = True


class MacOSAutostart:
    def __init__(
        self,
        *,
        path: Path,
        launcher: LaunchCommand,
        uid: int,
        run_command: RunCommand = subprocess.run,
    ) -> None:
        self.path = path
        self.launcher = launcher
        self.uid = uid
        self._run = run_command

    @property
    def domain(self) -> str:
        return f"gui/{self.uid}"

    @property
    def service(self) -> str:
        return f"{self.domain}/{LABEL}"

    def enable(self) -> AutostartStatus:
        before = self.status()
        data = plistlib.dumps(agent_plist(self.launcher.argv), fmt=plistlib.FMT_XML)
        try:
            # 0600 and owned by the user: launchd refuses agents writable by group or others.
            write_private_file(self.path, data)
        except OSError as exc:
            return with_detail(self.status(), f"could not write {self.path}: {exc.strerror}")
        notes: list[str] = []
        if before.command and not before.target_exists:
            notes.append(f"repaired: it pointed at missing {before.command[0]}")
        state = self._query()
        if state.error:
            notes.append(state.error)
        elif not state.loaded:
            result = self._launchctl("bootstrap", self.domain, str(self.path))
            if not result.ok:
                notes.append(result.problem)
        return _noted(self.status(), notes)

    def disable(self) -> AutostartStatus:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            return with_detail(self.status(), f"could not remove {self.path}: {exc.strerror}")
        notes: list[str] = []
        state = self._query()
        if state.error:
            notes.append(state.error)
        elif state.pid is not None:
            notes.append(f"the running app (pid {state.pid}) keeps running until it quits")
        elif state.loaded:
            result = self._launchctl("bootout", self.service)
            if not result.ok:
                notes.append(result.problem)
        return _noted(self.status(), notes)

    def status(self) -> AutostartStatus:
        location = str(self.path)
        try:
            agent = plistlib.loads(self.path.read_bytes())
        except FileNotFoundError:
            return AutostartStatus(False, location, "no LaunchAgent", target_exists=False)
        except (OSError, ValueError, ExpatError, plistlib.InvalidFileException) as exc:
            return AutostartStatus(False, location, f"unreadable LaunchAgent: {exc}", False)
        args = agent.get("ProgramArguments") if isinstance(agent, dict) else None
        if not (isinstance(args, list) and args and all(isinstance(a, str) for a in args)):
            return AutostartStatus(
                False, location, "broken LaunchAgent: no ProgramArguments", False
            )
        switched_off = None
        if agent.get("Disabled") is True:
            switched_off = "the LaunchAgent is marked Disabled"
        elif agent.get("RunAtLoad") is not True:
            switched_off = "the LaunchAgent does not run at load"
        return entry_status(
            tuple(args), location, self.launcher.executable, switched_off=switched_off
        )

    def _query(self) -> _Loaded:
        result = self._launchctl("print", self.service)
        if not result.ran:
            return _Loaded(False, error=result.problem)
        if not result.ok:
            # "Could not find service" (exit 113) is the normal answer for an unloaded agent.
            return _Loaded(False)
        match = _PID_LINE.search(result.output)
        return _Loaded(True, int(match.group(1)) if match else None)

    def _launchctl(self, *args: str) -> _Result:
        """Run launchctl through the injected runner. Never raises."""
        argv = [LAUNCHCTL, *args]
        try:
            done = self._run(
                argv, capture_output=True, text=True, timeout=LAUNCHCTL_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return _Result(ok=False, ran=False, problem=f"launchctl {args[0]} could not run: {exc}")
        if done.returncode != 0:
            said = " ".join(str(done.stderr or done.stdout or "").split())
            problem = f"launchctl {args[0]} failed (exit {done.returncode}): {said}"
            return _Result(ok=False, problem=problem)
        return _Result(ok=True, output=str(done.stdout or ""))


def _noted(status: AutostartStatus, notes: list[str]) -> AutostartStatus:
    return with_detail(status, "; ".join(notes)) if notes else status
