"""`make bench`: lensmor-tray side by side with a bare skeleton, in one run, on one desktop.

Usage: .venv/bin/python scripts/bench.py [--backend appindicator] [--idle-seconds 60]
       [--start-repeats 7] [--repeats 3] [--polls 10] [--quick] [--no-diagnose]
       [--no-sni] [--sni-starts 5] [--sni-idle-seconds 30]

After the main table, scripts/bench_sni.py measures the tray item on a StatusNotifier host
(xfce4-panel: the app's native item against the skeleton's libayatana item) and the XEmbed
fallback on trayer (see that file).

Everything runs on a private headless desktop (tests/desktop/harness.py: Xvfb, trayer, a
private D-Bus bus, dunst) against the simulated Lensmor API on loopback, started here. The
subjects, each in its own temporary HOME:

  skeleton         scripts/bench_skeleton.py: pystray + Pillow + requests + APScheduler,
                   a static icon, a poll every 300 s
  skeleton+render  the same, redrawing its icon with the number when the balance changed
                   (the baseline for "a balance on screen" and "a poll with a re-render")
  app              `python -m tray_app run`, a first start (empty data directory)
  app+year         the same with a year of 5-minute history (compacted, as the running app
                   keeps it) and the state saved by the last poll

Phases: each subject started and stopped --start-repeats times, alone on the tray (start
times); then --repeats instances of each side by side through one idle window (RSS, threads,
CPU time, context switches), then --polls SIGUSR1-driven polls per instance with the balance
unchanged and changed (CPU per poll); and, in-process, the real Monitor through a simulated
idle and busy day (requests per day). Medians, with [min-max] beside them. What each figure
means and the latest results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
sys.path[:0] = [str(REPO), str(SCRIPTS)]

import bench_skeleton  # noqa: E402 - its colours, to tell the icons apart on screen
from bench_proc import ctx_switches, read_status, rss_mb, thread_names  # noqa: E402
from bench_store import simulate  # noqa: E402 - needs the path above

from tests.desktop.harness import DesktopSession, WindowInfo  # noqa: E402
from tests.support.waiting import poll_until  # noqa: E402
from tray_app.api.client import LensmorClient  # noqa: E402
from tray_app.config.model import APP_NAME, Settings  # noqa: E402
from tray_app.core.levels import Level  # noqa: E402
from tray_app.core.view import TrayView  # noqa: E402
from tray_app.demo.server import DEMO_KEY, SimulatedAccount, SimulatedLensmorServer  # noqa: E402
from tray_app.history.store import HistoryStore  # noqa: E402
from tray_app.notify.base import Notification  # noqa: E402
from tray_app.runtime.monitor import Monitor  # noqa: E402
from tray_app.tray.badge_palette import LEVEL_FILL  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
RGB = tuple[int, int, int]
DAY = 86400.0
SKELETON_INTERVAL_S = 300.0


# --- /proc readers ------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name is in parentheses and may contain spaces: split after it.
    return text[text.rindex(")") + 2 :].split()


def cpu_ticks_s(pid: int) -> float:
    """utime + stime of the whole process (every thread, also those that exited), seconds."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_exact_s(pid: int) -> tuple[float, frozenset[int]]:
    """On-CPU time summed over the live threads (schedstat, nanoseconds) and their ids.

    Exact, unlike the 10 ms ticks of /proc/PID/stat, but blind to threads that have exited;
    callers compare the thread sets and fall back to ticks when they differ.
    """
    total, tids = 0, set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[0])
            tids.add(int(task.name))
    return total / 1e9, frozenset(tids)


