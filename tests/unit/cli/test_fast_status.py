"""The `status --cached` fast path (tray_app/entry.py, fast_status.py) against the full CLI.

Both run as real child processes on saved state written by the app's own store: the fast one
as users start it (`python -m tray_app`, under `-X importtime` so that the test also sees which
modules it loaded), the full one as `cli.main`. For every format, and for every error case,
exit code, stdout and stderr must be byte for byte the same; the fast path must have served
the happy cases without importing the full CLI and the heavy libraries, and must have left the
error cases to the full CLI. Times are not asserted here: scripts/bench_status_cached.py
measures them (docs/benchmarks.md).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, Home
from tray_app import entry
from tray_app.cli.args import STATUS_FORMATS
from tray_app.cli.parser import build_parser
from tray_app.core.balance import parse_balance
from tray_app.core.state import MonitorState, PollResult, Problem, advance
from tray_app.history.store import HistoryStore

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DAY = 86400.0
#: Every time in the saved states is hours or days back, so that "25 h ago", "in 9 days" and
#: stale or not cannot change between the two runs of one case.
BALANCE = {
    "totalAmount": 35050,
    "totalBalance": 5050,
    "subscriptionAmount": 35000,
    "subscriptionBalance": 5000,
    "giftAmount": 50,
    "giftBalance": 50,
}
#: Never loaded by the fast path (PIL only for xbar's badge, checked apart).
HEAVY = (
    "tray_app.cli.main",
    "tray_app.cli.parser",
    "tray_app.cli.commands",
    "tray_app.cli.commands.account",
    "tray_app.keys.key_store",
    "tray_app.api.client",
    "keyring",
    "requests",
    "apscheduler",
    "babel",
    "logging",
)
FULL_CLI = "import sys; from tray_app.cli.main import main; sys.exit(main(sys.argv[1:]))"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str
    #: The modules the process imported (from -X importtime; empty for the full CLI's runs).
    modules: frozenset[str]


def save_state(db: Path, *, fetched_ago: float, problem: Problem | None = None) -> None:
    now = time.time()
    balance = parse_balance({**BALANCE, "resetAt": int((now + 9.2 * DAY) * 1000)})
    state = advance(MonitorState(), PollResult(now - fetched_ago, balance=balance))
    if problem is not None:
        state = advance(state, PollResult(now - fetched_ago + 60, problem=problem, message="x"))
    db.parent.mkdir(parents=True, exist_ok=True)
    with HistoryStore.open(db) as store:
        store.save_state({"monitor": state.to_json(), "alerts": {}})


def write_config(home: Home, text: str, mode: int = 0o600) -> None:
    home.write_config(text)
    home.config_file.chmod(mode)


def run_fast(home: Home, args: Sequence[str]) -> Run:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tray_app", *args],
        env=home.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=home.root,
    )
    lines = done.stderr.splitlines(keepends=True)
    imported = [line for line in lines if line.startswith("import time:")]
    err = "".join(line for line in lines if not line.startswith("import time:"))
    modules = frozenset(line.rsplit("|", 1)[1].strip() for line in imported[1:])
    return Run(done.returncode, done.stdout, err, modules)


def run_full(home: Home, args: Sequence[str]) -> Run:
    done = subprocess.run(
        [sys.executable, "-c", FULL_CLI, *args],
        env=home.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=home.root,
    )
    return Run(done.returncode, done.stdout, done.stderr, frozenset())


def both(home: Home, cases: Sequence[Sequence[str]]) -> list[tuple[Run, Run]]:
    """Each case through the fast path and the full CLI, two processes at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        fast = [pool.submit(run_fast, home, case) for case in cases]
        full = [pool.submit(run_full, home, case) for case in cases]
        return [(f.result(), g.result()) for f, g in zip(fast, full, strict=True)]


def assert_same(case: Sequence[str], fast: Run, full: Run) -> None:
    assert (fast.code, fast.out, fast.err) == (full.code, full.out, full.err), case


def assert_served_fast(case: Sequence[str], run: Run) -> None:
    assert run.code == 0, (case, run.err)
    assert run.out.strip(), case
    xbar = "xbar" in case
    # Pillow, which only the xbar badge needs, imports logging itself.
    loaded = sorted(n for n in HEAVY if n in run.modules and not (xbar and n == "logging"))
    assert loaded == [], (case, loaded)
    assert ("PIL" in run.modules) == xbar, case


@pytest.mark.slow
def test_one_account_every_format_as_the_full_cli_prints_it(home: Home) -> None:
    # No config file: the defaults (a 5 min poll interval, so two days old is stale).
    save_state(home.data_dir / "history.sqlite3", fetched_ago=2 * DAY)
    cases = [["status", "--cached", "--format", name] for name in STATUS_FORMATS]
    cases += [["status", "--cached", "--json"], ["-v", "status", "--cac", "--form=waybar"]]
    for case, (fast, full) in zip(cases, both(home, cases), strict=True):
        assert_same(case, fast, full)
        assert_served_fast(case, fast)
    text = run_fast(home, ["status", "--cached"]).out
    assert "Lensmor credits: 5,050 of 35,050 (14%) - low" in text
    assert "(2 days ago) · out of date" in text


