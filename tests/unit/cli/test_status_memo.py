"""The memo of `status --cached` (cli/status_memo.py): a status bar's next run prints the last
answer again without parsing, reading the config or opening SQLite, and never once anything
it was computed from has changed.

Child processes run as a status bar runs them (`python -m tray_app …`, under `-X importtime`
to see what the run loaded) on states the app's own store saved, in a temporary HOME.
"""

from __future__ import annotations

import marshal
import os
import stat
import subprocess
import sys
from pathlib import Path

import platformdirs
import platformdirs.macos
import pytest

from tests.conftest import CANARY_KEY, Home
from tests.unit.cli.test_fast_status import (
    DAY,
    assert_same,
    run_fast,
    run_full,
    save_state,
    write_config,
)
from tray_app import __version__
from tray_app.cli import status_memo
from tray_app.cli.args import STATUS_FORMATS
from tray_app.history.state_token import state_token_path

#: Modules a run answered from the memo never loads: the parser, the renderer, SQLite.
NOT_ON_THE_MEMO_PATH = (
    "argparse",
    "sqlite3",
    "typing",
    "tray_app.cli.fast_status",
    "tray_app.cli.status_feed",
    "tray_app.config.loading",
    "PIL",
)


def memo_files(home: Home) -> list[Path]:
    folder = home.root / ".cache" / "lensmor-tray" / "status"
    return sorted(folder.glob("*.memo")) if folder.exists() else []


def from_memo(run_modules: frozenset[str]) -> bool:
    return "tray_app.cli.status_memo" in run_modules and not any(
        name in run_modules for name in NOT_ON_THE_MEMO_PATH
    )


@pytest.mark.slow
def test_the_second_run_is_answered_from_the_memo_as_the_full_cli_would(home: Home) -> None:
    save_state(home.data_dir / "history.sqlite3", fetched_ago=2 * DAY)
    for name in STATUS_FORMATS:
        case = ["status", "--cached", "--format", name]
        first = run_fast(home, case)
        second = run_fast(home, case)
        assert first.code == second.code == 0, (name, first.err, second.err)
        assert not from_memo(first.modules), name
        assert from_memo(second.modules), (name, sorted(second.modules & set(NOT_ON_THE_MEMO_PATH)))
        assert_same(case, second, run_full(home, case))
    assert len(memo_files(home)) == len(STATUS_FORMATS)  # one per command line


@pytest.mark.slow
def test_a_new_save_a_config_edit_or_another_language_is_computed_again(home: Home) -> None:
    db = home.data_dir / "history.sqlite3"
    save_state(db, fetched_ago=2 * DAY)
    case = ["status", "--cached", "--format", "json"]
    run_fast(home, case)
    assert from_memo(run_fast(home, case).modules)

    save_state(db, fetched_ago=3 * DAY)  # the app's next save
    fresh = run_fast(home, case)
    assert not from_memo(fresh.modules)
    assert_same(case, fresh, run_full(home, case))
    assert from_memo(run_fast(home, case).modules)

    write_config(home, 'poll_interval = 600\n[alerts]\nthresholds = ["99%"]\n')
    edited = run_fast(home, case)
    assert not from_memo(edited.modules)
    assert edited.out != fresh.out  # another level under the 99% threshold
    assert_same(case, edited, run_full(home, case))

    german = Home(home.root, {**home.env, "LANG": "de_DE.UTF-8"})
    text = ["status", "--cached"]
    run_fast(home, text)
    in_german = run_fast(german, text)
    assert not from_memo(in_german.modules)
    assert from_memo(run_fast(german, text).modules)
    in_english = run_fast(home, text)
    assert from_memo(in_english.modules)
    assert in_english.out != in_german.out
    assert "Lensmor credits:" in in_english.out


