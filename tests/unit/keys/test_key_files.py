"""Secret files on disk: the config and the fallback key file are created 0600 (in a directory
others cannot write to), and the app warns, in one line naming the file and the `chmod` that
fixes it, when it finds either of them open to group or others.

The config holds no key, but it decides which host the key is sent to (`base_url`), so it gets
the same treatment as the key file (issue 6, "Secrets").
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CANARY_KEY, Home, run_cli
from tests.support.waiting import poll_until
from tray_app.config.config_file import save_settings
from tray_app.config.loading import load_settings
from tray_app.config.model import Settings
from tray_app.config.paths import AppPaths
from tray_app.demo.server import SimulatedLensmorServer
from tray_app.keys.key_store import KeySource, KeyStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")

# Modes that let someone other than the owner in (group or others, read or write) and modes
# that do not. 0400 is what a careful user sets by hand: private, so no warning.
SHARED_MODES = [0o640, 0o604, 0o644, 0o660, 0o666]
PRIVATE_MODES = [0o600, 0o400]

# umask values met in practice: Debian's default (022), user-private-group systems (002), and
# the worst case (000: some containers, services and misconfigured sessions).
UMASKS = [
    0o022,
    0o002,
    0o000,  # the worst case: the config directory must still be 0700
]


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    # os.umask is process-wide; the test runs nothing else concurrently, and it is restored.
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def warning_lines(text: str, path: Path) -> list[str]:
    """Lines of `text` that warn about `path` and give the exact fix."""
    return [
        line
        for line in text.splitlines()
        if str(path) in line and f"chmod 600 {path}" in line and "readable by other" in line
    ]


def file_store(key_file: Path) -> KeyStore:
    # No keyring: the key goes to (and comes from) the fallback file, which is under test.
    return KeyStore(key_file, environ={}, use_keyring=False)


# -- created private -----------------------------------------------------------------------


@pytest.mark.parametrize("mask", UMASKS, ids=lambda m: f"umask{m:03o}")
def test_save_settings_creates_a_0600_config_in_a_new_dir_others_cannot_write(
    tmp_path: Path, mask: int
) -> None:
    config = tmp_path / "fresh" / "lensmor-tray" / "config.toml"
    with umask(mask):
        save_settings(config, Settings(poll_interval=90))
    assert mode_of(config) == 0o600
    assert load_settings(config) == Settings(poll_interval=90)
    assert mode_of(config.parent) & 0o002 == 0, f"dir mode {mode_of(config.parent):o}"


@pytest.mark.parametrize("mask", UMASKS, ids=lambda m: f"umask{m:03o}")
def test_the_fallback_key_file_is_0600_in_a_new_dir_others_cannot_write(
    tmp_path: Path, mask: int
) -> None:
    key_file = AppPaths.default(tmp_path / "fresh" / "lensmor-tray" / "config.toml").key_file
    with umask(mask):
        saved = file_store(key_file).save(CANARY_KEY)
    assert saved.source is KeySource.FILE
    assert mode_of(key_file) == 0o600
    assert key_file.read_text() == CANARY_KEY + "\n"
    assert mode_of(key_file.parent) & 0o002 == 0, f"dir mode {mode_of(key_file.parent):o}"


def test_saving_over_loose_files_makes_them_private_and_leaves_no_temp_files(
    tmp_path: Path,
) -> None:
    config = tmp_path / "cfg" / "config.toml"
    key_file = tmp_path / "cfg" / "api-key"
    config.parent.mkdir()
    config.write_text("poll_interval = 60\n")
    key_file.write_text("uak_old0000000000000000000\n")
    config.chmod(0o644)
    key_file.chmod(0o644)

    save_settings(config, Settings(poll_interval=120))
    file_store(key_file).save(CANARY_KEY)

    # Replaced (atomically, via a 0600 temp file), not rewritten in place under the old mode.
    assert (mode_of(config), mode_of(key_file)) == (0o600, 0o600)
    assert load_settings(config).poll_interval == 120
    # The empty config lock stays (config_file.py: a lock file must outlive its use).
    names = ["api-key", "config.toml"]
    assert sorted(p.name for p in config.parent.iterdir() if p.name != ".config.toml.lock") == names


# -- warned about: in process --------------------------------------------------------------


@pytest.mark.parametrize("mode", SHARED_MODES + PRIVATE_MODES, ids=lambda m: f"{m:04o}")
def test_the_key_store_warns_once_about_a_key_file_others_can_open(
    tmp_path: Path, mode: int
) -> None:
    key_file = tmp_path / "api-key"
    key_file.write_text(CANARY_KEY + "\n")
    key_file.chmod(mode)
    store = file_store(key_file)
    loaded = store.load()
    assert loaded is not None
    assert loaded.value == CANARY_KEY  # a warning, not a refusal: the app keeps working
    expected = 1 if mode in SHARED_MODES else 0
    assert len(warning_lines("\n".join(store.warnings), key_file)) == expected, store.warnings
    assert all(CANARY_KEY not in w for w in store.warnings)


@pytest.mark.parametrize("mode", SHARED_MODES + PRIVATE_MODES, ids=lambda m: f"{m:04o}")
def test_load_settings_warns_once_about_a_config_others_can_open(
    tmp_path: Path, mode: int, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("poll_interval = 75\n[alerts]\nlarge_spend = 900\n")
    config.chmod(mode)
    with caplog.at_level(logging.DEBUG):
        settings = load_settings(config)
    # The settings are exactly what the file says, whatever its mode.
    assert settings.poll_interval == 75
    assert settings.alerts.large_spend == 900
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    expected = 1 if mode in SHARED_MODES else 0
    assert len(warned) == expected, caplog.text
    assert len(warning_lines(caplog.text, config)) == expected


def test_a_broken_shared_config_reports_only_its_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The CLI promises one line per error; the mode can wait until the file parses.
    from tray_app.config.model import ConfigError

    config = tmp_path / "config.toml"
    config.write_text("poll_interval = 5\n")
    config.chmod(0o644)
    with caplog.at_level(logging.DEBUG), pytest.raises(ConfigError, match="poll_interval"):
        load_settings(config)
    assert warning_lines(caplog.text, config) == []


# -- warned about: through the real CLI and the real app -----------------------------------


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as srv:
        srv.account.set_valid_keys([CANARY_KEY])
        yield srv


def status_with_config_mode(home: Home, server: SimulatedLensmorServer, mode: int) -> str:
    """Run `lensmor-tray status` with a valid config of `mode`; return its stderr."""
    config = home.write_config(f'base_url = "{server.url}"\npoll_interval = 60\n')
    config.chmod(mode)
    result = run_cli(home, "status", env={"LENSMOR_API_KEY": CANARY_KEY})
    assert result.code == 0, result.err
    assert "Lensmor credits:" in result.out
    assert CANARY_KEY not in result.out + result.err
    return result.err


def test_status_warns_in_one_line_about_a_0644_config(
    home: Home, server: SimulatedLensmorServer
) -> None:
    err = status_with_config_mode(home, server, 0o644)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert warning_lines(err, home.config_file) == lines


def test_status_says_nothing_about_a_0600_config(
    home: Home, server: SimulatedLensmorServer
) -> None:
    assert status_with_config_mode(home, server, 0o600) == ""


def test_status_shows_the_config_warning_as_a_cli_warning_line(
    home: Home, server: SimulatedLensmorServer
) -> None:
    err = status_with_config_mode(home, server, 0o644)
    assert err.startswith("lensmor-tray: warning: the config file "), err


def show_with_key_mode(home: Home, mode: int) -> tuple[str, Path]:
    key_file = AppPaths.default(home.config_file).key_file
    home.config_dir.mkdir(parents=True, exist_ok=True)
    key_file.write_text(CANARY_KEY + "\n")
    key_file.chmod(mode)
    result = run_cli(home, "key", "show")
    assert result.code == 0, result.err
    assert result.out.startswith("uak_…" + CANARY_KEY[-4:])
    assert CANARY_KEY not in result.out + result.err
    return result.err, key_file


def test_key_show_warns_about_a_0644_key_file_and_not_a_0600_one(home: Home) -> None:
    err, key_file = show_with_key_mode(home, 0o644)
    assert warning_lines(err, key_file), err
    assert any(line.startswith("lensmor-tray: warning: ") for line in warning_lines(err, key_file))
    key_file.chmod(0o600)
    assert run_cli(home, "key", "show").err == ""


def test_key_show_prints_the_key_file_warning_once(home: Home) -> None:
    err, key_file = show_with_key_mode(home, 0o644)
    assert len(warning_lines(err, key_file)) == 1, err


def test_the_tray_app_logs_the_config_warning(home: Home) -> None:
    """The long-running app (here without a display: the headless fallback) puts the warning
    in its log, where a user looking into a problem will find it."""
    config = home.write_config("poll_interval = 60\n")
    config.chmod(0o644)
    env = dict(home.env)
    env.pop("DISPLAY", None)
    # Where the app says its log is (platformdirs, under this HOME).
    paths = run_cli(home, "paths").out
    log_file = Path(paths.split("logs:", 1)[1].strip())
    assert log_file.is_relative_to(home.root)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "run"],
        env=env,
        cwd=home.root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        def started() -> bool:
            return log_file.exists() and "started" in log_file.read_text()

        poll_until(
            started,
            30,
            "the app to log 'started'",
            alive=lambda: None if proc.poll() is None else f"it exited ({proc.returncode})",
            interval=0.1,
        )
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
        _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    text = log_file.read_text()
    assert len(warning_lines(text, config)) == 1, text
    assert "Traceback" not in err.decode()
