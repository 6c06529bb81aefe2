"""`make bench`, second part: the tray item on a StatusNotifier host and the XEmbed fallback.

Run by scripts/bench.py after its main table (or alone: `python scripts/bench_sni.py
[--quick]`). Two desktops, one after the other, each against the simulated Lensmor API:

  xfce4-panel 4.18 on Xvfb (tests/desktop/hosts/xfce.py), an SNI host:
    skeleton  scripts/bench_skeleton.py with pystray's appindicator backend (libayatana's item)
    app       `python -m tray_app run` with its native StatusNotifierItem (LENSMOR_TRAY=sni)
  trayer on Xvfb (tests/desktop/harness.py), XEmbed only:
    skeleton  the same skeleton, appindicator backend (libayatana falls back to XEmbed there)
    app       `python -m tray_app run` choosing its tray itself (the XEmbed fallback:
              pystray's appindicator backend, docked by libayatana as an XEmbed icon)

Figures: start → item registered with the watcher (xfce; the subject's bus connection is in
the watcher's RegisteredStatusNotifierItems) or → icon docked (trayer; a new XEmbed window in
the tray), each subject started alone --sni-starts times; and RSS after --sni-idle-seconds
idle, the two subjects side by side after their first poll. Targets from issue 9: on xfce,
registration ≤ 1.0x and idle RSS ≤ 0.75x of the skeleton.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
sys.path[:0] = [str(REPO), str(SCRIPTS)]

from bench_proc import rss_mb, thread_names  # noqa: E402

from tests.desktop.harness import DesktopSession, poll_until  # noqa: E402
from tests.desktop.hosts.xfce import XfceHost  # noqa: E402
from tray_app.config.model import APP_NAME  # noqa: E402
from tray_app.demo.server import DEMO_KEY, SimulatedAccount, SimulatedLensmorServer  # noqa: E402

TARGETS = {"register": 1.0, "rss": 0.75}


@dataclass
class Subject:
    name: str
    argv: list[str]
    env: dict[str, str]


@dataclass
class Row:
    label: str
    unit: str
    digits: int
    skeleton: list[float] = field(default_factory=list)
    app: list[float] = field(default_factory=list)
    target: float | None = None


class Desktop:
    """What the bench needs from either desktop: env, start/stop, "is it shown yet"."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.root = Path()

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    def popen(self, argv: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        raise NotImplementedError

    def shown(self, proc: subprocess.Popen[bytes]) -> bool:
        raise NotImplementedError

    def log(self, proc: subprocess.Popen[bytes]) -> str:
        raise NotImplementedError


class XfceDesktop(Desktop):
    def __init__(self, host: XfceHost) -> None:
        super().__init__("xfce4-panel (SNI)")
        self.host = host
        self.root = host.root
        self._n = 0
        self._logs: dict[int, Path] = {}
        self._names: dict[int, str] = {}

    def env(self) -> dict[str, str]:
        return self.host.env

    def popen(self, argv: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        self._n += 1
        process = self.host.launch(f"{name}-{self._n}", argv, env=env)
        if process.proc is None:
            raise RuntimeError(f"{name} did not start")
        self._logs[process.pid] = process.log
        self._names[process.pid] = process.name
        return process.proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        name = self._names.pop(proc.pid, "")
        if self.host.process(name) is not None:
            self.host.stop(name)

    def shown(self, proc: subprocess.Popen[bytes]) -> bool:
        return bool(self.host.client.items_of_pid(proc.pid))

    def log(self, proc: subprocess.Popen[bytes]) -> str:
        return self._logs[proc.pid].read_text(errors="replace")


class TrayerDesktop(Desktop):
    def __init__(self, session: DesktopSession) -> None:
        super().__init__("trayer (XEmbed)")
        self.session = session
        self.root = session.root
        self._before: dict[int, set[int]] = {}

    def env(self) -> dict[str, str]:
        return self.session.env

    def popen(self, argv: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        before = {icon.id for icon in self.session.tray_icons()}
        proc = self.session.popen(argv, env=env, name=name)
        self._before[proc.pid] = before
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            self.session.stop_process(proc)

    def shown(self, proc: subprocess.Popen[bytes]) -> bool:
        return any(i.id not in self._before[proc.pid] for i in self.session.tray_icons())

    def log(self, proc: subprocess.Popen[bytes]) -> str:
        return self.session.log_of(proc)


def subject_env(
    desktop: Desktop, server_url: str, home: Path, extra: dict[str, str]
) -> dict[str, str]:
    for sub in ("tmp", ".config", ".local/share", ".local/state", ".cache"):
        (home / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    env = desktop.env()
    for key in ("PYSTRAY_BACKEND", "LENSMOR_TRAY"):
        env.pop(key, None)
    env.update(
        HOME=str(home),
        TMPDIR=str(home / "tmp"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_STATE_HOME=str(home / ".local/state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PYTHONPATH=str(REPO),
        LENSMOR_BASE_URL=server_url,
        LENSMOR_API_KEY=DEMO_KEY,
        LENSMOR_TRAY_PACING="production",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        **extra,
    )
    return env


def polled(desktop: Desktop, proc: subprocess.Popen[bytes], home: Path, is_app: bool) -> bool:
    """The subject has finished its first poll (the app logs it; the skeleton prints it)."""
    if is_app:
        logs = list(home.rglob(f"{APP_NAME}.log"))
        return bool(logs) and " tray_app.runtime.monitor: poll: " in logs[0].read_text(
            errors="replace"
        )
    return "poll 1: " in desktop.log(proc)


class SniBench:
    def __init__(self, args: argparse.Namespace, server_url: str) -> None:
        self.args = args
        self.server_url = server_url
        self._homes = 0

    def subjects(self, desktop: Desktop, app_tray: dict[str, str]) -> dict[str, Subject]:
        python = sys.executable
        return {
            "skeleton": Subject(
                "skeleton",
                [python, str(SCRIPTS / "bench_skeleton.py")],
                {"PYSTRAY_BACKEND": "appindicator"},
            ),
            "app": Subject("app", [python, "-m", "tray_app", "run"], app_tray),
        }

    def home(self, desktop: Desktop) -> Path:
        self._homes += 1
        return desktop.root / "bench-homes" / f"h{self._homes}"

    def start(
        self, desktop: Desktop, subject: Subject
    ) -> tuple[subprocess.Popen[bytes], Path, float]:
        home = self.home(desktop)
        env = subject_env(desktop, self.server_url, home, subject.env)
        started = time.monotonic()  # just before Popen: interpreter start-up counts
        proc = desktop.popen(subject.argv, env, subject.name)

        def died() -> str | None:
            if proc.poll() is None:
                return None
            return f"{subject.name} exited with {proc.returncode}: {desktop.log(proc)[-1500:]}"

        poll_until(
            lambda: desktop.shown(proc), 30.0, f"{subject.name} on {desktop.name}", alive=died
        )
        return proc, home, time.monotonic() - started

    def measure(
        self, desktop: Desktop, subjects: dict[str, Subject], shown: Row, rss: Row
    ) -> dict[str, list[str]]:
        names = list(subjects)
        for round_ in range(self.args.sni_starts):
            order = names if round_ % 2 == 0 else names[::-1]
            for name in order:
                proc, _, elapsed = self.start(desktop, subjects[name])
                getattr(shown, name).append(elapsed)
                desktop.stop(proc)
        # Side by side through one idle window, after the first poll of each.
        running = {name: self.start(desktop, subjects[name]) for name in names}
        for name, (proc, home, _) in running.items():
            poll_until(
                lambda p=proc, h=home, n=name: polled(desktop, p, h, n == "app"),
                30.0,
                f"{name}'s first poll",
            )
        time.sleep(self.args.sni_idle_seconds)  # the idle window itself
        threads = {}
        for name, (proc, _, _) in running.items():
            getattr(rss, name).append(rss_mb(proc.pid))
            threads[name] = thread_names(proc.pid)
            desktop.stop(proc)
        return threads


def _cell(values: Sequence[float], digits: int) -> str:
    if not values:
        return "—"
    text = f"{statistics.median(values):,.{digits}f}"
    if len(values) > 1 and min(values) != max(values):
        text += f" [{min(values):,.{digits}f}-{max(values):,.{digits}f}]"
    return text


def _ratio(row: Row) -> float | None:
    if not row.app or not row.skeleton or statistics.median(row.skeleton) == 0:
        return None
    return statistics.median(row.app) / statistics.median(row.skeleton)


def table(rows: list[Row]) -> str:
    lines = [
        "| figure | skeleton (pystray appindicator) | app | app / skeleton | target |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = _ratio(row)
        ratio_text = "—" if ratio is None else f"{ratio:.2f}x"
        target = "—"
        if row.target is not None and ratio is not None:
            target = f"≤ {row.target:.2f}x: {'met' if ratio <= row.target else 'NOT met'}"
        lines.append(
            f"| {row.label} ({row.unit}) | {_cell(row.skeleton, row.digits)} "
            f"| {_cell(row.app, row.digits)} | {ratio_text} | {target} |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    clock = time.monotonic()
    account = SimulatedAccount()
    account.set_rate_limit(1_000_000, 60)
    rows: list[Row] = []
    threads: dict[str, dict[str, list[str]]] = {}
    with SimulatedLensmorServer(account) as server:
        bench = SniBench(args, server.url)
        with XfceHost() as host:
            desktop = XfceDesktop(host)
            subjects = bench.subjects(desktop, {"LENSMOR_TRAY": "sni"})
            register = Row("xfce4-panel: start → item registered", "s", 2)
            register.target = TARGETS["register"]
            rss = Row(f"xfce4-panel: RSS after {args.sni_idle_seconds:g} s idle", "MB", 1)
            rss.target = TARGETS["rss"]
            if not args.quick:
                warm(bench, desktop, subjects)
            threads["xfce4-panel"] = bench.measure(desktop, subjects, register, rss)
            rows += [register, rss]
        with DesktopSession(tray=True, notifications=True) as session:
            desktop_t = TrayerDesktop(session)
            subjects = bench.subjects(desktop_t, {})
            docked = Row("trayer: start → icon docked", "s", 2)
            rss_t = Row(f"trayer: RSS after {args.sni_idle_seconds:g} s idle", "MB", 1)
            if not args.quick:
                warm(bench, desktop_t, subjects)
            threads["trayer"] = bench.measure(desktop_t, subjects, docked, rss_t)
            rows += [docked, rss_t]
    print(
        f"\n## The tray item on an SNI host (xfce4-panel) and the XEmbed fallback (trayer)\n\n"
        f"- {args.sni_starts} starts of each subject per desktop, one at a time; one idle "
        f"instance of each, side by side; median [min-max]\n"
    )
    print(table(rows))
    print("\nThreads when idle (by name):")
    for where, by_subject in threads.items():
        for name, names in by_subject.items():
            print(f"- {where}, {name}: {', '.join(names)}")
    print(f"\nSNI bench took {time.monotonic() - clock:.0f} s")
    return 0


def warm(bench: SniBench, desktop: Desktop, subjects: dict[str, Subject]) -> None:
    """One unmeasured start of each: the first GTK client on a fresh X server probes OpenGL
    (see bench.py), and the first start writes the bytecode caches."""
    for subject in subjects.values():
        proc, _, _ = bench.start(desktop, subject)
        desktop.stop(proc)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sni-starts", type=int, default=5, help="starts per subject and host")
    parser.add_argument("--sni-idle-seconds", type=float, default=30.0)


def quick(args: argparse.Namespace) -> None:
    if args.quick:
        args.sni_starts, args.sni_idle_seconds = 1, 3.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="1 start each, 3 s idle, no warm-up")
    args = parser.parse_args(argv)
    quick(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
