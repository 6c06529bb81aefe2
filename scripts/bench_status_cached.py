"""Benchmark: how long `lensmor-tray status --cached` takes, start to exit (a status bar runs it
every few seconds). Prints the median and the 90th percentile of N runs per format, and the
median CPU time (user + system), against a saved state written here (a temporary data folder;
no app, no network).

    .venv/bin/python scripts/bench_status_cached.py [--runs 20]

Bytecode is cached (as after `pip install`). Also prints the bare interpreter start-up
(`python -c pass`) and the imports alone (the full CLI's, the fast path's), for reference: the
part of the figure that is Python's own, and the part that is importing. Recorded in
docs/benchmarks.md.

Two set-ups: this checkout's venv, where `pip install -e` left an import hook that runs at
every start of its interpreter (setuptools' editable finder: ~25 ms here, pathlib and friends),
and "as installed": a throwaway venv that finds the same packages on plain paths, as a user's
`pip install` or pipx venv does, with a console script like the one pip writes.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tray_app.core.balance import parse_balance  # noqa: E402
from tray_app.core.state import MonitorState  # noqa: E402
from tray_app.history.store import HistoryStore  # noqa: E402


def seed(data_home: Path) -> None:
    db = data_home / "lensmor-tray" / "history.sqlite3"
    db.parent.mkdir(parents=True)
    balance = parse_balance(
        {
            "totalAmount": 35050,
            "totalBalance": 30050,
            "subscriptionAmount": 35000,
            "subscriptionBalance": 30000,
            "giftAmount": 50,
            "giftBalance": 50,
            "resetAt": int((time.time() + 86400 * 9) * 1000),
        }
    )
    state = MonitorState(balance=balance, fetched_at=time.time(), last_poll_at=time.time())
    with HistoryStore.open(db) as store:
        store.record_balance(time.time(), balance)
        store.save_state({"monitor": state.to_json(), "alerts": {}})


def installed_venv(root: Path) -> Path:
    """A venv without the editable hook that sees this checkout and the dev venv's packages on
    plain paths; returns its `lensmor-tray` script (what pip would have written)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    paths = [str(REPO), sysconfig.get_path("purelib")]
    (Path(site_packages) / "lensmor-tray-bench.pth").write_text("\n".join(paths) + "\n")
    # The entry point that pyproject.toml gives the console script, as pip reads it.
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    module, function = project["scripts"]["lensmor-tray"].split(":")
    script = root / "bin" / "lensmor-tray"
    script.write_text(
        f"#!{python}\nimport sys\nfrom {module} import {function}\n"
        f"if __name__ == '__main__':\n    sys.exit({function}())\n"
    )
    script.chmod(0o755)
    return script


def timed(
    argv: list[str], env: dict[str, str], runs: int, before: Callable[[], None] = lambda: None
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (user + system) milliseconds of each run. On a shared machine the CPU
    time is the steadier figure: waiting for a core counts in the wall time only."""
    wall, cpu = [], []
    for _ in range(runs):
        before()
        used_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        # cwd: the home folder, so that `python -c` (whose sys.path starts with the current
        # folder) never imports the checkout it was started from instead of the one measured.
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True, cwd=env["HOME"])
        wall.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime - used_before.ru_utime + after.ru_stime - used_before.ru_stime
        cpu.append(used * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--installed-only",
        action="store_true",
        help="skip this checkout's venv (e.g. to measure an older tree copied elsewhere)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=str(home / "data"))
        env["XDG_CONFIG_HOME"] = str(home / "config")
        env["XDG_CACHE_HOME"] = str(home / "cache")  # where `status --cached` keeps its memo
        # As installed: pip compiles the package's bytecode at install time. Here it is cached
        # under the temporary folder (the first, untimed run writes it), not in the checkout.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
        seed(home / "data")
        installed = installed_venv(home / "installed-venv")
        setups = {
            "this checkout's venv (editable install)": (
                Path(sys.executable),
                Path(sys.executable).parent / "lensmor-tray",
            ),
            "as installed (plain paths, no editable hook)": (
                installed.parent / "python",
                installed,
            ),
        }
        if args.installed_only:
            del setups["this checkout's venv (editable install)"]
        print(f"{'command':44} {'median':>8} {'p90':>8} {'cpu':>8}  ({args.runs} runs, ms)")
        for title, (python, script) in setups.items():
            print(f"-- {title}")
            cases = {
                "python -c pass": [str(python), "-c", "pass"],
                "python -c 'import tray_app.cli.main'": [
                    str(python), "-c", "import tray_app.cli.main",
                ],
                "python -c 'import tray_app.cli.fast_status'": [
                    str(python), "-c", "import tray_app.cli.fast_status",
                ],
            }  # fmt: skip
            # The console script, as a status bar runs it (else the module, for a bare checkout).
            launcher = [str(script)] if script.exists() else [str(python), "-m", "tray_app"]
            for name in ("text", "json", "waybar", "i3blocks", "prometheus", "xbar"):
                cases[f"status --cached --format {name}"] = [
                    *launcher, "status", "--cached", "--format", name,
                ]  # fmt: skip
            for name, argv in cases.items():
                warm_up = subprocess.run(
                    argv, env=env, capture_output=True, check=False, cwd=env["HOME"]
                )
                if warm_up.returncode:
                    print(f"{name:44} {'(fails)':>8}")  # e.g. no fast path in an older tree
                    continue  # the run above was the warm-up: it wrote the bytecode cache
                report(name, *timed(argv, env, args.runs))
            # The first run after each poll of the app finds the memo out of date (the state
            # token changed) and computes the answer: what every run cost before the memo.
            for name in ("text", "waybar", "xbar"):
                argv = [*launcher, "status", "--cached", "--format", name]
                wall, cpu = timed(argv, env, args.runs, lambda: forget(home / "cache"))
                report(f"  {name}, computed (no memo)", wall, cpu)


def forget(cache: Path) -> None:
    """Remove the memos (as a poll of the app makes them out of date)."""
    shutil.rmtree(cache / "lensmor-tray" / "status", ignore_errors=True)


def report(name: str, wall: list[float], cpu: list[float]) -> None:
    p90 = sorted(wall)[int(0.9 * (len(wall) - 1))]
    median = statistics.median
    print(f"{name:44} {median(wall):8.1f} {p90:8.1f} {median(cpu):8.1f}")


if __name__ == "__main__":
    main()