class SwitchCounter:
    """Context switches of a process over a window, threads that come and go included.

    Sampled every second: a thread born in the window counts from zero; one that exits
    counts up to its last sample (a second at most is lost, and idle threads do not exit).
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.first = ctx_switches(pid)
        self.last = dict(self.first)

    def sample(self) -> None:
        with contextlib.suppress(OSError):
            self.last.update(ctx_switches(self.pid))

    @property
    def total(self) -> int:
        return sum(count - self.first.get(tid, 0) for tid, count in self.last.items())


# --- the subjects on the desktop ---------------------------------------------------------


@dataclass
class Kind:
    name: str
    argv: list[str]
    is_app: bool
    year_of_history: bool = False
    #: The fill of the icon showing a fetched balance (None: this kind never shows one).
    balance_fill: RGB | None = None


@dataclass
class Subject:
    kind: Kind
    home: Path
    proc: subprocess.Popen[bytes]
    icon_id: int
    started: float
    to_icon: float
    to_balance: float | None
    #: CPU time (s) the process had used when its icon showed what it should.
    start_cpu: float = 0.0
    log_file: Path | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def polls_done(self, desktop: DesktopSession) -> int:
        """Polls finished so far: the app logs `poll: ...` once per poll, the skeleton prints
        `poll N: ...`."""
        if self.kind.is_app:
            if self.log_file is None:
                found = list(self.home.rglob(f"{APP_NAME}.log"))
                if not found:
                    return 0
                self.log_file = found[0]
            text = self.log_file.read_text(errors="replace")
            return text.count(" tray_app.runtime.monitor: poll: ")
        return len(re.findall(r"^poll \d+: ", desktop.log_of(self.proc), re.MULTILINE))


def share_near(image: object, colour: RGB, distance: int = 40) -> float:
    """The share of the image's pixels within `distance` (Euclidean, RGB) of `colour`."""
    from PIL import Image

    if not isinstance(image, Image.Image):
        raise TypeError(f"not an image: {image!r}")
    raw = image.convert("RGB").tobytes()
    limit = distance * distance
    r, g, b = colour
    near = sum(
        1
        for i in range(0, len(raw), 3)
        if (raw[i] - r) ** 2 + (raw[i + 1] - g) ** 2 + (raw[i + 2] - b) ** 2 <= limit
    )
    return near / max(len(raw) // 3, 1)


class Bench:
    def __init__(self, args: argparse.Namespace, desktop: DesktopSession) -> None:
        self.args = args
        self.desktop = desktop
        self.server: SimulatedLensmorServer | None = None
        self.background: RGB = (0, 0, 0)
        self.year_store: Path | None = None
        self.base_balance: dict[str, int] = {}
        self._homes = 0

    # -- set-up ------------------------------------------------------------------------------

    @property
    def srv(self) -> SimulatedLensmorServer:
        if self.server is None:
            raise RuntimeError("no server yet")
        return self.server

    def tray_background(self) -> None:
        """The tray panel's own colour, read before any icon docks: "painted" means "not it"."""
        panel = poll_until(self.desktop.tray_window, 10, "the tray panel")
        image = self.desktop.screenshot().crop(panel.box).convert("RGB")
        colours: list[tuple[int, RGB]] = image.getcolors(1 << 16) or [(1, (0, 0, 0))]  # type: ignore[assignment]
        self.background = max(colours)[1]

    def new_home(self, year_of_history: bool) -> Path:
        self._homes += 1
        home = self.desktop.root / "homes" / f"h{self._homes}"
        for sub in ("tmp", ".config", ".local/share", ".local/state", ".cache"):
            (home / sub).mkdir(parents=True, mode=0o700)
        if year_of_history:
            if self.year_store is None:
                raise RuntimeError("make_year_store() first")
            data = home / ".local/share" / APP_NAME
            data.mkdir(parents=True)
            for part in self.year_store.parent.glob(self.year_store.name + "*"):
                shutil.copy2(part, data / part.name.replace(self.year_store.stem, "history"))
        return home

    def env_for(self, home: Path) -> dict[str, str]:
        env = dict(self.desktop.env)
        env.update(
            HOME=str(home),
            TMPDIR=str(home / "tmp"),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_STATE_HOME=str(home / ".local/state"),
            XDG_CACHE_HOME=str(home / ".cache"),
            PYTHONPATH=str(REPO),
            LENSMOR_BASE_URL=self.srv.url,
            LENSMOR_API_KEY=DEMO_KEY,
            LENSMOR_TRAY_PACING="production",
            # The key comes from the environment; never touch a real keyring.
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            PYSTRAY_BACKEND=self.args.backend,
        )
        return env

    def make_year_store(self, folder: Path) -> None:
        """A year of 5-minute polls ending now (scripts/bench_store.py's "typical" account),
        compacted as the daily compaction of a running app keeps it, plus the state a real
        Monitor saves after one poll. The server then serves the year's last balance, so the
        app sees no change at start (a change would switch it to 1-minute polls)."""
        samples = simulate(change_every_poll=False)
        now = time.time()
        shift = now - 300 - samples[-1][0]
        shifted = [
            (
                ts + shift,
                dataclasses.replace(b, reset_at_ms=int((b.reset_at_ms or 0) + shift * 1000)),
            )
            for ts, b in samples
        ]
        last = shifted[-1][1]
        self.base_balance = {
            "subscriptionAmount": int(last.subscription_amount),
            "subscriptionBalance": int(last.subscription_balance),
            "giftAmount": int(last.gift_amount),
            "giftBalance": int(last.gift_balance),
            "resetAt": int(last.reset_at_ms or 0),
        }
        self.srv.account.set_balance(**self.base_balance)
        path = folder / "year.sqlite3"
        with HistoryStore.open(path) as store:
            store.record_balances(shifted)
            store.compact(now)
            client = LensmorClient(self.srv.url, DEMO_KEY)
            Monitor(
                source=client,
                store=store,
                notifier=_Sink(),
                tray=_Sink(),
                settings=Settings(),
            ).poll_once(now)
            client.close()
        self.year_store = path

    # -- starting ------------------------------------------------------------------------------

    def start(self, kind: Kind, timeout: float = 30.0) -> Subject:
        """Start one subject; return it once its icon shows what it should."""
        home = self.new_home(kind.year_of_history)
        env = self.env_for(home)
        before = {icon.id for icon in self.desktop.tray_icons()}
        started = time.monotonic()  # just before Popen: interpreter start-up counts
        proc = self.desktop.popen(kind.argv, env=env, name=kind.name, cwd=home)
        to_icon: float | None = None
        to_balance: float | None = None
        icon_id = 0
        cpu = 0.0

        def shown() -> bool:
            nonlocal to_icon, to_balance, icon_id, cpu
            new = [i for i in self.desktop.tray_icons() if i.id not in before]
            if not new:
                return False
            icon: WindowInfo = new[0]
            icon_id = icon.id
            image = self.desktop.icon_image(icon)
            now = time.monotonic() - started
            cpu = cpu_ticks_s(proc.pid)
            if to_icon is None and share_near(image, self.background) < 0.85:
                to_icon = now
            if to_icon is not None and kind.balance_fill is None:
                return True
            if kind.balance_fill is not None and share_near(image, kind.balance_fill) >= 0.15:
                to_balance = now
                to_icon = to_icon if to_icon is not None else now
                return True
            return False

        def died() -> str | None:
            if proc.poll() is None:
                return None
            return f"exited with {proc.returncode}: {self.desktop.log_of(proc)[-1500:]}"

        poll_until(shown, timeout, f"{kind.name}'s icon", alive=died)
        return Subject(kind, home, proc, icon_id, started, to_icon or 0.0, to_balance, cpu)

    def wait_first_poll(self, subject: Subject, timeout: float = 20.0) -> None:
        poll_until(
            lambda: subject.polls_done(self.desktop) >= 1, timeout, f"{subject.kind.name} poll"
        )

    def stop(self, subject: Subject) -> None:
        if subject.proc.poll() is None:
            self.desktop.stop_process(subject.proc)

    # -- per-poll cost ---------------------------------------------------------------------------

    def settle(self, pid: int, quiet: float = 0.08) -> None:
        """Wait until the process has used no CPU for `quiet` seconds (the GTK thread applies
        a new icon after the poll thread logged the poll)."""
        last, since = cpu_exact_s(pid)[0], time.monotonic()
        deadline = since + 5
        while time.monotonic() < deadline:
            time.sleep(0.02)
            now = cpu_exact_s(pid)[0]
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    def notifications_off(self, subject: Subject) -> None:
        """`[alerts] notifications = false` in the app's config, and wait for its reload."""
        config = subject.home / ".config" / APP_NAME / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("[alerts]\nnotifications = false\n")
        config.chmod(0o600)

        def reloads() -> int:
            log = subject.log_file.read_text(errors="replace") if subject.log_file else ""
            return log.count("reloaded the config and the keys")

        before = reloads()
        os.kill(subject.pid, signal.SIGHUP)
        poll_until(lambda: reloads() > before, 15, f"{subject.kind.name} reload")
        self.settle(subject.pid)

    def poll_cost(self, subject: Subject, n: int, change: bool) -> float:
        """Mean CPU seconds of one SIGUSR1-driven poll (with `change`, each poll finds a new
        balance whose badge differs: -1,000 credits, so the text and the gauge both move)."""
        total = 0.0
        self.settle(subject.pid)
        for i in range(n):
            if change:
                self.srv.account.set_balance(
                    subscriptionBalance=self.base_balance["subscriptionBalance"] - 1000 * (i + 1)
                )
            done = subject.polls_done(self.desktop)
            exact0, tids0 = cpu_exact_s(subject.pid)
            ticks0 = cpu_ticks_s(subject.pid)
            os.kill(subject.pid, signal.SIGUSR1)
            poll_until(
                lambda done=done: subject.polls_done(self.desktop) > done,  # type: ignore[misc]
                15,
                f"{subject.kind.name} poll",
            )
            self.settle(subject.pid)
            exact1, tids1 = cpu_exact_s(subject.pid)
            ticks1 = cpu_ticks_s(subject.pid)
            total += exact1 - exact0 if tids0 == tids1 else ticks1 - ticks0
        if change:
            self.srv.account.set_balance(**self.base_balance)
        return total / n


class _Sink:
    """A tray and notifier that drop everything (for the in-process Monitor runs)."""

    def show(self, view: TrayView) -> None:
        pass

    def send(self, n: Notification) -> str:
        return "dropped"


# --- requests per simulated day -----------------------------------------------------------


@dataclass
class _Clock:
    now: float

    def __call__(self) -> float:
        return self.now


def requests_per_day(busy: bool, folder: Path) -> int:
    """Requests the real Monitor makes in one simulated day (injected clock, loopback API).

    Idle: the balance never changes. Busy: 15 credits are spent every 10 minutes from 09:00
    to 17:00. The day starts after a day of warm-up so the state is steady, and the reset is
    ten days away so it does not add its own poll.
    """
    start = 1_800_000_000.0 - 1_800_000_000.0 % DAY  # a UTC midnight
    clock = _Clock(start - DAY)
    account = SimulatedAccount(total_subscription=35_000, gift=0, period_days=30, clock=clock)
    account.set_balance(resetAt=int((start + 10 * DAY) * 1000))
    spends = (
        [start + 9 * 3600 + i * 600 for i in range(48)]  # 09:00, 09:10, ... 16:50
        if busy
        else []
    )
    with (
        SimulatedLensmorServer(account) as server,
        HistoryStore.open(folder / f"day-{busy}.sqlite3") as store,
    ):
        client = LensmorClient(server.url, DEMO_KEY)
        monitor = Monitor(
            source=client,
            store=store,
            notifier=_Sink(),
            tray=_Sink(),
            settings=Settings(),
            jitter=lambda: 0.5,
        )
        counted = 0
        while clock.now < start + DAY:
            while spends and spends[0] <= clock.now:
                spends.pop(0)
                account.spend(15)
            report = monitor.poll_once(clock.now)
            if clock.now >= start:
                counted += 1
            if report.next_poll.delay is None:
                raise RuntimeError(f"the monitor stopped polling: {report.next_poll.reason}")
            clock.now += report.next_poll.delay
        client.close()
    return counted


# --- import time -----------------------------------------------------------------------------


def import_profile(bench: Bench, kind: Kind) -> dict[str, float]:
    """Start `kind` under `python -X importtime` until its first poll; return the import time
    per top-level package in ms (each module's own time, so nothing is counted twice)."""
    argv = [kind.argv[0], "-X", "importtime", *kind.argv[1:]]
    subject = bench.start(dataclasses.replace(kind, argv=argv))
    bench.wait_first_poll(subject)
    log = bench.desktop.log_of(subject.proc)
    bench.stop(subject)
    packages: dict[str, float] = {}
    for match in re.finditer(r"^import time:\s+(\d+) \|\s+\d+ \| *(\S+)$", log, re.MULTILINE):
        root = match[2].split(".")[0]
        packages[root] = packages.get(root, 0.0) + int(match[1]) / 1000
    return packages


def import_lines(imports: dict[str, dict[str, float]], top: int = 8) -> list[str]:
    """Totals, the slowest packages, and what only the app imports."""
    lines = []
    for name, packages in imports.items():
        slowest = sorted(packages.items(), key=lambda item: -item[1])[:top]
        listed = ", ".join(f"{pkg} {ms:.0f}" for pkg, ms in slowest)
        lines.append(f"- {name}: {sum(packages.values()):.0f} ms in all; {listed} (ms)")
    if {"app", "skeleton"} <= imports.keys():
        only = {pkg: ms for pkg, ms in imports["app"].items() if pkg not in imports["skeleton"]}
        slowest = sorted(only.items(), key=lambda item: -item[1])[:top]
        listed = ", ".join(f"{pkg} {ms:.0f}" for pkg, ms in slowest)
        lines.append(f"- only the app: {sum(only.values()):.0f} ms; {listed} (ms)")
    return lines


# --- reporting ----------------------------------------------------------------------------------


def machine() -> list[str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = read_status(Path("/proc/meminfo")).get("MemTotal", "?")
    try:
        uname = subprocess.run(
            ["uname", "-a"],  # noqa: S607 - the tool itself, wherever PATH has it
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        uname = " ".join(platform.uname())
    return [
        f"uname -a: {uname}",
        f"nproc: {os.cpu_count()}; CPU: {cpu}; memory: {memory}",
        f"python: {platform.python_version()}; pystray {_version('pystray')}, "
        f"APScheduler {_version('APScheduler')}, Pillow {_version('Pillow')}, "
        f"requests {_version('requests')}",
    ]


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Figure:
    label: str
    unit: str
    skeleton: list[float] = field(default_factory=list)
    app: list[float] = field(default_factory=list)
    year: list[float] = field(default_factory=list)
    digits: int = 2


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _cell(values: Sequence[float], digits: int) -> str:
    if not values:
        return "—"
    mid = statistics.median(values)
    text = f"{mid:,.{digits}f}"
    if len(values) > 1 and min(values) != max(values):
        text += f" [{min(values):,.{digits}f}-{max(values):,.{digits}f}]"
    return text


def _ratio(top: Sequence[float], bottom: Sequence[float], bottom_name: str) -> str:
    a, b = _median(top), _median(bottom)
    if a is None or b is None:
        return "—"
    if b == 0:
        return "=" if a == 0 else f"inf ({bottom_name} 0)"
    return f"{a / b:.2f}x"


def table(figures: list[Figure]) -> str:
    head = (
        "| figure | skeleton | app | app / skeleton | app, year of history "
        "| year / empty |\n|---|---|---|---|---|---|"
    )
    rows = [head]
    for f in figures:
        rows.append(
            f"| {f.label} ({f.unit}) | {_cell(f.skeleton, f.digits)} | {_cell(f.app, f.digits)} "
            f"| {_ratio(f.app, f.skeleton, 'skeleton')} | {_cell(f.year, f.digits)} "
            f"| {_ratio(f.year, f.app, 'empty')} |"
        )
    return "\n".join(rows)


# --- the run ------------------------------------------------------------------------------------


def kinds(python: str) -> dict[str, Kind]:
    skeleton = [python, str(SCRIPTS / "bench_skeleton.py")]
    app = [python, "-m", "tray_app", "run"]
    ok = LEVEL_FILL[Level.OK]
    return {
        "skeleton": Kind("skeleton", skeleton, is_app=False),
        "skeleton+render": Kind(
            "skeleton+render",
            [*skeleton, "--render"],
            is_app=False,
            balance_fill=bench_skeleton.RENDER_FILL,
        ),
        "app": Kind("app", app, is_app=True, balance_fill=ok),
        "app+year": Kind("app+year", app, is_app=True, year_of_history=True, balance_fill=ok),
    }


def run(args: argparse.Namespace) -> int:
    clock_start = time.monotonic()
    load_before = loadavg()
    all_kinds = kinds(sys.executable)
    figures = {
        "icon": Figure("start → icon on screen", "s"),
        "balance": Figure("start → fetched balance on screen", "s"),
        "start_cpu": Figure("CPU time until the balance is on screen", "ms", digits=0),
        "rss": Figure(f"RSS after {args.idle_seconds:g} s idle", "MB", digits=1),
        "threads": Figure("threads when idle", "count", digits=0),
        "cpu_idle": Figure("CPU time per idle minute", "ms", digits=2),
        "ctx_idle": Figure("context switches per idle minute", "count", digits=1),
        "poll": Figure("CPU time per poll, no re-render", "ms", digits=1),
        "poll_render": Figure("CPU time per poll with a re-render", "ms", digits=1),
        "poll_render_quiet": Figure(
            "CPU time per poll with a re-render, no notifications", "ms", digits=1
        ),
        "req_idle": Figure("requests per simulated idle day", "count", digits=0),
        "req_busy": Figure("requests per simulated busy day", "count", digits=0),
    }
    notes: list[str] = []
    threads_seen: dict[str, list[str]] = {}
    imports: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        folder = Path(tmp)
        # In-process, no desktop needed.
        for busy, key in ((False, "req_idle"), (True, "req_busy")):
            figures[key].app.append(requests_per_day(busy, folder))
            figures[key].skeleton.append(DAY / SKELETON_INTERVAL_S)
        account = SimulatedAccount()
        account.set_rate_limit(1_000_000, 60)  # many subjects share one key here
        with (
            SimulatedLensmorServer(account) as server,
            DesktopSession(tray=True, notifications=True) as desktop,
        ):
            bench = Bench(args, desktop)
            bench.server = server
            bench.tray_background()
            bench.make_year_store(folder)
            if not args.quick:
                # The first GTK client on a fresh X server probes OpenGL and caches the
                # visuals on the root window (+45 MB RSS and more start time, for that one
                # process only); on a real desktop that has always happened long before.
                # This also writes the bytecode caches.
                for name in ("skeleton", "app"):
                    warm = bench.start(all_kinds[name])
                    bench.wait_first_poll(warm)
                    bench.stop(warm)
            measure_starts(bench, all_kinds, figures, args.start_repeats)
            idle_and_polls(bench, all_kinds, figures, notes, threads_seen)
            if args.diagnose:
                for name in ("skeleton", "app"):
                    imports[name] = import_profile(bench, all_kinds[name])
    print(f"# lensmor-tray benchmark, backend {args.backend}\n")
    for line in machine():
        print(f"- {line}")
    print(f"- load average (1/5/15 min): {load_before} before, {loadavg()} after")
    print(
        f"- {args.start_repeats} starts and {args.repeats} idle instance(s) of each subject, "
        f"{args.polls} polls per poll figure and instance, idle window {args.idle_seconds:g} s; "
        "median [min-max]"
    )
    print()
    print(table(list(figures.values())))
    print()
    for note in notes:
        print(f"Note: {note}")
    if threads_seen:
        print("\nThreads when idle (by name):")
        for name, names in threads_seen.items():
            print(f"- {name}: {', '.join(names)}")
    if imports:
        print("\nImport time until the first poll (python -X importtime, by top-level package):")
        print("\n".join(import_lines(imports)))
    print(f"\nbench took {time.monotonic() - clock_start:.0f} s")
    if args.sni:
        import bench_sni  # the SNI host and the XEmbed fallback (issue 9)

        return bench_sni.run(args)
    return 0


def measure_starts(
    bench: Bench, all_kinds: dict[str, Kind], figures: dict[str, Figure], repeats: int
) -> None:
    """Start and stop each subject `repeats` times, alone on the tray, rotating the order so
    no subject always follows the same one."""
    names = list(all_kinds)
    for round_ in range(repeats):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            subject = bench.start(all_kinds[name])
            bench.wait_first_poll(subject)
            bench.stop(subject)
            column = _column(figures["icon"], name)
            if column is not None:
                column.append(subject.to_icon)
            column = _column(figures["balance"], name, render_is_skeleton=True)
            if column is not None and subject.to_balance is not None:
                column.append(subject.to_balance)
            column = _column(figures["start_cpu"], name, render_is_skeleton=True)
            if column is not None and subject.to_balance is not None:
                column.append(subject.start_cpu * 1000)


def idle_and_polls(
    bench: Bench,
    all_kinds: dict[str, Kind],
    figures: dict[str, Figure],
    notes: list[str],
    threads_seen: dict[str, list[str]],
) -> None:
    """Run `--repeats` instances of every subject side by side through one idle window, then
    drive their polls one instance at a time."""
    live: list[Subject] = []
    for _ in range(bench.args.repeats):
        for kind in all_kinds.values():
            subject = bench.start(kind)
            bench.wait_first_poll(subject)
            live.append(subject)
    idle_window(bench, live, figures, notes, threads_seen)
    poll_costs(bench, live, figures, notes)


def idle_window(
    bench: Bench,
    live: list[Subject],
    figures: dict[str, Figure],
    notes: list[str],
    threads_seen: dict[str, list[str]],
) -> None:
    """RSS, threads, CPU time and context switches of every live subject over one window."""
    args, server = bench.args, bench.srv

    # GLib's worker threads ("pool-*") wind down 15 s after start-up; their exit is start-up
    # work, not idling, so the window opens once they are gone.
    def settled() -> bool:
        return not any(n.startswith("pool-") for s in live for n in thread_names(s.pid))

    with contextlib.suppress(TimeoutError):
        poll_until(settled, 0 if args.quick else 30, "GLib worker threads to exit")
    requests_before = len(server.account.requests)
    counters = {s.pid: SwitchCounter(s.pid) for s in live}
    ticks0 = {s.pid: cpu_ticks_s(s.pid) for s in live}
    exact0 = {s.pid: cpu_exact_s(s.pid) for s in live}
    window_start = time.monotonic()
    while time.monotonic() - window_start < args.idle_seconds:
        time.sleep(min(1.0, args.idle_seconds))
        for counter in counters.values():
            counter.sample()
    per_minute = 60.0 / (time.monotonic() - window_start)
    for s in live:
        exact1 = cpu_exact_s(s.pid)
        if exact1[1] == exact0[s.pid][1]:  # same threads: the exact figure is complete
            cpu = exact1[0] - exact0[s.pid][0]
        else:
            cpu = cpu_ticks_s(s.pid) - ticks0[s.pid]
        for key, value in (
            ("rss", rss_mb(s.pid)),
            ("threads", float(len(thread_names(s.pid)))),
            ("cpu_idle", cpu * 1000 * per_minute),
            ("ctx_idle", counters[s.pid].total * per_minute),
        ):
            column = _column(figures[key], s.kind.name)
            if column is not None:
                column.append(value)
        threads_seen.setdefault(s.kind.name, thread_names(s.pid))
    stray = len(server.account.requests) - requests_before
    if stray:
        notes.append(f"{stray} request(s) during the idle window (expected none)")


def poll_costs(
    bench: Bench, live: list[Subject], figures: dict[str, Figure], notes: list[str]
) -> None:
    """CPU time per SIGUSR1-driven poll; each subject is stopped once measured (after a changed
    balance a running app polls every minute)."""
    args, desktop = bench.args, bench.desktop
    notified_before = len(desktop.notifications())
    for s in live:
        name = s.kind.name
        column = _column(figures["poll"], name)
        if column is not None:  # the rendering skeleton polls like the plain one
            column.append(bench.poll_cost(s, args.polls, change=False) * 1000)
        column = _column(figures["poll_render"], name, render_is_skeleton=True)
        if column is not None:  # the plain skeleton never redraws
            cost = bench.poll_cost(s, args.polls, change=True) * 1000
            column.append(cost)
            quiet = _column(figures["poll_render_quiet"], name, render_is_skeleton=True)
            if quiet is not None and not s.kind.is_app:
                quiet.append(cost)  # the skeleton never notifies: the same figure
            elif quiet is not None:
                # The balance falls 1,000 credits a poll, so the app notifies (low balance,
                # spend) where the skeleton has nothing to say: the same re-renders again,
                # with the app's desktop notifications off, compare like with like.
                bench.notifications_off(s)
                quiet.append(bench.poll_cost(s, args.polls, change=True) * 1000)
        bench.stop(s)
    notified = len(desktop.notifications()) - notified_before
    if notified:
        notes.append(f"{notified} notification(s) sent during the poll measurements")


def _column(figure: Figure, kind: str, *, render_is_skeleton: bool = False) -> list[float] | None:
    """Where a subject's value goes: the rendering skeleton stands in for the skeleton in the
    figures about showing a balance; it is not counted elsewhere."""
    if kind == "app":
        return figure.app
    if kind == "app+year":
        return figure.year
    if kind == ("skeleton+render" if render_is_skeleton else "skeleton"):
        return figure.skeleton
    return None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="appindicator", help="pystray backend for both")
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument(
        "--start-repeats", type=int, default=7, help="starts of each subject (one at a time)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="idle instances of each subject (side by side)"
    )
    parser.add_argument("--polls", type=int, default=10, help="SIGUSR1 polls per poll figure")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 1 start and 1 instance each, 2 polls, 3 s idle, no warm-up and no "
        "import profile",
    )
    parser.add_argument("--no-diagnose", dest="diagnose", action="store_false")
    parser.add_argument(
        "--no-sni",
        dest="sni",
        action="store_false",
        help="skip the second part (xfce4-panel's SNI host and the XEmbed fallback on trayer)",
    )
    import bench_sni

    bench_sni.add_arguments(parser)
    args = parser.parse_args(argv)
    bench_sni.quick(args)
    if args.quick:
        args.start_repeats, args.repeats, args.polls = 1, 1, 2
        args.idle_seconds, args.diagnose = 3.0, False
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
