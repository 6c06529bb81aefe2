"""Issue 18, the config file where features meet: every writer (the CLI's `account` commands,
the Settings window's Save and Accounts list, the tray's badge pin) changes the config under
one lock, from the file as it is now, in the user's own text (comments, layout, a symlink
kept), and undoes what it did when the file cannot be written.

Real parts: `lensmor-tray` in child processes against the simulated API on loopback, real
files in a temporary HOME, a file keyring shared with the children, tmpfs mounts for a full
and a read-only config folder (tests run as root here and in CI; skipped where mount fails).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import keyring
import pytest

from tests.conftest import Home, run_cli
from tests.support.file_keyring import FileKeyring
from tray_app.config.config_file import update_config
from tray_app.config.loading import load_settings
from tray_app.config.model import AccountConfig, ConfigError, Settings, with_account_added
from tray_app.config.paths import AppPaths
from tray_app.demo.faults import Fault
from tray_app.demo.server import SimulatedAccount, SimulatedLensmorServer
from tray_app.keys import account_files
from tray_app.keys.key_store import KeyStore
from tray_app.windows.settings_actions import save_form

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

NAMES = ("Alpha", "Bravo", "Charlie", "Delta")
KEYS = {name: f"uak_{name.lower():0<8}seams00000000{i}" for i, name in enumerate(NAMES)}
README_BLOCK = '\n[[accounts]]\nname = "Hand"\nbase_url = "https://platform.lensmor.com"\n'
COMMENTED = """\
# My lensmor-tray settings (kept in my dotfiles)
poll_interval = 120   # two minutes

