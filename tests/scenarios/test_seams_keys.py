"""Issue 18, keys: every write of a secret is read back before it is reported.

Real keyring backends in the real `lensmor-tray` child processes (PYTHON_KEYRING_BACKEND):
keyring's null backend (what `keyring --disable` configures: accepts a write, keeps nothing)
and the test backends in tests/support/file_keyring.py (a keyring that cannot save while it
still holds an old key, one that cannot remove it either, one that lies on read, one that
hangs), against the simulated API on loopback, which accepts only the new key: a command that
polls with an old key fails.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult, Home, run_cli
from tests.support.file_keyring import LIE
from tray_app.config.loading import load_settings
from tray_app.demo.server import SimulatedAccount, SimulatedLensmorServer

OLD_KEY = "uak_OLDoldoldoldoldold0000OLD1"
NEW_KEY = "uak_NEWnewnewnewnewnew1111NEW2"
NULL = "keyring.backends.null.Keyring"


def backend(name: str) -> str:
    return NULL if name == "null" else f"tests.support.file_keyring.{name}"


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    """Accepts only NEW_KEY: a read that returns the old key makes `status` exit 3."""
    with SimulatedLensmorServer(SimulatedAccount(valid_keys=(NEW_KEY,))) as srv:
        yield srv


def keyring_env(home: Home, name: str, server: SimulatedLensmorServer) -> dict[str, str]:
    return {
        "PYTHON_KEYRING_BACKEND": backend(name),
        "TEST_KEYRING_FILE": str(home.root / "keyring.json"),
        "LENSMOR_BASE_URL": server.url,
    }


def seed_keyring(home: Home, username: str, key: str) -> None:
    """What an earlier, working keyring kept: tests/support/file_keyring.py's JSON file."""
    (home.root / "keyring.json").write_text(json.dumps({f"lensmor-tray/{username}": key}))


def keyring_entries(home: Home) -> dict[str, str]:
    path = home.root / "keyring.json"
    return json.loads(path.read_text()) if path.exists() else {}


def no_key_anywhere(*results: CliResult) -> None:
    for result in results:
        assert NEW_KEY not in result.out + result.err
        assert "Traceback" not in result.err


def assert_every_read_returns_new(
    home: Home, env: dict[str, str], *account: str, masked: str = "uak_…NEW2"
) -> None:
    shown = run_cli(home, "key", "show", *account, env=env)
    status = run_cli(home, "status", *account, env=env)
    no_key_anywhere(shown, status)
    assert shown.code == 0, shown.err
    assert shown.out.startswith(masked)
    assert status.code == 0, status.err  # polled with the new key: the server knows only it


# -- a keyring that keeps nothing ------------------------------------------------------------


def test_a_keyring_that_keeps_nothing_is_no_keyring_for_key_set(
    home: Home, server: SimulatedLensmorServer
) -> None:
    env = keyring_env(home, "null", server)
    saved = run_cli(home, "key", "set", input_text=NEW_KEY, env=env)
    no_key_anywhere(saved)
    assert saved.code == 0, saved.err
    assert "saved uak_…NEW2 in the file" in saved.out
    assert "less safe" in saved.err
    assert_every_read_returns_new(home, env)
    key_file = home.config_dir / "api-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_keyring_that_keeps_nothing_is_no_keyring_for_account_add(
    home: Home, server: SimulatedLensmorServer
) -> None:
    env = keyring_env(home, "null", server)
    added = run_cli(
        home, "account", "add", "Work", "--base-url", server.url, input_text=NEW_KEY, env=env
    )
    no_key_anywhere(added)
    assert added.code == 0, added.err
    assert "in the file" in added.out
    assert_every_read_returns_new(home, env, "--account", "Work")


# -- a keyring that cannot save while it holds an old key -----------------------------------


def test_a_keyring_that_fails_to_save_gives_way_to_the_file_and_loses_its_old_key(
    home: Home, server: SimulatedLensmorServer
) -> None:
    seed_keyring(home, "api-key", OLD_KEY)
    env = keyring_env(home, "StaleKeyring", server)
    saved = run_cli(home, "key", "set", input_text=NEW_KEY, env=env)
    no_key_anywhere(saved)
    assert saved.code == 0, saved.err
    assert "in the file" in saved.out
    assert_every_read_returns_new(home, env)
    assert keyring_entries(home) == {}  # the older copy every read preferred is gone


