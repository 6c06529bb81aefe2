"""Issue 18, doctor: it checks every account (its key, its own base URL, its history), the
keyring by a round trip of a test entry, and feed folders the way the app writes them. The
real `lensmor-tray doctor` in a child process against simulated APIs on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import Home, run_cli
from tray_app.demo.server import SimulatedAccount, SimulatedLensmorServer

WORK_KEY = "uak_workworkworkwork0000WRK1"
HOME_KEY = "uak_homehomehomehome1111HOM2"


@pytest.fixture
def two_servers() -> Iterator[tuple[SimulatedLensmorServer, SimulatedLensmorServer]]:
    """Work's and Home's APIs at different addresses, each knowing only its own key."""
    with (
        SimulatedLensmorServer(SimulatedAccount(valid_keys=(WORK_KEY,))) as work,
        SimulatedLensmorServer(SimulatedAccount(valid_keys=(HOME_KEY,))) as home_api,
    ):
        yield work, home_api


def keyring_env(home: Home, backend: str) -> dict[str, str]:
    return {
        "PYTHON_KEYRING_BACKEND": f"tests.support.file_keyring.{backend}",
        "TEST_KEYRING_FILE": str(home.root / "keyring.json"),
    }


def checks(home: Home, env: dict[str, str] | None = None) -> list[dict[str, object]]:
    result = run_cli(home, "doctor", "--json", env=env)
    assert "Traceback" not in result.err
    report: dict[str, object] = json.loads(result.out)
    listed = report["checks"]
    assert isinstance(listed, list)
    return listed


def named(listed: list[dict[str, object]], name: str) -> list[dict[str, object]]:
    return [c for c in listed if c["name"] == name]


def test_doctor_checks_each_named_account_at_its_own_base_url(
    home: Home, two_servers: tuple[SimulatedLensmorServer, SimulatedLensmorServer]
) -> None:
    work, home_api = two_servers
    env = keyring_env(home, "FileKeyring")
    for name, key, server in (("Work", WORK_KEY, work), ("Home", HOME_KEY, home_api)):
        added = run_cli(
            home, "account", "add", name, "--base-url", server.url, input_text=key, env=env
        )
        assert added.code == 0, added.err
    before = (len(work.account.requests), len(home_api.account.requests))

    text = run_cli(home, "doctor", env=env)
    listed = checks(home, env)

    assert "no API key is set" not in text.out
    assert "✓ key (Work): uak_…WRK1 from the OS keyring" in text.out
    assert "✓ key (Home): uak_…HOM2 from the OS keyring" in text.out
    assert f"✓ API (Work): {work.url} answers in" in text.out
    assert f"✓ API (Home): {home_api.url} answers in" in text.out
    assert "✓ key accepted (Work): the API accepted the key" in text.out
    assert "✓ key accepted (Home): the API accepted the key" in text.out
    assert WORK_KEY not in text.out + text.err
    assert HOME_KEY not in text.out + text.err
    # Each API got one request per doctor run (text, then JSON), with its own account's key.
    assert (len(work.account.requests), len(home_api.account.requests)) == (
        before[0] + 2,
        before[1] + 2,
    )
    sent = [r.header("Authorization") for r in work.account.requests[before[0] :]]
    assert sent == [f"Bearer {WORK_KEY}"] * 2
    # --json carries the same per account.
    by_account = {(c["name"], c["account"]): c["verdict"] for c in listed}
    for account in ("Work", "Home"):
        for name in ("key", "API", "key accepted", "history"):
            assert by_account[(name, account)] == "ok", (name, account, listed)
    assert "never polled" in str(named(listed, "history")[0]["detail"])


def test_doctor_names_the_account_whose_key_is_missing(
    home: Home, two_servers: tuple[SimulatedLensmorServer, SimulatedLensmorServer]
) -> None:
    work, home_api = two_servers
    home.write_config(
        f'[[accounts]]\nname = "Work"\nbase_url = "{work.url}"\n\n'
        f'[[accounts]]\nname = "Home"\nbase_url = "{home_api.url}"\n'
    )
    env = keyring_env(home, "FileKeyring")
    stored = run_cli(home, "key", "set", "--account", "Work", input_text=WORK_KEY, env=env)
    assert stored.code == 0, stored.err
    text = run_cli(home, "doctor", env=env)
    assert text.code == 2
    assert "✓ key (Work):" in text.out
    assert "✗ key (Home): no API key is set → run `lensmor-tray key set --account=Home`" in text.out


# -- feed folders ------------------------------------------------------------------------------


def test_a_feed_folder_that_does_not_exist_fails_as_the_app_would(home: Home) -> None:
    """The README's own example path: ~/.cache/lensmor-tray/ does not exist on a fresh HOME,
    and the app, which writes a temp file in that folder and renames it, cannot write it."""
    home.write_config('[integrations]\nwaybar_file = "~/.cache/lensmor-tray/waybar.json"\n')
    listed = checks(home)
    (files,) = named(listed, "files")
    assert files["verdict"] == "fail"
    folder = home.root / ".cache" / "lensmor-tray"
    assert f"the folder {folder} does not exist" in str(files["detail"])
    assert f"mkdir -p {folder}" in str(files["fix"])
    assert not folder.exists()  # doctor only looks


def test_a_feed_folder_that_exists_is_checked_by_writing_and_renaming(home: Home) -> None:
    folder = home.root / ".cache" / "lensmor-tray"
    folder.mkdir(parents=True)
    home.write_config('[integrations]\nwaybar_file = "~/.cache/lensmor-tray/waybar.json"\n')
    (files,) = named(checks(home), "files")
    assert files["verdict"] == "ok", files
    assert "waybar_file" in str(files["detail"])
    assert list(folder.iterdir()) == []  # no probe left behind


# -- the keyring round trip --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "verdict", "says"),
    [
        ("FileKeyring", "ok", "keeps what is written"),
        ("LyingKeyring", "warn", "does not return what is written"),
        ("UndeletableKeyring", "warn", "not what is removed"),
    ],
)
def test_the_keyring_is_checked_by_a_round_trip(
    home: Home, backend: str, verdict: str, says: str
) -> None:
    (keyring,) = named(checks(home, keyring_env(home, backend)), "keyring")
    assert keyring["verdict"] == verdict, keyring
    assert says in str(keyring["detail"])
    if backend == "FileKeyring":  # the test entry is gone again
        assert json.loads((home.root / "keyring.json").read_text()) == {}


def test_a_keyring_that_keeps_nothing_is_named_as_no_keyring(home: Home) -> None:
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    (keyring,) = named(checks(home, env), "keyring")
    assert keyring["verdict"] == "warn"
    assert "does not return what is written" in str(keyring["detail"])


def test_a_hanging_keyring_is_a_failure_line_and_doctor_still_finishes(home: Home) -> None:
    key_file = home.config_dir / "api-key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text(WORK_KEY + "\n")
    key_file.chmod(0o600)
    env = keyring_env(home, "HangingKeyring")
    listed = checks(home, env)
    (keyring,) = named(listed, "keyring")
    assert keyring["verdict"] == "fail"
    assert "did not answer" in str(keyring["detail"])
    (key,) = named(listed, "key")
    assert key["verdict"] == "warn"  # found in the file, with the keyring's timeout said
    assert "uak_…WRK1 from the file" in str(key["detail"])
