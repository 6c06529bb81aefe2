"""Part of the headless desktop harness (tests/desktop/harness.py; import from there): the
core every part of `DesktopSession` builds on: the session's private directories and child
environment, starting and stopping processes by PID, and waiting for a service to be ready.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.support.waiting import WaitTimeout, poll_until

from ._harness_base import (
    ARTIFACTS_DIR,
    PASSTHROUGH_ENV,
    POLL_INTERVAL,
    DesktopError,
    StartupError,
    _cmdline,
    _die_with_parent,
    _is_alive,
    _Service,
    _tail,
)


class SessionCore:
    """The directories, environment and processes of a `DesktopSession` (see harness.py)."""

    def __init__(
        self,
        *,
        tray: bool = True,
        notifications: bool = True,
        screen: str = "800x600x24",
        startup_timeout: float = 15.0,
        artifacts_dir: Path = ARTIFACTS_DIR,
        keep_dir: bool = False,
    ) -> None:
        self.want_tray = tray
        self.want_notifications = notifications
        self.screen = screen
        self.startup_timeout = startup_timeout
        self.artifacts_dir = artifacts_dir
        self.keep_dir = keep_dir
        # Seconds each service took from launch to ready, for reports and regressions.
        self.startup_times: dict[str, float] = {}
        self.display = ""
        self.bus_address = ""
        self._root: Path | None = None
        self._services: dict[str, _Service] = {}
        self._children: list[subprocess.Popen[bytes]] = []
        self._child_logs: dict[int, Path] = {}
        self._all_pids: list[int] = []
        self._swept: list[int] = []
        self._x: Any = None  # Xlib.display.Display, imported lazily
        #: Extra [global] lines for dunst's config (e.g. "dmenu = ..."); takes effect at the
        #: next start_notifications().
        self.dunstrc_extra = ""

    # -- paths and environment -----------------------------------------------------------

    @property
    def root(self) -> Path:
        if self._root is None:
            raise DesktopError("the session is not started")
        return self._root

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmpdir(self) -> Path:
        return self.root / "tmp"

    @property
    def runtime_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def monitor_log(self) -> Path:
        return self.log_dir / "dbus-monitor.log"

    @property
    def started_pids(self) -> list[int]:
        """Every PID the session started (services and `popen` children), in start order."""
        return list(self._all_pids)

    @property
    def swept_pids(self) -> list[int]:
        """Processes found still running with this session's HOME at close, and killed."""
        return list(self._swept)

    def _xdg(self) -> dict[str, str]:
        home = self.home
        return {
            "HOME": str(home),
            "TMPDIR": str(self.tmpdir),
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
        }

    @property
    def env(self) -> dict[str, str]:
        """A fresh environment for a child process of this desktop (mutate it freely)."""
        env = {k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ}
        env.setdefault("LANG", "C.UTF-8")
        env.update(self._xdg())
        env.update(
            {
                "XDG_SESSION_TYPE": "x11",
                "GDK_BACKEND": "x11",
                # GTK would otherwise look for an accessibility bus and for dconf.
                "NO_AT_BRIDGE": "1",
                "GSETTINGS_BACKEND": "memory",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.display:
            env["DISPLAY"] = self.display
        if self.bus_address:
            env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        return env

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop everything this session started, newest first; safe to call twice."""
        for child in reversed(self._children):
            self._stop_popen(child)
        self._children.clear()
        if self._x is not None:
            with contextlib.suppress(Exception):
                self._x.close()
            self._x = None
        for name in reversed(list(self._services)):
            self._stop_service(name)
        self._sweep()
        if self._root is not None and not self.keep_dir:
            shutil.rmtree(self._root, ignore_errors=True)

    def _sweep(self) -> None:
        """Kill anything still running with this session's HOME (e.g. a grandchild)."""
        if self._root is None:
            return
        marker = f"HOME={self.home}".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            pid = int(entry.name)
            if marker in environ and _is_alive(pid):
                self._swept.append(pid)
                self._kill_pid(pid)

    def leftover_pids(self) -> list[int]:
        """PIDs this session started that are still running (zombies count as gone)."""
        return [pid for pid in self._all_pids if _is_alive(pid)]

    # -- process plumbing ----------------------------------------------------------------

    def _launch(
        self, name: str, args: Sequence[str], *, env: Mapping[str, str] | None = None, **kw: Any
    ) -> _Service:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as err:
            proc = subprocess.Popen(
                _die_with_parent(args),
                env=dict(env if env is not None else self.env),
                stdin=subprocess.DEVNULL,
                stdout=kw.pop("stdout", err),
                stderr=err,
                cwd=self.home,
                start_new_session=True,  # a Ctrl-C in the terminal is for pytest, not them
                **kw,
            )
        self._all_pids.append(proc.pid)
        service = _Service(name=name, pid=proc.pid, log=log, proc=proc)
        self._services[name] = service
        return service

    def _death_check(self, service: _Service) -> Callable[[], str | None]:
        def check() -> str | None:
            if service.proc is not None and service.proc.poll() is not None:
                return (
                    f"{service.name} exited with code {service.proc.returncode}; "
                    f"stderr tail:\n{_tail(service.log)}"
                )
            return None

        return check

    def _wait_ready(
        self, service: _Service, check: Callable[[], object], what: str, started: float
    ) -> None:
        try:
            poll_until(
                lambda: bool(check()),
                self.startup_timeout,
                f"{service.name} did not come up ({what})",
                alive=self._death_check(service),
            )
        except WaitTimeout as exc:
            raise StartupError(
                f"{exc}\n--- {service.name} stderr tail:\n{_tail(service.log)}"
            ) from None
        self.startup_times[service.name] = time.monotonic() - started

    def _kill_pid(self, pid: int, proc: subprocess.Popen[bytes] | None = None) -> None:
        """SIGTERM, a grace period, then SIGKILL; reaps it when it is our child."""
        for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            if not _is_alive(pid):
                break
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + grace
            while _is_alive(pid) and time.monotonic() < deadline:
                if proc is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=POLL_INTERVAL)
                else:
                    time.sleep(POLL_INTERVAL)
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)

    def _stop_popen(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            self._kill_pid(proc.pid, proc)

    def _stop_service(self, name: str) -> None:
        service = self._services.pop(name, None)
        if service is None:
            return
        if service.proc is None and "dbus-daemon" not in _cmdline(service.pid):
            return  # the forked bus is gone and its PID may already belong to someone else
        self._kill_pid(service.pid, service.proc)

    def popen(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        name: str | None = None,
        **kw: Any,
    ) -> subprocess.Popen[bytes]:
        """Start a process on this desktop; it is stopped when the session closes.

        stdout and stderr go to a log (see `log_of`) unless given; `env` defaults to `self.env`.
        """
        log = self.log_dir / f"{name or Path(args[0]).name}-{len(self._children)}.log"
        with log.open("ab") as out:
            kw.setdefault("stdout", out)
            kw.setdefault("stderr", subprocess.STDOUT if kw["stdout"] is out else out)
            proc = subprocess.Popen(
                _die_with_parent(args),
                env=dict(env if env is not None else self.env),
                stdin=kw.pop("stdin", subprocess.DEVNULL),
                cwd=kw.pop("cwd", self.home),
                start_new_session=True,
                **kw,
            )
        self._children.append(proc)
        self._all_pids.append(proc.pid)
        self._child_logs[proc.pid] = log
        return proc

    def stop_process(self, proc: subprocess.Popen[bytes]) -> int:
        """Stop a `popen` child now (SIGTERM, then SIGKILL); return its exit code."""
        self._stop_popen(proc)
        return proc.wait(timeout=5)

    def log_of(self, proc: subprocess.Popen[bytes]) -> str:
        """What a `popen` child has written to its log so far."""
        return self._child_logs[proc.pid].read_text(errors="replace")

    def wait_for_output(
        self, proc: subprocess.Popen[bytes], text: str, timeout: float = 10.0
    ) -> str:
        """Wait until a `popen` child's log contains `text`; return the whole log."""

        def found() -> str | None:
            log = self.log_of(proc)
            return log if text in log else None

        def died() -> str | None:
            if proc.poll() is None or found():
                return None
            return f"it exited with code {proc.returncode}"

        try:
            return poll_until(found, timeout, f"{text!r} from PID {proc.pid}", alive=died)
        except WaitTimeout as exc:
            raise WaitTimeout(f"{exc}\nlog tail:\n{self.log_of(proc)[-2000:]}") from None

    def run(self, args: Sequence[str], timeout: float = 10.0) -> str:
        """Run a short command against this desktop; return its stdout, raise on failure."""
        done = subprocess.run(
            list(args), env=self.env, capture_output=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise DesktopError(
                f"{' '.join(args)} failed with code {done.returncode}: "
                f"{done.stderr.decode(errors='replace').strip()}"
            )
        return done.stdout.decode(errors="replace")

    def _log_tail(self, name: str) -> str:
        return _tail(self.log_dir / f"{name}.log")

    # -- artefacts -----------------------------------------------------------------------

    def save_logs(self, name: str) -> Path:
        """Copy the services' logs to test-artifacts/desktop/<name>-logs/ (for failures)."""
        dest = self.artifacts_dir / f"{name}-logs"
        dest.mkdir(parents=True, exist_ok=True)
        for log in self.log_dir.glob("*.log"):
            shutil.copy2(log, dest / log.name)
        return dest