def test_account_add_with_a_keyring_that_fails_to_save_and_holds_an_old_key(
    home: Home, server: SimulatedLensmorServer
) -> None:
    seed_keyring(home, "Work", OLD_KEY)  # left behind by an earlier account of that name
    env = keyring_env(home, "StaleKeyring", server)
    added = run_cli(
        home, "account", "add", "Work", "--base-url", server.url, input_text=NEW_KEY, env=env
    )
    no_key_anywhere(added)
    assert added.code == 0, added.err
    assert_every_read_returns_new(home, env, "--account", "Work")
    assert keyring_entries(home) == {}


def test_an_old_key_the_keyring_cannot_remove_is_not_reported_as_saved(
    home: Home, server: SimulatedLensmorServer
) -> None:
    seed_keyring(home, "api-key", OLD_KEY)
    env = keyring_env(home, "StuckKeyring", server)
    saved = run_cli(home, "key", "set", input_text=NEW_KEY, env=env)
    no_key_anywhere(saved)
    assert saved.code == 2
    assert "saved uak_" not in saved.out
    errors = [line for line in saved.err.splitlines() if not line.startswith("lensmor-tray: warn")]
    assert len(errors) == 1, saved.err
    assert "the key was not saved" in errors[0]
    assert "older key" in errors[0]
    assert "service 'lensmor-tray', user 'api-key'" in errors[0]
    # Nothing the user typed is lost: once the old entry is gone, the new key is used.
    (home.root / "keyring.json").unlink()
    assert_every_read_returns_new(home, env)


# -- hostile sweep ----------------------------------------------------------------------------


def test_a_keyring_that_lies_on_read_is_no_keyring(
    home: Home, server: SimulatedLensmorServer
) -> None:
    env = keyring_env(home, "LyingKeyring", server)
    saved = run_cli(home, "key", "set", input_text=NEW_KEY, env=env)
    no_key_anywhere(saved)
    assert saved.code == 0, saved.err
    assert "in the file" in saved.out
    assert "a different value" in saved.err
    assert LIE not in saved.out + saved.err
    assert_every_read_returns_new(home, env)


def test_key_clear_with_a_keyring_that_keeps_returning_the_key_says_so(
    home: Home, server: SimulatedLensmorServer
) -> None:
    seed_keyring(home, "api-key", OLD_KEY)
    env = keyring_env(home, "StuckKeyring", server)
    cleared = run_cli(home, "key", "clear", env=env)
    assert cleared.code == 2
    assert "removed the key" not in cleared.out
    assert cleared.err.count("\n") == 1
    assert "still returns a key" in cleared.err
    assert OLD_KEY not in cleared.out + cleared.err


def test_key_clear_with_the_null_keyring_claims_nothing_it_did_not_do(
    home: Home, server: SimulatedLensmorServer
) -> None:
    env = keyring_env(home, "null", server)
    cleared = run_cli(home, "key", "clear", env=env)
    assert cleared.code == 0, cleared.err
    assert cleared.out.strip() == "no stored key to remove"


def test_a_hanging_keyring_falls_back_to_the_file_within_its_timeout(
    home: Home, server: SimulatedLensmorServer
) -> None:
    env = keyring_env(home, "HangingKeyring", server)
    saved = run_cli(home, "key", "set", input_text=NEW_KEY, env=env, timeout=30)
    no_key_anywhere(saved)
    assert saved.code == 0, saved.err
    assert "in the file" in saved.out
    assert "did not answer" in saved.err
    assert (home.config_dir / "api-key").read_text().strip() == NEW_KEY


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        (f"  {NEW_KEY}\t\r\n", "uak_…NEW2"),  # pasted with whitespace and a Windows line end
        (f"\n\n{NEW_KEY}\n", "uak_…NEW2"),  # a blank line before it (a password manager's)
        (f"\ufeff{NEW_KEY}\n", "uak_…NEW2"),  # a file saved with a byte-order mark
    ],
    ids=["whitespace", "blank-lines-first", "bom"],
)
def test_odd_but_usable_pastes_store_the_key_itself(
    home: Home, server: SimulatedLensmorServer, typed: str, masked: str
) -> None:
    env = keyring_env(home, "FileKeyring", server)
    saved = run_cli(home, "key", "set", input_text=typed, env=env)
    no_key_anywhere(saved)
    assert saved.code == 0, saved.err
    assert saved.err == ""
    assert keyring_entries(home) == {"lensmor-tray/api-key": NEW_KEY}
    assert_every_read_returns_new(home, env, masked=masked)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("uak_NEWnew\u200bnewnew1111NEW2\n", "spaces or characters"),  # a zero-width space
        ("uak_ключключключ1111\n", "spaces or characters"),
        ("Bearer " + NEW_KEY + "\n", "spaces or characters"),
        ("uak_" + "x" * 100_000 + "\n", "longer than 512"),
        ("", "the key is empty"),
    ],
    ids=["zero-width", "cyrillic", "bearer-prefix", "100k", "nothing"],
)
def test_unusable_pastes_are_one_line_and_store_nothing(
    home: Home, server: SimulatedLensmorServer, typed: str, problem: str
) -> None:
    env = keyring_env(home, "FileKeyring", server)
    saved = run_cli(home, "key", "set", input_text=typed, env=env)
    assert saved.code == 2
    assert saved.out == ""
    assert saved.err.count("\n") == 1, saved.err
    assert problem in saved.err
    assert len(saved.err) < 300  # the paste is not echoed back
    assert "Traceback" not in saved.err
    assert keyring_entries(home) == {}
    assert not (home.config_dir / "api-key").exists()