[alerts]
# tell me early
thresholds = ["30%", "5%"]
"""


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    accounts = {
        name: SimulatedAccount(total_subscription=1_000 * (i + 1), gift=0, valid_keys=(key,))
        for i, (name, key) in enumerate(KEYS.items())
    }
    with SimulatedLensmorServer(accounts=accounts) as srv:
        yield srv


def paths_of(home: Home) -> AppPaths:
    return AppPaths(home.config_file, home.data_dir, home.root / "log")


def add(home: Home, server: SimulatedLensmorServer, name: str, **env: str) -> None:
    result = run_cli(
        home, "account", "add", name, "--base-url", server.url, input_text=KEYS[name], env=env
    )
    assert result.code == 0, result.err
    assert "Traceback" not in result.err


# -- four writers at once ------------------------------------------------------------------


def test_four_concurrent_account_adds_keep_all_four_accounts_and_their_keys(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # Each key test takes 0.5 s, so all four have read the config before any writes it: on
    # main at 334fe03 each wrote what it had read plus its own account, and the last one won.
    for name in NAMES:
        server.accounts[name].inject(Fault.slow(0.5))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tray_app", "account", "add", name, "--base-url", server.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=home.env,
            cwd=home.root,
        )
        for name in NAMES
    ]
    results = [
        proc.communicate(KEYS[name], timeout=60) for proc, name in zip(procs, NAMES, strict=True)
    ]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "added" in out
    settings = load_settings(home.config_file)
    assert sorted(settings.account_names) == sorted(NAMES)
    paths = paths_of(home)
    for name in NAMES:
        assert KeyStore(paths.key_file, name).load() is not None
        assert paths.key_file_for(name).read_text().strip() == KEYS[name]
    # No key without its account: exactly the four key files.
    assert sorted(p.name for p in (paths.key_file.parent / "api-keys").iterdir()) == sorted(
        name.lower() for name in NAMES
    )


def test_concurrent_writers_in_one_process_each_keep_their_change(tmp_path: Path) -> None:
    """The tray pins a badge while the Settings window's Accounts list adds an account: two
    threads, one lock (filelock excludes threads of one process too)."""
    config = tmp_path / "config.toml"
    config.write_text(COMMENTED)
    names = [f"T{i}" for i in range(8)]

    def add_one(name: str) -> None:
        update_config(config, lambda s: with_account_added(s, AccountConfig(name)))

    threads = [threading.Thread(target=add_one, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    settings = load_settings(config)
    assert sorted(settings.account_names) == sorted(["default", *names])
    assert config.read_text().startswith("# My lensmor-tray settings")


def test_the_settings_window_save_keeps_an_account_added_while_it_was_open(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(COMMENTED)
    shown = load_settings(config)  # the window opens
    update_config(config, lambda s: with_account_added(s, AccountConfig("FromCli")))
    edited = replace(shown, poll_interval=900)  # the user changes the interval, Save
    store = KeyStore(tmp_path / "api-key", use_keyring=False)
    outcome = save_form(config, edited, None, store, shown=shown)
    assert outcome.saved, outcome.error
    saved = load_settings(config)
    assert saved.poll_interval == 900
    assert saved.account_names == ("default", "FromCli")
    assert "# tell me early" in config.read_text()


# -- the file as the user keeps it -------------------------------------------------------------


def test_account_add_writes_through_a_symlink_keeps_comments_and_array_of_tables(
    home: Home, server: SimulatedLensmorServer
) -> None:
    dotfiles = home.root / "dotfiles" / "lensmor-tray"
    dotfiles.mkdir(parents=True)
    target = dotfiles / "config.toml"
    target.write_text(COMMENTED)
    target.chmod(0o600)
    home.config_dir.mkdir(parents=True)
    home.config_file.symlink_to(target)

    add(home, server, "Alpha")
    add(home, server, "Bravo")

    assert home.config_file.is_symlink()  # the dotfile manager's link is still a link
    assert home.config_file.resolve() == target
    text = target.read_text()
    for line in COMMENTED.splitlines():
        assert line in text  # comments and values kept as written
    assert "accounts = [" not in text
    assert text.count("[[accounts]]") == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert load_settings(home.config_file).account_names == ("Alpha", "Bravo")
    # The README's block appended by hand afterwards is still valid TOML, and a third account.
    with target.open("a") as handle:
        handle.write(README_BLOCK)
    assert [a["name"] for a in tomllib.loads(target.read_text())["accounts"]] == [
        "Alpha",
        "Bravo",
        "Hand",
    ]
    assert load_settings(home.config_file).account_names == ("Alpha", "Bravo", "Hand")
    assert [p.name for p in dotfiles.iterdir()] == ["config.toml"]  # no temp file left there


def test_an_inline_accounts_list_from_an_older_version_becomes_tables(
    home: Home, server: SimulatedLensmorServer
) -> None:
    home.write_config(
        '# written by lensmor-tray 0.x\naccounts = [{ name = "Alpha", base_url = "'
        + server.url
        + '" }]\npoll_interval = 60\n'
    )
    add(home, server, "Bravo")
    text = home.config_file.read_text() + README_BLOCK
    assert "accounts = [" not in text
    assert "# written by lensmor-tray 0.x" in text
    data = tomllib.loads(text)
    assert data["poll_interval"] == 60
    assert [a["name"] for a in data["accounts"]] == ["Alpha", "Bravo", "Hand"]


def test_remove_and_rename_keep_the_other_accounts_tables_and_comments(
    home: Home, server: SimulatedLensmorServer
) -> None:
    add(home, server, "Alpha")
    add(home, server, "Bravo")
    add(home, server, "Charlie")
    with home.config_file.open("a") as handle:
        handle.write("# the end of my file\n")
    text = home.config_file.read_text()
    text = text.replace('name = "Bravo"', 'name = "Bravo"   # my second account')
    home.config_file.write_text(text)
    assert run_cli(home, "account", "remove", "Alpha").code == 0
    renamed = run_cli(home, "account", "rename", "Bravo", "Beta")
    assert renamed.code == 0, renamed.err
    text = home.config_file.read_text()
    assert 'name = "Beta"   # my second account' in text
    assert "# the end of my file" in text
    assert load_settings(home.config_file).account_names == ("Beta", "Charlie")


def test_a_config_that_does_not_parse_is_never_replaced_and_no_key_is_stored(
    home: Home, server: SimulatedLensmorServer
) -> None:
    broken = "poll_interval = [oops\n# my notes\n"
    home.write_config(broken)
    result = run_cli(
        home, "account", "add", "Alpha", "--base-url", server.url, input_text=KEYS["Alpha"]
    )
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert home.config_file.read_text() == broken
    assert not paths_of(home).key_file_for("Alpha").exists()


# -- full and read-only config folders (tmpfs) ---------------------------------------------------


@contextmanager
def tmpfs(folder: Path, size: str = "64k") -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Use up every free block of the file system holding `folder`."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                os.write(fd, b"\0" * 4096)
            except OSError:
                break
    finally:
        os.close(fd)


def remount_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


@pytest.fixture
def shared_keyring(home: Home, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A file keyring outside the config folder, shared by this process and its children."""
    path = home.root / "keyring.json"
    home.env["PYTHON_KEYRING_BACKEND"] = "tests.support.file_keyring.FileKeyring"
    home.env["TEST_KEYRING_FILE"] = str(path)
    monkeypatch.setenv("TEST_KEYRING_FILE", str(path))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.set_keyring(previous)


