"""A real, private, headless Linux desktop for end-to-end tests.

`DesktopSession` starts an X server (Xvfb), a private D-Bus session bus, a system-tray host
(trayer), a notification server (dunst) and a D-Bus monitor that records every Notify call,
all inside a fresh temporary directory that serves as HOME, TMPDIR and the XDG directories.
Every service is waited for (polled against a deadline, never slept for) and everything is
stopped in reverse order by PID when the session closes, so nothing outlives a test.

Facts this relies on are in /work/shared/desktop-testing.md; the ones that shaped the code:

* The bus runs from our own configuration file, not `--session`: the stock session
  configuration lists /usr/share/dbus-1/services, from which the bus *activates* dunst on
  the first Notify call (and the accessibility bus, dconf, ...). That would make "the
  notification server is down" impossible to test and would leave processes the harness
  never started. Our bus activates nothing.
* Child processes get `NO_AT_BRIDGE=1` and `GSETTINGS_BACKEND=memory` so GTK neither looks
  for an accessibility bus nor for dconf.
* The forked dbus-daemon is not our child: it is stopped by the PID it printed.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from tests.support.waiting import DEFAULT_INTERVAL_S, WaitTimeout, poll_until

if TYPE_CHECKING:
    from PIL import Image

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "desktop"

NOTIFICATIONS_NAME = "org.freedesktop.Notifications"
TRAY_SELECTION = "_NET_SYSTEM_TRAY_S0"

# How often readiness is polled. Small enough to add nothing noticeable to start-up, large
# enough not to busy-loop a 2-core CI machine.
POLL_INTERVAL = DEFAULT_INTERVAL_S

# Environment variables passed through from the test runner. Everything else (DISPLAY,
# WAYLAND_DISPLAY, XAUTHORITY, SESSION_MANAGER, XDG_CURRENT_DESKTOP, ...) could point at a
# real desktop and is dropped on purpose.
PASSTHROUGH_ENV = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "COVERAGE_PROCESS_START",
)

# Tools each part of the stack needs, checked before anything starts.
XVFB_TOOLS = ("Xvfb", "xdotool")
BUS_TOOLS = ("dbus-daemon", "dbus-send")
TRAY_TOOLS = ("trayer",)
NOTIFICATION_TOOLS = ("dunst", "dunstctl", "dbus-monitor")

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- The stock session.conf minus <standard_session_servicedirs/>: nothing is activated. -->
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# Popups bottom-right, away from the tray at the top, so screenshots of icons stay clean.
DUNSTRC = """[global]
    origin = bottom-right
    offset = 10x10
"""


class DesktopError(Exception):
    """Something in the headless desktop did not behave."""


class StartupError(DesktopError):
    """A service did not come up; the message names it and ends with its stderr."""


@dataclass(frozen=True)
class WindowInfo:
    """An X window and its geometry in root-window (screen) coordinates."""

    id: int
    x: int
    y: int
    width: int
    height: int

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, upper, right, lower) as Pillow's crop() wants it."""
        return self.x, self.y, self.x + self.width, self.y + self.height


@dataclass(frozen=True)
class NotifyCall:
    """One org.freedesktop.Notifications.Notify call as seen on the bus."""

    app_name: str
    replaces_id: int
    app_icon: str
    summary: str
    body: str
    actions: tuple[str, ...]
    hints: Mapping[str, str]
    expire_timeout: int
    sender: str
    serial: int
    # What the server answered: the notification id, or the D-Bus error name.
    returned_id: int | None = None
    error: str | None = None


@dataclass
class _Service:
    """A started process: our child (`proc`) or a daemon that forked away (`proc` is None)."""

    name: str
    pid: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None


def missing_tools(*, tray: bool = True, notifications: bool = True) -> list[str]:
    """Executables and Python modules the requested stack needs but cannot find."""
    tools = [*XVFB_TOOLS]
    if tray or notifications:
        tools += BUS_TOOLS
    if tray:
        tools += TRAY_TOOLS
    if notifications:
        tools += NOTIFICATION_TOOLS
    missing = [tool for tool in tools if shutil.which(tool) is None]
    for module in ("Xlib", "PIL"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"python module {module}")
    try:
        from PIL import features

        if not features.check("xcb"):
            missing.append("Pillow built with XCB (ImageGrab on X)")
    except ImportError:
        pass
    return missing