def test_an_old_sk_key_is_stored_without_a_warning(
    home: Home, server: SimulatedLensmorServer
) -> None:
    env = keyring_env(home, "FileKeyring", server)
    saved = run_cli(home, "key", "set", input_text="sk_0123456789abcdefOLDSTYLE\n", env=env)
    assert saved.code == 0, saved.err
    assert saved.err == ""
    assert saved.out.startswith("saved sk_…TYLE in the OS keyring")


# -- the key file: a folder, a symlink ----------------------------------------------------------


def test_a_key_file_that_is_a_folder_is_one_line_and_kept(
    home: Home, server: SimulatedLensmorServer
) -> None:
    folder = home.config_dir / "api-key"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    env = keyring_env(home, "null", server)
    saved = run_cli(home, "key", "set", input_text=NEW_KEY, env=env)
    cleared = run_cli(home, "key", "clear", env=env)
    no_key_anywhere(saved, cleared)
    assert saved.code == 2
    assert saved.err.count("\n") == 1, saved.err
    assert "is a folder" in saved.err
    assert cleared.code == 0, cleared.err
    assert "is a folder" in cleared.err
    assert (folder / "notes.txt").read_text() == "mine"


def test_a_symlinked_key_file_stays_a_link_and_its_target_holds_the_key(
    home: Home, server: SimulatedLensmorServer
) -> None:
    elsewhere = home.root / "dotfiles" / "lensmor-key"
    elsewhere.parent.mkdir()
    elsewhere.write_text(OLD_KEY + "\n")
    link = home.config_dir / "api-key"
    link.parent.mkdir(parents=True)
    link.symlink_to(elsewhere)
    env = keyring_env(home, "null", server)
    saved = run_cli(home, "key", "set", input_text=NEW_KEY, env=env)
    no_key_anywhere(saved)
    assert saved.code == 0, saved.err
    assert link.is_symlink()
    assert elsewhere.read_text().strip() == NEW_KEY
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o600
    assert_every_read_returns_new(home, env)


def test_a_key_file_linked_to_a_device_is_refused_not_replaced(
    home: Home, server: SimulatedLensmorServer, tmp_path: Path
) -> None:
    fifo = tmp_path / "a-pipe"
    os.mkfifo(fifo)
    link = home.config_dir / "api-key"
    link.parent.mkdir(parents=True)
    link.symlink_to(fifo)
    env = keyring_env(home, "null", server)
    saved = run_cli(home, "key", "set", input_text=NEW_KEY, env=env)
    no_key_anywhere(saved)
    assert saved.code == 2
    assert "not a regular file" in saved.err
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# -- two saves at once ----------------------------------------------------------------------------

TWO_SAVES = """
import sys, threading
from pathlib import Path
from tray_app.keys.key_store import KeyStore
keys = [sys.argv[2], sys.argv[3]]
barrier = threading.Barrier(2)
out = {}
def save(i):
    barrier.wait()
    out[i] = KeyStore(Path(sys.argv[1])).save(keys[i]).source.name
threads = [threading.Thread(target=save, args=(i,)) for i in (0, 1)]
for t in threads: t.start()
for t in threads: t.join()
print(out[0], out[1])
"""


def test_two_key_saves_at_once_both_land_in_the_keyring_and_one_wins(
    home: Home, server: SimulatedLensmorServer
) -> None:
    """Two `key set` at once (two processes, and two threads in each: the settings window
    saves from a thread): each save's read-back sees only its own write, so none falls back
    to the file or removes the copy the other has just checked, and a read returns one of
    them."""
    env = dict(home.env, **keyring_env(home, "FileKeyring", server))
    env["PYTHONPATH"] = str(REPO)
    keys = [f"uak_race{i:02d}race{i:02d}race{i:02d}zz{i:02d}" for i in range(4)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TWO_SAVES, str(home.config_dir / "api-key"), *pair],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for pair in (keys[:2], keys[2:])
    ]
    answers = [proc.communicate(timeout=60) for proc in procs]
    for out, err in answers:
        assert out.split() == ["KEYRING", "KEYRING"], err
    assert not (home.config_dir / "api-key").exists()
    assert keyring_entries(home)["lensmor-tray/api-key"] in keys


