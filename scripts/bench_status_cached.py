"""Benchmark: how long `lensmor-tray status --cached` takes, start to exit (a status bar runs it
every few seconds). Prints the median and the 90th percentile of N runs per format, against a
saved state written here (a temporary data folder; no app, no network).

    .venv/bin/python scripts/bench_status_cached.py [--runs 20]

Bytecode is cached (as after `pip install`). Also prints the bare interpreter start-up
(`python -c pass`) and the CLI's imports alone, for reference: the part of the figure that is
Python's own, and the part that is importing. Recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tray_app.core.balance import parse_balance  # noqa: E402
from tray_app.core.state import MonitorState  # noqa: E402
from tray_app.store import HistoryStore  # noqa: E402


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


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=str(home / "data"))
        env["XDG_CONFIG_HOME"] = str(home / "config")
        # As installed: pip compiles the package's bytecode at install time. Here it is cached
        # under the temporary folder (the first, untimed run writes it), not in the checkout.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
        seed(home / "data")
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import tray_app.cli'": [sys.executable, "-c", "import tray_app.cli"],
        }
        # The console script, as a status bar runs it (else the module, for a bare checkout).
        script = Path(sys.executable).parent / "lensmor-tray"
        launcher = [str(script)] if script.exists() else [sys.executable, "-m", "tray_app"]
        for name in ("text", "waybar", "i3blocks", "prometheus", "xbar"):
            cases[f"status --cached --format {name}"] = [
                *launcher, "status", "--cached", "--format", name,
            ]  # fmt: skip

        print(f"{'command':44} {'median':>8} {'p90':>8}  ({args.runs} runs, ms)")
        for name, argv in cases.items():
            if not argv:
                continue
            timed(argv, env, 1)  # warm-up: writes the bytecode cache
            times = sorted(timed(argv, env, args.runs))
            p90 = times[int(0.9 * (len(times) - 1))]
            print(f"{name:44} {statistics.median(times):8.1f} {p90:8.1f}")


if __name__ == "__main__":
    main()