def _die_with_parent(args: Sequence[str]) -> list[str]:
    """`args` run so that the kernel SIGTERMs the process if the test process dies.

    So even a pytest killed with SIGKILL (a CI timeout) leaves no X server or tray behind.
    `setpriv` (util-linux, essential on Debian) sets the flag and execs, keeping the PID; a
    preexec_fn would do the same but is unsafe when the test process has threads. Only the
    forked dbus-daemon escapes (the flag does not survive its fork); it has no clients left
    once everything else is gone.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *args] if setpriv else list(args)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def _is_alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (dead, waiting for a reaper) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name, which may contain spaces.
    return stat[stat.rindex(")") + 2] not in "ZX"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# --- dbus-monitor log parsing -----------------------------------------------------------

_HEADER = re.compile(
    r"^(?P<kind>method call|method return|error|signal) time=\S+ sender=(?P<sender>\S+) -> "
    r"destination=(?P<dest>\S+)(?P<rest>.*)$",
    re.MULTILINE,
)
# Notify(susssasa{sv}i). dbus-monitor prints strings unescaped, so a body may span lines; the
# lazy groups plus the fixed shape of what follows each string keep such bodies intact.
_NOTIFY_ARGS = re.compile(
    r'\A\n   string "(?P<app_name>.*?)"\n'
    r"   uint32 (?P<replaces_id>\d+)\n"
    r'   string "(?P<app_icon>.*?)"\n'
    r'   string "(?P<summary>.*?)"\n'
    r'   string "(?P<body>.*?)"\n'
    r"   array \[\n(?P<actions>.*?)   \]\n"
    r"   array \[\n(?P<hints>.*?)   \]\n"
    r"   int32 (?P<expire_timeout>-?\d+)\s*\Z",
    re.DOTALL,
)
_ACTION = re.compile(r'^      string "(.*)"$', re.MULTILINE)
_HINT = re.compile(
    r'dict entry\(\n\s+string "(?P<key>[^"\n]*)"\n\s+variant\s+(?P<value>.*?)\n\s+\)\n', re.DOTALL
)
_FIELD = re.compile(r"(\w+)=(\S+?)(?:;|\s|$)")


def _hint_value(raw: str) -> str:
    """`byte 1` -> "1", `string "x"` -> "x"; anything nested stays as dbus-monitor printed it."""
    simple = re.fullmatch(r'(?:string|object path) "(.*)"|\w+ (\S+)', raw.strip(), re.DOTALL)
    if simple:
        return simple.group(1) if simple.group(1) is not None else simple.group(2)
    return raw.strip()


def parse_notify_log(text: str) -> list[NotifyCall]:
    """Notify calls in a `dbus-monitor` text log, each joined with the server's answer."""
    headers = list(_HEADER.finditer(text))
    calls: list[tuple[NotifyCall, str]] = []
    answers: dict[tuple[str, int], tuple[int | None, str | None]] = {}
    for i, header in enumerate(headers):
        end = headers[i + 1].start() - 1 if i + 1 < len(headers) else len(text)
        payload = text[header.end() : end]
        fields = dict(_FIELD.findall(header["rest"]))
        kind = header["kind"]
        if kind == "method call" and fields.get("member") == "Notify":
            args = _NOTIFY_ARGS.match(payload)
            if args is None:
                continue
            call = NotifyCall(
                app_name=args["app_name"],
                replaces_id=int(args["replaces_id"]),
                app_icon=args["app_icon"],
                summary=args["summary"],
                body=args["body"],
                actions=tuple(_ACTION.findall(args["actions"])),
                hints={m["key"]: _hint_value(m["value"]) for m in _HINT.finditer(args["hints"])},
                expire_timeout=int(args["expire_timeout"]),
                sender=header["sender"],
                serial=int(fields.get("serial", "0")),
            )
            calls.append((call, header["sender"]))
        elif kind in ("method return", "error") and "reply_serial" in fields:
            key = (header["dest"], int(fields["reply_serial"]))
            if kind == "error":
                answers[key] = (None, fields.get("error_name"))
            else:
                returned = re.match(r"\A\n   uint32 (\d+)", payload)
                answers[key] = (int(returned.group(1)) if returned else None, None)
    result = []
    for call, sender in calls:
        returned_id, error = answers.get((sender, call.serial), (None, None))
        result.append(NotifyCall(**{**call.__dict__, "returned_id": returned_id, "error": error}))
    return result