@pytest.mark.slow
def test_several_accounts_and_a_config_as_the_full_cli_prints_them(home: Home) -> None:
    write_config(
        home,
        "poll_interval = 86400\n"
        '[[accounts]]\nname = "Work"\n'
        '[[accounts]]\nname = "Personal"\n[accounts.alerts]\nthresholds = ["90%"]\n',
    )
    accounts = home.data_dir / "accounts"
    save_state(accounts / "work" / "history.sqlite3", fetched_ago=25 * 3600)
    save_state(
        accounts / "personal" / "history.sqlite3",
        fetched_ago=30 * 3600,
        problem=Problem.KEY_REJECTED,
    )
    cases = [["status", "--cached", "--format", name] for name in STATUS_FORMATS]
    cases += [["status", "--cached", "--account", "Work", "--format", "prometheus"]]
    cases += [["--config", str(home.config_file), "status", "--cached", "--format", "xbar"]]
    for case, (fast, full) in zip(cases, both(home, cases), strict=True):
        assert_same(case, fast, full)
        assert_served_fast(case, fast)
    text = run_fast(home, ["status", "--cached"]).out
    blocks = text.rstrip("\n").split("\n\n")  # status's own shape: the name, its text indented
    assert [block.splitlines()[0] for block in blocks] == ["Work", "Personal"]
    assert "(25 h ago)" in text
    assert "Key rejected" in text


@pytest.mark.slow
def test_every_error_is_the_full_clis_own(home: Home, tmp_path: Path) -> None:
    """Each error case is left to cli.main (it imports it) and reads exactly as before."""
    cases: list[list[str]] = [
        ["status", "--cached"],  # never ran: exit 1 and the hint
        ["status", "--cached", "--format", "bogus"],  # argparse's usage error, exit 2
        ["status", "--cached", "--account", "Nobody"],  # no such account: config error
        ["--config", str(tmp_path / "missing.toml"), "status", "--cached"],
        ["status", "--cached", "-h"],  # the full help, not a partial one
    ]
    results = both(home, cases)
    for case, (fast, full) in zip(cases, results, strict=True):
        assert_same(case, fast, full)
        assert "tray_app.cli.main" in fast.modules, case
    assert [fast.code for fast, _full in results] == [1, 2, 2, 2, 0]
    assert "start the tray app" in results[0][0].err

    db = home.data_dir / "history.sqlite3"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database at all" * 100)
    [(fast, full)] = both(home, [["status", "--cached", "--format", "waybar"]])
    assert_same(["corrupt"], fast, full)
    assert fast.code == 4
    assert "cannot read the saved state" in fast.err
    assert "tray_app.cli.main" in fast.modules

    db.unlink()
    save_state(db, fetched_ago=2 * DAY)
    write_config(home, "poll_interval = 60\n", mode=0o644)  # a warning to show, then the feed
    [(fast, full)] = both(home, [["status", "--cached", "--format", "i3blocks"]])
    assert_same(["readable config"], fast, full)
    assert fast.code == 0
    assert "readable by other users" in fast.err
    assert "tray_app.cli.main" in fast.modules

    write_config(home, "poll_interval = 'often'\n")
    [(fast, full)] = both(home, [["status", "--cached"]])
    assert_same(["bad config"], fast, full)
    assert fast.code == 2
    assert fast.err.startswith("lensmor-tray: config error:")


# -- the command line: one definition, read the same way ------------------------------------

SERVED = [
    ["status", "--cached"],
    ["status", "--cached", "--format", "xbar"],
    ["status", "--format=polybar", "--cached"],
    ["status", "--cach", "--form", "json"],
    ["status", "--json", "--cached", "--account", "Work"],
    ["status", "--cached", "--account=Personal", "--json"],
    ["-v", "--config", "c.toml", "status", "--cached"],
    ["--conf=c.toml", "--verb", "status", "--cached"],
]
NOT_SERVED = [
    [],
    ["status"],
    ["status", "--format", "json"],
    ["status", "--cached", "-h"],
    ["status", "--cached", "--help"],
    ["-h", "status", "--cached"],
    ["status", "--cached", "--format", "svg"],
    ["status", "--cached", "--bogus"],
    ["status", "--cached", "-v"],  # -v belongs before the command
    ["--ve", "status", "--cached"],  # ambiguous: --version or --verbose
    ["doctor"],
    ["history", "--json"],
    ["run"],
]


@pytest.mark.parametrize("argv", SERVED, ids=" ".join)
def test_the_fast_parser_reads_status_cached_as_the_full_parser_does(argv: list[str]) -> None:
    fast = entry.parse_fast_path(argv)
    assert fast is not None
    full = build_parser().parse_args(argv)
    for name in ("command", "config", "verbose", "json", "format", "cached", "account"):
        assert getattr(fast, name) == getattr(full, name), name


@pytest.mark.parametrize("argv", NOT_SERVED, ids=lambda argv: " ".join(argv) or "(none)")
def test_everything_else_goes_to_the_full_cli(argv: list[str]) -> None:
    assert entry.parse_fast_path(argv) is None


def test_the_installed_command_starts_at_the_fast_entry() -> None:
    # `python -m tray_app` is checked above (the runs that never import tray_app.cli.main); the
    # console script is generated from pyproject.toml at install time.
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["lensmor-tray"] == "tray_app.entry:main"
