"""What every real tray host session shares: private folders, a private bus, process plumbing.

A host session (xfce.py, sway.py, gnome.py) starts its services in order, each waited for
(polled against a deadline, never slept for), and stops them in reverse order by PID. It
lives in a fresh temporary directory that serves as HOME, TMPDIR and the XDG directories; the
session bus activates nothing (the harness's configuration, see harness.py), so every daemon
a desktop would normally get by bus activation (xfconfd, GNOME's notification helper) is
started here by hand, and nothing runs that the session did not start.

Recipes these follow, measured on Debian 12 as root: /work/shared/desktops/ (README.md).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..harness import (
    ARTIFACTS_DIR,
    BUS_CONFIG,
    PASSTHROUGH_ENV,
    DesktopError,
    StartupError,
    WaitTimeout,
    _die_with_parent,
    _is_alive,
    _tail,
    poll_until,
)
from .sni_client import WATCHER, SniClient

if TYPE_CHECKING:
    from PIL import Image

DUNSTRC = "[global]\n    origin = bottom-right\n    offset = 10x10\n"


@dataclass
class Process:
    name: str
    proc: subprocess.Popen[bytes] | None
    pid: int
    log: Path


class HostSession:
    """Base class; a subclass sets `name`, `tools` and implements `_start_services`,
    `start_panel`, `stop_panel` and `screenshot`."""

    name = "host"
    tools: tuple[str, ...] = ("dbus-daemon",)
    # What the host draws its tray icons at (px), for reports and pixmap checks.
    icon_size = 22

    def __init__(self, startup_timeout: float = 20.0) -> None:
        self.startup_timeout = startup_timeout
        self.startup_times: dict[str, float] = {}
        self.bus_address = ""
        self.extra_env: dict[str, str] = {}
        self._root: Path | None = None
        self._processes: list[Process] = []
        self._client: SniClient | None = None

    # -- paths ---------------------------------------------------------------------------

    @property
    def root(self) -> Path:
        if self._root is None:
            raise DesktopError("the session is not started")
        return self._root

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def runtime_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def artifacts_dir(self) -> Path:
        return ARTIFACTS_DIR / self.name

    @property
    def pids(self) -> list[int]:
        """PIDs of everything running that this session started, in start order."""
        return [p.pid for p in self._processes]

    @classmethod
    def missing_tools(cls) -> list[str]:
        # A path (a script run through an interpreter) only has to exist.
        return [
            tool
            for tool in cls.tools
            if not (Path(tool).exists() if tool.startswith("/") else shutil.which(tool))
        ]

    @property
    def env(self) -> dict[str, str]:
        """A fresh environment for a process on this desktop (the app included)."""
        env = {k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ}
        env.setdefault("LANG", "C.UTF-8")
        home = self.home
        env.update(
            HOME=str(home),
            TMPDIR=str(self.root / "tmp"),
            XDG_RUNTIME_DIR=str(self.runtime_dir),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_STATE_HOME=str(home / ".local" / "state"),
            NO_AT_BRIDGE="1",
            PYTHONUNBUFFERED="1",
        )
        if self.bus_address:
            env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        env.update(self.extra_env)
        return env

    @property
    def client(self) -> SniClient:
        """A D-Bus client on the session bus (a tray host's view of the items)."""
        if self._client is None:
            raise DesktopError("the session bus is not up")
        return self._client

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> HostSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        missing = self.missing_tools()
        if missing:
            raise StartupError(f"{self.name}: missing tools: {', '.join(missing)}")
        self._root = Path(tempfile.mkdtemp(prefix=f"host-{self.name}-"))
        for sub in ("home", "run", "logs", "tmp"):
            (self.root / sub).mkdir(mode=0o700)
        for key in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            Path(self.env[key]).mkdir(mode=0o700, parents=True, exist_ok=True)
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_services()
        except BaseException:
            self.close()
            raise

    def _start_services(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop everything, newest first, by PID; safe to call twice."""
        if self._client is not None:
            self._client.close()
            self._client = None
        while self._processes:
            self._stop(self._processes.pop())
        self._sweep()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def _sweep(self) -> None:
        """Kill what still runs with this session's HOME (a grandchild such as Xwayland)."""
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
            if marker in environ and _is_alive(int(entry.name)):
                self._kill(int(entry.name), None)

    # -- processes -----------------------------------------------------------------------

    def launch(
        self,
        name: str,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        user: str | None = None,
        **kw: Any,
    ) -> Process:
        """Start a process (as `user` if given); it is stopped at close, in reverse order."""
        log = self.log_dir / f"{name}.log"
        command = list(args)
        if user is not None:
            command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]
            command += args
        with log.open("ab") as out:
            proc = subprocess.Popen(
                _die_with_parent(command),
                env=dict(env if env is not None else self.env),
                stdin=subprocess.DEVNULL,
                stdout=kw.pop("stdout", out),
                stderr=out,
                cwd=self.root,
                start_new_session=True,
                **kw,
            )
        process = Process(name, proc, proc.pid, log)
        self._processes.append(process)
        return process

    def adopt(self, name: str, pid: int, log: Path) -> Process:
        """Track a daemon that forked away from us (dbus-daemon --fork)."""
        process = Process(name, None, pid, log)
        self._processes.append(process)
        return process

    def process(self, name: str) -> Process | None:
        for process in reversed(self._processes):
            if process.name == name:
                return process
        return None

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Stop one service now (e.g. a panel, to restart it)."""
        process = self.process(name)
        if process is None:
            raise DesktopError(f"{name} is not running")
        self._processes.remove(process)
        self._stop(process, sig)

    def _stop(self, process: Process, sig: int = signal.SIGTERM) -> None:
        if process.proc is None and not _is_alive(process.pid):
            return
        self._kill(process.pid, process.proc, sig)

    @staticmethod
    def _kill(pid: int, proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
        for each, grace in ((sig, 5.0), (signal.SIGKILL, 3.0)):
            if not _is_alive(pid):
                break
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, each)
            deadline = time.monotonic() + grace
            while _is_alive(pid) and time.monotonic() < deadline:
                if proc is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=0.02)
                else:
                    time.sleep(0.02)
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)

    def wait_ready(
        self, process: Process, check: Callable[[], object], what: str, started: float
    ) -> None:
        """Poll `check` until true; fail at once, with its log, if `process` dies."""

        def died() -> str | None:
            if process.proc is not None and process.proc.poll() is not None:
                return f"{process.name} exited with code {process.proc.returncode}"
            return None

        try:
            poll_until(
                lambda: bool(check()),
                self.startup_timeout,
                f"{self.name}: {process.name} did not come up ({what})",
                alive=died,
            )
        except WaitTimeout as exc:
            raise StartupError(
                f"{exc}\n--- {process.name} log tail:\n{_tail(process.log)}"
            ) from None
        self.startup_times[process.name] = time.monotonic() - started

    def log_tail(self, name: str, lines: int = 30) -> str:
        return _tail(self.log_dir / f"{name}.log", lines)

    # -- services shared by the hosts ----------------------------------------------------

    def start_bus(self, kind: str = "session") -> str:
        """A private bus that activates nothing; returns its address."""
        started = time.monotonic()
        socket = self.runtime_dir / ("bus" if kind == "session" else "system_bus")
        config = self.root / f"{kind}-bus.conf"
        config.write_text(
            BUS_CONFIG.format(socket=socket).replace("<type>session</type>", f"<type>{kind}</type>")
        )
        log = self.log_dir / f"dbus-{kind}.log"
        with log.open("ab") as err:
            done = subprocess.run(
                [
                    "dbus-daemon",
                    f"--config-file={config}",
                    "--fork",
                    "--print-address=1",
                    "--print-pid=1",
                ],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                timeout=self.startup_timeout,
                check=False,
            )
        lines = done.stdout.decode().split()
        if done.returncode != 0 or len(lines) < 2:
            raise StartupError(f"dbus-daemon ({kind}) failed: {_tail(log)}")
        self.adopt(f"dbus-{kind}", int(lines[1]), log)
        self.startup_times[f"dbus-{kind}"] = time.monotonic() - started
        if kind == "session":
            self.bus_address = lines[0]
            self._client = SniClient(self.bus_address).__enter__()
        return lines[0]

    def start_dunst(self) -> None:
        dunstrc = self.root / "dunstrc"
        dunstrc.write_text(DUNSTRC)
        started = time.monotonic()
        process = self.launch("dunst", ["dunst", "-config", str(dunstrc)])
        self.wait_ready(
            process,
            lambda: self.client.name_has_owner("org.freedesktop.Notifications"),
            "org.freedesktop.Notifications has no owner",
            started,
        )

    def watcher_present(self) -> bool:
        return self.client.name_has_owner(WATCHER)

    def wait_for_watcher(self, process: Process, started: float) -> None:
        self.wait_ready(process, self.watcher_present, f"{WATCHER} has no owner", started)

    def stop_panel_process(self, name: str) -> None:
        """Stop the process serving the watcher and wait until the bus has dropped the name
        (the bus notices the closed connection a moment after the process is gone)."""
        self.stop(name)
        poll_until(lambda: not self.watcher_present(), 5.0, f"{WATCHER} to be released")

    # -- the tray, as the tests see it -----------------------------------------------------

    def start_panel(self) -> None:
        """Start (or restart after stop_panel) what serves the StatusNotifierWatcher."""
        raise NotImplementedError

    def stop_panel(self) -> None:
        raise NotImplementedError

    def dismiss_popups(self) -> None:
        """Close a menu a test may have opened (hosts with a keyboard override this)."""

    def screenshot(self, name: str | None = None) -> Image.Image:
        """The whole screen; saved as test-artifacts/desktop/<host>/<name>.png if named."""
        raise NotImplementedError

    def save_image(self, image: Image.Image, name: str) -> Path:
        path = self.artifacts_dir / f"{name}.png"
        image.save(path)
        return path

    def save_logs(self, label: str) -> Path:
        dest = self.artifacts_dir / f"{label}-logs"
        dest.mkdir(parents=True, exist_ok=True)
        for log in self.log_dir.glob("*.log"):
            shutil.copy2(log, dest / log.name)
        return dest