# --- the session ------------------------------------------------------------------------


class DesktopSession:
    """A private headless desktop; use as a context manager.

    >>> with DesktopSession(tray=True, notifications=True) as desktop:
    ...     app = desktop.popen([sys.executable, "-m", "tray_app"])
    ...     icon = desktop.wait_for_tray_icon(timeout=10)
    """

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

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> DesktopSession:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        missing = missing_tools(tray=self.want_tray, notifications=self.want_notifications)
        if missing:
            raise StartupError("missing tools: " + ", ".join(missing))
        self._root = Path(tempfile.mkdtemp(prefix="desktop-"))
        for path in [self.home, self.tmpdir, self.runtime_dir, self.log_dir]:
            path.mkdir(mode=0o700)
        for value in self._xdg().values():
            Path(value).mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            self._start_xvfb()
            if self.want_tray or self.want_notifications:
                self._start_bus()
            if self.want_tray:
                self.start_tray()
            if self.want_notifications:
                self.start_notifications()
                self._start_monitor()
        except BaseException:
            self.close()
            raise

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

    # -- 1. X server ---------------------------------------------------------------------

    def _start_xvfb(self) -> None:
        started = time.monotonic()
        read_fd, write_fd = os.pipe()
        try:
            service = self._launch(
                "Xvfb",
                [
                    "Xvfb",
                    "-displayfd",
                    str(write_fd),
                    "-screen",
                    "0",
                    self.screen,
                    "-nolisten",
                    "tcp",
                    # Without clients the server would otherwise reset and drop everything.
                    "-noreset",
                ],
                pass_fds=(write_fd,),
            )
            os.close(write_fd)
            write_fd = -1
            number = self._read_display_number(read_fd, service)
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
        self.display = f":{number}"
        from Xlib import display as xdisplay

        self._x = xdisplay.Display(self.display)
        self.startup_times["Xvfb"] = time.monotonic() - started

    def _read_display_number(self, read_fd: int, service: _Service) -> int:
        """Xvfb writes its display number to the fd once it accepts connections."""
        deadline = time.monotonic() + self.startup_timeout
        data = b""
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([read_fd], [], [], max(remaining, 0))
            if not ready:
                raise StartupError(
                    f"Xvfb did not come up (no display number within "
                    f"{self.startup_timeout:.1f} s); stderr tail:\n{_tail(service.log)}"
                )
            chunk = os.read(read_fd, 64)
            if not chunk:  # EOF: Xvfb exited without telling us a display
                if service.proc is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        service.proc.wait(timeout=1)
                raise StartupError(
                    f"Xvfb exited before reporting a display (code "
                    f"{service.proc.returncode if service.proc else '?'}); "
                    f"stderr tail:\n{_tail(service.log)}"
                )
            data += chunk
        return int(data.strip())

    # -- 2. session bus ------------------------------------------------------------------

    def _start_bus(self) -> None:
        started = time.monotonic()
        socket = self.runtime_dir / "bus"
        config = self.root / "bus.conf"
        config.write_text(BUS_CONFIG.format(socket=socket))
        log = self.log_dir / "dbus-daemon.log"
        args = [
            "dbus-daemon",
            f"--config-file={config}",
            "--fork",
            "--print-address=1",
            "--print-pid=1",
            f"--address=unix:path={socket}",
        ]
        with log.open("ab") as err:
            try:
                # The launcher exits after forking; the daemon closes our pipe once it has
                # printed the address (it listens by then) and its PID.
                done = subprocess.run(
                    args,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    timeout=self.startup_timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise StartupError(
                    f"dbus-daemon did not come up within {self.startup_timeout:.1f} s; "
                    f"stderr tail:\n{_tail(log)}"
                ) from None
        lines = done.stdout.decode().split()
        if done.returncode != 0 or len(lines) < 2:
            raise StartupError(
                f"dbus-daemon failed (code {done.returncode}, printed {lines!r}); "
                f"stderr tail:\n{_tail(log)}"
            )
        self.bus_address, pid = lines[0], int(lines[1])
        self._services["dbus-daemon"] = _Service(name="dbus-daemon", pid=pid, log=log)
        self._all_pids.append(pid)
        self.startup_times["dbus-daemon"] = time.monotonic() - started

    def name_has_owner(self, name: str) -> bool:
        """Whether a D-Bus name is owned on the session bus."""
        out = self.run(
            [
                "dbus-send",
                "--session",
                "--print-reply=literal",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{name}",
            ]
        )
        return out.split()[-1] == "true"

    # -- 3. tray host --------------------------------------------------------------------

    @property
    def tray_running(self) -> bool:
        service = self._services.get("trayer")
        return service is not None and service.proc is not None and service.proc.poll() is None

    def tray_owner(self) -> int:
        """The X window owning the system-tray selection, 0 if no tray host runs."""
        atom = self._x.intern_atom(TRAY_SELECTION)
        owner = self._x.get_selection_owner(atom)
        return int(getattr(owner, "id", owner) or 0)

    def start_tray(self) -> None:
        """Start trayer and wait until it owns the system-tray selection."""
        if self.tray_running:
            raise DesktopError("trayer already runs")
        self._services.pop("trayer", None)
        started = time.monotonic()
        service = self._launch(
            "trayer",
            [
                "trayer",
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
                "--height",
                "32",
                "--SetDockType",
                "true",
                "--transparent",
                "false",
            ],
        )
        # Also wait for the panel to be mapped, so tray_window() and clicks work at once.
        self._wait_ready(
            service,
            lambda: self.tray_owner() and self.tray_window(),
            f"{TRAY_SELECTION} has no owner or the panel is not mapped",
            started,
        )

    def stop_tray(self, *, sig: int = signal.SIGTERM) -> None:
        """Stop the tray host (SIGKILL to simulate a crash) and wait for the selection to free."""
        service = self._services.get("trayer")
        if service is None or service.proc is None:
            raise DesktopError("trayer is not running")
        with contextlib.suppress(ProcessLookupError):
            os.kill(service.pid, sig)
        self._kill_pid(service.pid, service.proc)
        del self._services["trayer"]
        poll_until(lambda: self.tray_owner() == 0, 5.0, f"{TRAY_SELECTION} still owned")

    def request_dock_again(self) -> int:
        """Send the System Tray Protocol's SYSTEM_TRAY_REQUEST_DOCK for every XEmbed window
        still sitting on the root window, as tray_app/tray/xorg_dock.py does for the app;
        return how many were asked for. For the harness's bare pystray app, whose xorg
        backend asks once and never again (moses-palmer/pystray#186)."""
        from Xlib import X, error
        from Xlib.protocol import event

        owner = self.tray_owner()
        if not owner:
            return 0
        manager = self._x.create_resource_object("window", owner)
        xembed = self._x.intern_atom("_XEMBED_INFO")
        opcode = self._x.intern_atom("_NET_SYSTEM_TRAY_OPCODE")
        asked = 0
        for window in self._x.screen().root.query_tree().children:
            try:
                if window.get_full_property(xembed, X.AnyPropertyType) is None:
                    continue
            except error.XError:
                continue
            request_dock = 0
            message = event.ClientMessage(
                window=manager,
                client_type=opcode,
                data=(32, [X.CurrentTime, request_dock, window.id, 0, 0]),
            )
            manager.send_event(message, event_mask=X.NoEventMask)
            asked += 1
        self._x.flush()
        return asked

    def restart_tray(self) -> None:
        self.stop_tray()
        self.start_tray()

    # -- 4. notification server and 5. monitor -------------------------------------------

    @property
    def notifications_running(self) -> bool:
        service = self._services.get("dunst")
        return service is not None and service.proc is not None and service.proc.poll() is None

    def start_notifications(self) -> None:
        """Start dunst and wait until it owns org.freedesktop.Notifications."""
        if self.notifications_running:
            raise DesktopError("dunst already runs")
        self._services.pop("dunst", None)
        dunstrc = self.home / ".config" / "dunst" / "dunstrc"
        dunstrc.parent.mkdir(mode=0o700, exist_ok=True)
        dunstrc.write_text(DUNSTRC + self.dunstrc_extra)
        started = time.monotonic()
        service = self._launch("dunst", ["dunst", "-config", str(dunstrc)])
        self._wait_ready(
            service,
            lambda: self.name_has_owner(NOTIFICATIONS_NAME),
            f"{NOTIFICATIONS_NAME} has no owner",
            started,
        )

    def stop_notifications(self, *, sig: int = signal.SIGTERM) -> None:
        """Stop dunst and wait until the notification name is released."""
        service = self._services.get("dunst")
        if service is None or service.proc is None:
            raise DesktopError("dunst is not running")
        with contextlib.suppress(ProcessLookupError):
            os.kill(service.pid, sig)
        self._kill_pid(service.pid, service.proc)
        del self._services["dunst"]
        poll_until(
            lambda: not self.name_has_owner(NOTIFICATIONS_NAME),
            5.0,
            f"{NOTIFICATIONS_NAME} still owned",
        )

    def restart_notifications(self) -> None:
        self.stop_notifications()
        self.start_notifications()

    def _start_monitor(self) -> None:
        started = time.monotonic()
        log = self.monitor_log
        with log.open("wb") as out:
            service = self._launch(
                "dbus-monitor",
                [
                    "dbus-monitor",
                    "--session",
                    f"interface='{NOTIFICATIONS_NAME}'",
                    # Answers carry no interface; they give us the id the server assigned.
                    "type='method_return'",
                    "type='error'",
                ],
                stdout=out,
            )
        # Once a monitor, dbus-monitor loses its unique name and prints that NameLost signal
        # (it flushes after every message): from then on it sees every call.
        self._wait_ready(
            service,
            lambda: "member=NameLost" in log.read_text(errors="replace"),
            "it never became a monitor",
            started,
        )

    def notifications(self) -> list[NotifyCall]:
        """Every Notify call recorded on the bus so far, oldest first."""
        if "dbus-monitor" not in self._services:
            raise DesktopError("this session records no notifications (notifications=False)")
        return parse_notify_log(self.monitor_log.read_text(errors="replace"))

    def wait_for_notifications(
        self, n: int = 1, timeout: float = 5.0, *, answered: bool = True
    ) -> list[NotifyCall]:
        """Wait until at least `n` Notify calls (answered by the server, by default) arrived."""

        def enough() -> list[NotifyCall] | None:
            calls = self.notifications()
            done = [c for c in calls if not answered or c.returned_id or c.error]
            return calls if len(done) >= n else None

        try:
            return poll_until(enough, timeout, f"{n} Notify call(s)")
        except WaitTimeout as exc:
            raise WaitTimeout(f"{exc}; bus log tail:\n{_tail(self.monitor_log, 40)}") from None

    def displayed_notifications(self) -> int:
        """How many notifications dunst shows right now."""
        return int(self.run(["dunstctl", "count", "displayed"]).strip())

    # -- screen --------------------------------------------------------------------------

    def screenshot(self, path: str | os.PathLike[str] | None = None) -> Image.Image:
        """The whole screen, optionally saved as a PNG.

        A bare name ("docked") goes to test-artifacts/desktop/docked.png; a path with a
        directory part is used as given.
        """
        from PIL import ImageGrab

        image = ImageGrab.grab(xdisplay=self.display)
        if path is not None:
            target = Path(path)
            if target.parent == Path():
                target = self.artifacts_dir / target.name
            if target.suffix != ".png":  # "low-1.5" keeps its dot
                target = target.with_name(target.name + ".png")
            target.parent.mkdir(parents=True, exist_ok=True)
            image.save(target)
        return image

    # -- X windows -----------------------------------------------------------------------

    def _window_info(self, window: Any) -> WindowInfo | None:
        from Xlib import X, error

        try:
            attrs = window.get_attributes()
            if attrs.map_state != X.IsViewable:
                return None
            geom = window.get_geometry()
            root = self._x.screen().root
            origin = root.translate_coords(window, 0, 0)
        except error.XError:
            return None  # it went away between listing and asking
        return WindowInfo(window.id, origin.x, origin.y, geom.width, geom.height)

    def _pid_windows(self, pid: int) -> list[Any]:
        """Top-level windows whose _NET_WM_PID is `pid`."""
        from Xlib import X, error

        atom = self._x.intern_atom("_NET_WM_PID")
        found = []
        for window in self._x.screen().root.query_tree().children:
            try:
                prop = window.get_full_property(atom, X.AnyPropertyType)
            except error.XError:
                continue
            if prop is not None and len(prop.value) and int(prop.value[0]) == pid:
                found.append(window)
        return found

    def tray_window(self) -> WindowInfo | None:
        """The tray host's visible panel window."""
        service = self._services.get("trayer")
        if service is None:
            return None
        for window in self._pid_windows(service.pid):
            info = self._window_info(window)
            if info is not None:
                return info
        return None

    def tray_icons(self) -> list[WindowInfo]:
        """Docked icons: visible windows carrying _XEMBED_INFO below the tray host's panel."""
        from Xlib import X, error

        service = self._services.get("trayer")
        if service is None:
            return []
        xembed = self._x.intern_atom("_XEMBED_INFO")
        icons: list[WindowInfo] = []

        def walk(window: Any) -> None:
            try:
                children = window.query_tree().children
            except error.XError:
                return
            for child in children:
                try:
                    embedded = child.get_full_property(xembed, X.AnyPropertyType) is not None
                except error.XError:
                    continue
                info = self._window_info(child) if embedded else None
                if info is not None and info.width > 1 and info.height > 1:
                    icons.append(info)
                else:
                    walk(child)

        for top in self._pid_windows(service.pid):
            walk(top)
        return sorted(icons, key=lambda icon: (icon.x, icon.y))

    def wait_for_tray_icon(
        self, timeout: float = 10.0, count: int = 1, settle: float = 0.15
    ) -> WindowInfo:
        """Wait until `count` icons are docked and keep their geometry for `settle` seconds;
        return the leftmost one.

        Freshly docked GTK icons are first laid out narrow (16 px) and then resized, so a
        geometry read at the first sight of the window may already be stale.
        """
        last: list[WindowInfo] = []
        since = time.monotonic()

        def docked() -> list[WindowInfo] | None:
            nonlocal last, since
            found = self.tray_icons()
            if found != last:
                last, since = found, time.monotonic()
                return None
            return found if len(found) >= count and time.monotonic() - since >= settle else None

        try:
            icons = poll_until(docked, timeout, f"{count} docked tray icon(s)")
        except WaitTimeout as exc:
            raise WaitTimeout(
                f"{exc}; saw {last}; trayer stderr tail:\n{self._log_tail('trayer')}"
            ) from None
        return icons[0]

    def wait_for_icon_image(
        self, check: Callable[[Image.Image], bool], timeout: float = 5.0, index: int = 0
    ) -> Image.Image:
        """Wait until the `index`-th docked icon's pixels pass `check`; return them.

        An icon window is mapped before its client paints it, so the first screenshot after
        docking may show the tray's background.
        """
        seen: list[Image.Image] = []

        def painted() -> Image.Image | None:
            icons = self.tray_icons()
            if len(icons) <= index:
                return None
            image = self.icon_image(icons[index])
            seen[:] = [image]
            return image if check(image) else None

        try:
            return poll_until(painted, timeout, f"icon {index} to show the expected pixels")
        except WaitTimeout as exc:
            colours = seen[0].getcolors(1 << 16) if seen else None
            top = sorted(colours or [], reverse=True)[:3]
            raise WaitTimeout(f"{exc}; last look, most common colours: {top}") from None

    def wait_for_no_tray_icon(self, timeout: float = 5.0) -> None:
        poll_until(lambda: not self.tray_icons(), timeout, "tray icons to go away")

    def _log_tail(self, name: str) -> str:
        return _tail(self.log_dir / f"{name}.log")

    def icon_image(self, icon: WindowInfo) -> Image.Image:
        """The pixels of a docked icon, cut from a fresh screenshot."""
        return self.screenshot().crop(icon.box)

    def menus(self) -> list[WindowInfo]:
        """Open popup menus (mapped override-redirect windows typed as menus)."""
        from Xlib import X, error

        wm_type = self._x.intern_atom("_NET_WM_WINDOW_TYPE")
        menu_types = {
            self._x.intern_atom("_NET_WM_WINDOW_TYPE_POPUP_MENU"),
            self._x.intern_atom("_NET_WM_WINDOW_TYPE_DROPDOWN_MENU"),
            self._x.intern_atom("_NET_WM_WINDOW_TYPE_MENU"),
        }
        found = []
        for window in self._x.screen().root.query_tree().children:
            try:
                if not window.get_attributes().override_redirect:
                    continue
                prop = window.get_full_property(wm_type, X.AnyPropertyType)
            except error.XError:
                continue
            if prop is None or not menu_types.intersection(int(v) for v in prop.value):
                continue
            info = self._window_info(window)
            if info is not None:
                found.append(info)
        return found

    def wait_for_menu(self, timeout: float = 5.0) -> WindowInfo:
        """Wait until a popup menu is mapped; return the first one."""

        def first_menu() -> WindowInfo | None:
            menus = self.menus()
            return menus[0] if menus else None

        return poll_until(first_menu, timeout, "a popup menu")

    # -- input ---------------------------------------------------------------------------

    def click_icon(self, button: int = 1, icon: WindowInfo | None = None) -> None:
        """Click the middle of a docked icon (the first one when none is given)."""
        target = icon or self.wait_for_tray_icon(timeout=5.0)
        x, y = target.center
        # No --sync: it waits forever when the pointer is already there. The motion and the
        # click travel on one X connection, so the server applies them in order anyway.
        self.run(["xdotool", "mousemove", str(x), str(y), "click", str(button)])

    def key(self, *keys: str) -> None:
        """Type key names (xdotool syntax) into whatever has the keyboard, e.g. a menu."""
        self.run(["xdotool", "key", "--delay", "50", *keys])

    def open_menu(
        self, button: int = 3, icon: WindowInfo | None = None, timeout: float = 6.0
    ) -> WindowInfo:
        """Click the icon with `button` and wait for its menu to map.

        A click that lands while the freshly docked icon is still being set up can be lost;
        the click is repeated (only while no menu is open, so it cannot toggle one shut).
        """
        deadline = time.monotonic() + timeout
        while True:
            self.click_icon(button, icon)
            try:
                return self.wait_for_menu(timeout=min(2.0, max(deadline - time.monotonic(), 0)))
            except WaitTimeout:
                late = self.menus()
                if late:
                    return late[0]
                if time.monotonic() >= deadline:
                    raise

    def choose_menu_item(self, index: int) -> None:
        """Pick the `index`-th (0-based) item of the open menu by keyboard, like a user would.

        Keys are more robust than coordinates: the menu's position and item heights depend on
        the theme and where the tray sits, the keyboard order does not.
        """
        self.key(*(["Down"] * (index + 1)), "Return")

    # -- artefacts -----------------------------------------------------------------------

    def save_logs(self, name: str) -> Path:
        """Copy the services' logs to test-artifacts/desktop/<name>-logs/ (for failures)."""
        dest = self.artifacts_dir / f"{name}-logs"
        dest.mkdir(parents=True, exist_ok=True)
        for log in self.log_dir.glob("*.log"):
            shutil.copy2(log, dest / log.name)
        return dest