def _keyring(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.exists() else {}


def test_account_add_into_a_full_config_folder_keeps_no_key_and_the_old_config(
    home: Home, server: SimulatedLensmorServer, shared_keyring: Path
) -> None:
    with tmpfs(home.config_dir):
        add(home, server, "Alpha")
        before = home.config_file.read_bytes()
        fill(home.config_dir)
        result = run_cli(
            home, "account", "add", "Bravo", "--base-url", server.url, input_text=KEYS["Bravo"]
        )
        assert result.code != 0
        assert "the disk is full" in result.err
        assert str(home.config_file) in result.err  # the config, not a hidden temporary file
        assert home.config_file.read_bytes() == before
        # The key went to the keyring before the config failed: it was taken back out.
        assert _keyring(shared_keyring) == {"lensmor-tray/Alpha": KEYS["Alpha"]}
        assert sorted(p.name for p in home.config_dir.iterdir() if p.name != "filler") == [
            ".config.toml.lock",
            "config.toml",
        ]


def test_rename_into_a_full_config_folder_puts_history_and_key_back(
    home: Home, server: SimulatedLensmorServer, shared_keyring: Path
) -> None:
    paths = paths_of(home)
    with tmpfs(home.config_dir):
        add(home, server, "Alpha")
        add(home, server, "Bravo")
        history = paths.history_db_for("Bravo")
        history.parent.mkdir(parents=True)
        history.write_bytes(b"rows")
        before = home.config_file.read_bytes()
        fill(home.config_dir)
        with pytest.raises(OSError, match="No space left") as raised:
            account_files.rename_account(paths, "Bravo", "Beta", tray_running=lambda: False)
        assert raised.value.filename == str(home.config_file)
        assert home.config_file.read_bytes() == before
        assert history.read_bytes() == b"rows"
        assert not paths.history_db_for("Beta").exists()
        assert _keyring(shared_keyring) == {
            "lensmor-tray/Alpha": KEYS["Alpha"],
            "lensmor-tray/Bravo": KEYS["Bravo"],
        }


def test_changes_in_a_read_only_config_folder_fail_before_anything_is_stored(
    home: Home, server: SimulatedLensmorServer, shared_keyring: Path, tmp_path: Path
) -> None:
    paths = paths_of(home)
    with tmpfs(home.config_dir):
        add(home, server, "Alpha")
        add(home, server, "Bravo")
        before = home.config_file.read_bytes()
        remount_read_only(home.config_dir)
        result = run_cli(
            home, "account", "add", "Charlie", "--base-url", server.url, input_text=KEYS["Charlie"]
        )
        assert result.code != 0
        assert "the disk is read-only" in result.err
        for change in (
            lambda: account_files.remove_account(paths, "Alpha"),
            lambda: account_files.rename_account(paths, "Alpha", "A", tray_running=lambda: False),
        ):
            with pytest.raises(OSError, match="Read-only") as raised:
                change()
            assert raised.value.filename == str(home.config_file)
        store = KeyStore(tmp_path / "unused-key", use_keyring=False)
        saved = save_form(home.config_file, Settings(poll_interval=60), None, store)
        assert not saved.saved
        assert saved.error is not None
        assert "the disk is read-only" in saved.error  # as the CLI says it (file_problems)
        assert home.config_file.read_bytes() == before
        assert _keyring(shared_keyring) == {
            "lensmor-tray/Alpha": KEYS["Alpha"],
            "lensmor-tray/Bravo": KEYS["Bravo"],
        }


# -- odd config files (hostile sweep) -----------------------------------------------------------


def test_an_empty_config_file_is_used_and_written(
    home: Home, server: SimulatedLensmorServer
) -> None:
    home.write_config("")
    add(home, server, "Alpha")
    assert load_settings(home.config_file).account_names == ("Alpha",)


def test_a_config_with_a_byte_order_mark_is_read_and_edited(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # Notepad (before 2019) saved UTF-8 with a BOM; tomllib alone calls that invalid TOML.
    home.config_dir.mkdir(parents=True)
    home.config_file.write_bytes(b"\xef\xbb\xbf" + COMMENTED.encode())
    status = run_cli(home, "status", "--cached")
    assert "not valid TOML" not in status.err
    add(home, server, "Alpha")
    raw = home.config_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf# My lensmor-tray settings")
    settings = load_settings(home.config_file)
    assert (settings.poll_interval, settings.account_names) == (120, ("Alpha",))


@pytest.mark.parametrize("kind", ["folder", "fifo", "loop"])
def test_a_config_that_is_not_a_file_is_one_line_and_left_alone(
    home: Home, server: SimulatedLensmorServer, kind: str
) -> None:
    home.config_dir.mkdir(parents=True)
    if kind == "folder":
        home.config_file.mkdir()
    elif kind == "fifo":
        os.mkfifo(home.config_file)  # main at 334fe03 waited for a writer forever
    else:
        home.config_file.symlink_to(home.config_file)
    for args in (("status", "--cached"), ("account", "add", "Alpha", "--base-url", server.url)):
        result = run_cli(home, *args, input_text=KEYS["Alpha"], timeout=20)
        assert result.code == 2, result.err
        assert "Traceback" not in result.err
        assert len(result.err.strip().splitlines()) == 1
        assert str(home.config_file) in result.err
    assert not paths_of(home).key_file_for("Alpha").exists()
    if kind == "folder":
        assert home.config_file.is_dir()
    elif kind == "fifo":
        assert stat.S_ISFIFO(home.config_file.lstat().st_mode)
    else:
        assert home.config_file.is_symlink()


def test_a_huge_config_file_is_refused_quickly_and_kept(
    home: Home, server: SimulatedLensmorServer
) -> None:
    # 2 MiB of comments: main at 334fe03 parsed it and rewrote it without them (all gone).
    huge = "# " + "x" * 1022 + "\n"
    home.write_config(COMMENTED + huge * 2048)
    before = home.config_file.read_bytes()
    result = run_cli(
        home, "account", "add", "Alpha", "--base-url", server.url, input_text=KEYS["Alpha"]
    )
    assert result.code == 2
    assert "larger than 1 MiB" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert home.config_file.read_bytes() == before


def test_a_dangling_symlink_is_written_through_or_reported(
    home: Home, server: SimulatedLensmorServer
) -> None:
    dotfiles = home.root / "dotfiles"
    dotfiles.mkdir()
    home.config_dir.mkdir(parents=True)
    home.config_file.symlink_to(dotfiles / "config.toml")  # the file is not there (yet)
    add(home, server, "Alpha")
    assert home.config_file.is_symlink()
    assert load_settings(dotfiles / "config.toml").account_names == ("Alpha",)

    home.config_file.unlink()
    home.config_file.symlink_to(home.root / "nowhere" / "config.toml")
    result = run_cli(
        home, "account", "add", "Bravo", "--base-url", server.url, input_text=KEYS["Bravo"]
    )
    assert result.code == 2
    assert "whose folder does not exist" in result.err
    assert not (home.root / "nowhere").exists()  # no folders made elsewhere
    assert not paths_of(home).key_file_for("Bravo").exists()


def test_locked_config_rechecks_the_name_under_the_lock(home: Home, shared_keyring: Path) -> None:
    """What `account add` read at its start may be out of date by the time it saves: a name
    taken meanwhile is refused then, and the key it would have stored is not."""
    paths = paths_of(home)
    update_config(paths.config_file, lambda s: replace(s, accounts=(AccountConfig("Alpha"),)))
    KeyStore(paths.key_file, "Alpha").save(KEYS["Alpha"])
    with pytest.raises(ConfigError, match="exists already"):
        account_files.add_account(paths, AccountConfig("alpha"), KEYS["Bravo"])
    assert _keyring(shared_keyring) == {"lensmor-tray/Alpha": KEYS["Alpha"]}