def test_a_save_between_taking_the_inputs_and_reading_the_state_is_seen(
    isolated_home: Home,
) -> None:
    """The inputs are taken before the state is read: a save in between (the app's poll
    while a bar's run reads) leaves a memo that the next run does not trust, even when the
    history file's stat did not change (one tick of the file system's clock)."""
    db = isolated_home.data_dir / "history.sqlite3"
    save_state(db, fetched_ago=DAY)
    argv = ["status", "--cached"]
    inputs = status_memo.Inputs(
        str(isolated_home.config_file), [(str(db), str(state_token_path(db)))]
    )
    stats = {path: os.stat(path) for path in (db, Path(f"{db}-wal")) if path.exists()}
    save_state(db, fetched_ago=0)  # the app saves now
    for path, st in stats.items():  # as if within the same tick: the stat is unchanged
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    now = 1_796_650_000.0
    status_memo.remember(
        argv, os.environ, __version__, inputs=inputs, outputs=[(now, None, "what was read")]
    )
    assert memo_files(isolated_home)  # written…
    assert status_memo.answer(argv, os.environ, now, __version__) is None  # …and not trusted


def test_each_output_is_answered_only_in_its_own_span(isolated_home: Home) -> None:
    argv = ["status", "--cached", "--format", "waybar"]
    inputs = status_memo.Inputs(str(isolated_home.config_file), [])
    outputs = [(100.0, 160.0, "first"), (160.01, 220.0, "second"), (220.0, None, "last")]
    status_memo.remember(argv, os.environ, __version__, inputs=inputs, outputs=outputs)

    def answer(now: float, env: dict[str, str] | None = None) -> str | None:
        return status_memo.answer(argv, env or dict(os.environ), now, __version__)

    assert [answer(t) for t in (100.0, 159.9, 160.005, 160.01, 219.99, 10**10)] == [
        "first", "first", None, "second", "second", "last",
    ]  # fmt: skip
    assert answer(99.9) is None  # the clock went back
    assert answer(150.0, {**os.environ, "TZ": "Asia/Tokyo"}) is None
    assert answer(150.0, {**os.environ, "LANGUAGE": "fr"}) is None
    assert status_memo.answer([*argv, "--json"], os.environ, 150.0, __version__) is None
    assert status_memo.answer(argv, os.environ, 150.0, "0.0.1") is None  # another version
    isolated_home.write_config("poll_interval = 600\n")  # the config appears
    assert answer(150.0) is None


def test_a_damaged_or_foreign_memo_is_never_printed(isolated_home: Home) -> None:
    argv = ["status", "--cached"]
    inputs = status_memo.Inputs(str(isolated_home.config_file), [])
    status_memo.remember(argv, os.environ, __version__, inputs=inputs, outputs=[(0, None, "ok")])
    [memo] = memo_files(isolated_home)
    good = marshal.loads(memo.read_bytes())  # noqa: S302 (our own test file)
    assert status_memo.answer(argv, os.environ, 1.0, __version__) == "ok"
    damaged: list[bytes] = [
        b"",
        b"{",
        memo.read_bytes()[:-3],  # cut short
        b"\x00" * 64,
        marshal.dumps([]),
        marshal.dumps({**good, "outputs": [[0, None, 7]]}),
        marshal.dumps({**good, "outputs": [[0, None]]}),
        marshal.dumps({k: v for k, v in good.items() if k != "outputs"}),
        marshal.dumps({**good, "files": [["/", [1, 2, 3, 4]], *good["files"]]}),
        marshal.dumps({**good, "key": {**good["key"], "argv": ["status"]}}),
        memo.read_bytes() + b" " * (status_memo.MAX_MEMO_BYTES + 1),
    ]
    for data in damaged:
        memo.write_bytes(data)
        assert status_memo.answer(argv, os.environ, 1.0, __version__) is None, data[:40]
    memo.write_bytes(marshal.dumps(good))  # the check above is not of a memo never read
    assert status_memo.answer(argv, os.environ, 1.0, __version__) == "ok"
    memo.chmod(0o666)  # writable by others: anyone could have put it there
    assert status_memo.answer(argv, os.environ, 1.0, __version__) is None