def test_an_endless_stream_on_stdin_is_refused_in_bounded_time_and_memory(home: Home) -> None:
    """`key set < /dev/zero` (a wrong redirect): read a bounded amount, one line of error."""

    def limit_memory() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    with open("/dev/zero", "rb") as zeros:
        done = subprocess.run(
            [sys.executable, "-m", "tray_app", "key", "set"],
            stdin=zeros,
            capture_output=True,
            text=True,
            env=home.env,
            timeout=60,
            preexec_fn=limit_memory,
            check=False,
        )
    assert done.returncode == 2, done.stderr[-500:]
    assert done.stderr.count("\n") == 1
    assert "longer than 512" in done.stderr
    assert not (home.config_dir / "api-key").exists()


# -- LENSMOR_API_KEY and the placeholder "default" account -------------------------------------


def test_a_key_only_in_the_environment_does_not_keep_the_placeholder_default(
    home: Home, server: SimulatedLensmorServer
) -> None:
    """With LENSMOR_API_KEY exported (the README suggests it for scripts), `account add Work`
    replaces the placeholder "default": that key is stored nowhere, so a tray started at login
    without the variable would show a keyless default beside Work and `status` would exit 3."""
    env = keyring_env(home, "null", server)
    added = run_cli(
        home,
        "account",
        "add",
        "Work",
        "--base-url",
        server.url,
        input_text=NEW_KEY,
        env=dict(env, LENSMOR_API_KEY=OLD_KEY),
    )
    assert added.code == 0, added.err
    assert load_settings(home.config_file).account_names == ("Work",)
    status = run_cli(home, "status", env=env)  # from autostart: no LENSMOR_API_KEY
    assert status.code == 0, status.err
    no_key_anywhere(added, status)
    assert OLD_KEY not in added.out + added.err + home.config_file.read_text()


def test_a_stored_default_key_keeps_the_default_account(
    home: Home, server: SimulatedLensmorServer
) -> None:
    env = keyring_env(home, "null", server)
    run_cli(home, "key", "set", input_text=NEW_KEY, env=env)
    added = run_cli(
        home, "account", "add", "Work", "--base-url", server.url, input_text=NEW_KEY, env=env
    )
    assert added.code == 0, added.err
    assert load_settings(home.config_file).account_names == ("default", "Work")


@pytest.mark.parametrize(
    "content",
    [b"\0" * 4096, b"garbage with spaces\n", b"\xff\xfe\x00k"],
    ids=["zeros", "spaces", "not-utf8"],
)
def test_a_key_file_that_holds_no_usable_key_is_not_sent_as_one(home: Home, content: bytes) -> None:
    # Found in the sweep: a key file of zeros (a crash) was read as a "key" of NUL bytes,
    # `key show` exited 0 and the tray sent it as a bearer token.
    key_file = home.config_dir / "api-key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(content)
    key_file.chmod(0o600)
    shown = run_cli(home, "key", "show")
    assert shown.code != 0
    assert "Traceback" not in shown.err
    assert "key set" in shown.err
    assert key_file.read_bytes() == content  # reported, not overwritten


def test_a_key_file_that_is_a_fifo_does_not_hang_a_read(home: Home) -> None:
    key_file = home.config_dir / "api-key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(key_file, 0o600)
    shown = run_cli(home, "key", "show", timeout=20)
    assert shown.code != 0
    assert "not a regular file" in shown.err
    assert stat.S_ISFIFO(key_file.lstat().st_mode)


def test_key_clear_with_a_keyring_that_does_not_answer_says_the_keyring_was_not_cleared(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # Before: a keyring read that timed out counted as "nothing there"; `key clear` reported
    # only the file and said nothing of a key the keyring may still hold (and later return).
    env = keyring_env(home, "HangingKeyring", server)
    assert run_cli(home, "key", "set", input_text=NEW_KEY, env=env, timeout=30).code == 0
    cleared = run_cli(home, "key", "clear", env=env, timeout=30)
    no_key_anywhere(cleared)
    assert "Traceback" not in cleared.err
    assert "was not removed" in cleared.err
    assert not (home.config_dir / "api-key").exists()