@pytest.mark.slow
def test_the_memo_is_private_and_never_holds_the_key(home: Home) -> None:
    save_state(home.data_dir / "history.sqlite3", fetched_ago=DAY)
    keyed = Home(home.root, {**home.env, "LENSMOR_API_KEY": CANARY_KEY})
    (home.root / ".config" / "lensmor-tray").mkdir(parents=True, exist_ok=True)
    (home.root / ".config" / "lensmor-tray" / "api-key").write_text(CANARY_KEY)
    for name in ("text", "json", "xbar"):
        assert run_fast(keyed, ["status", "--cached", "--format", name]).code == 0
    files = memo_files(home)
    assert len(files) == 3
    folder = files[0].parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for memo in files:
        assert stat.S_IMODE(memo.stat().st_mode) == 0o600
        assert CANARY_KEY.encode() not in memo.read_bytes()
        assert CANARY_KEY[-4:].encode() not in memo.read_bytes()
        assert b"LENSMOR_API_KEY" not in memo.read_bytes()


@pytest.mark.slow
def test_no_memo_when_verbose_or_for_a_history_saved_without_a_token(home: Home) -> None:
    db = home.data_dir / "history.sqlite3"
    save_state(db, fetched_ago=DAY)
    assert run_fast(home, ["-v", "status", "--cached"]).code == 0
    assert memo_files(home) == []
    state_token_path(db).unlink()  # as an older version of the app leaves it
    assert run_fast(home, ["status", "--cached"]).code == 0
    assert memo_files(home) == []


def test_the_oldest_memos_go_beyond_the_limit(isolated_home: Home) -> None:
    inputs = status_memo.Inputs(str(isolated_home.config_file), [])
    for n in range(status_memo.MAX_MEMOS + 5):
        argv = ["status", "--cached", "--account", f"A{n}"]
        status_memo.remember(argv, os.environ, __version__, inputs=inputs, outputs=[(0, None, "")])
    assert len(memo_files(isolated_home)) == status_memo.MAX_MEMOS
    first = ["status", "--cached", "--account", "A0"]
    last = ["status", "--cached", "--account", f"A{status_memo.MAX_MEMOS + 4}"]
    assert status_memo.answer(first, os.environ, 1.0, __version__) is None
    assert status_memo.answer(last, os.environ, 1.0, __version__) == ""


@pytest.mark.parametrize(
    "env",
    [
        {"HOME": "/home/ann"},
        {"HOME": "/home/ann", "XDG_CACHE_HOME": "/var/cache/ann"},
        {"HOME": "/home/ann", "XDG_CACHE_HOME": "   "},
        {"HOME": "/home/ann", "XDG_CACHE_HOME": "relative/cache"},
    ],
)
def test_the_memo_folder_is_the_cache_folder_platformdirs_names(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    expected = platformdirs.user_cache_path("lensmor-tray", appauthor=False) / "status"
    assert status_memo.memo_folder(env, "linux") == str(expected)
    mac = platformdirs.macos.MacOS("lensmor-tray", appauthor=False).user_cache_dir
    assert status_memo.memo_folder(env, "darwin") == os.path.join(mac, "status")
    assert status_memo.memo_folder(env, "win32") is None  # the fast path answers there


def test_reading_the_memo_imports_nothing_but_binascii() -> None:
    def loaded(code: str) -> set[str]:
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
        )
        lines = done.stderr.splitlines()
        return {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}

    ours = loaded("import tray_app.entry, tray_app.cli.status_memo") - loaded("pass")
    allowed = {"tray_app", "tray_app.entry", "tray_app.cli", "tray_app.cli.status_memo"}
    assert ours - allowed <= {"binascii"}  # json would bring re: 5 ms of a 10 ms start
    assert "tray_app.cli.status_memo" in ours


def test_a_removed_working_folder_only_means_no_memo(
    isolated_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bar started from a folder that was removed since: os.getcwd() fails."""

    def removed() -> str:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(os, "getcwd", removed)
    inputs = status_memo.Inputs(str(isolated_home.config_file), [])
    argv = ["status", "--cached"]
    status_memo.remember(argv, os.environ, __version__, inputs=inputs, outputs=[(0, None, "x")])
    assert memo_files(isolated_home) == []
    assert status_memo.answer(argv, os.environ, 1.0, __version__) is None
