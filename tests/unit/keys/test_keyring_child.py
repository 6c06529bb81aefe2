"""The tray reads its key from the OS keyring in a short-lived child (tray_app.keys.keyring_child),
so keyring's backends (SecretStorage, jeepney, cryptography: 35 MB) never stay in the
long-running tray; against a real Secret Service (gnome-keyring-daemon on a private bus)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CANARY_KEY, Home
from tests.support import secret_service
from tests.support.secret_service import SecretService, running_secret_service
from tests.support.waiting import poll_until
from tray_app.demo.server import DEMO_KEY, SimulatedAccount, SimulatedLensmorServer
from tray_app.keys.key_store import KeySource, KeyStore

#: What keyring's Linux backend imports; none of it may stay in the tray.
KEYRING_MODULES = ("keyring", "secretstorage", "jeepney", "cryptography")

needs_secret_service = pytest.mark.skipif(
    bool(secret_service.missing_tools()),
    reason=f"needs {', '.join(secret_service.missing_tools())} (scripts/system-packages.txt)",
)


@pytest.fixture
def secrets(home: Home) -> Iterator[SecretService]:
    with running_secret_service(home.root / "secret-service", home.env) as service:
        yield service


def store_in_keyring(home: Home, env: dict[str, str], account: str = "api-key") -> None:
    """Store DEMO_KEY in the Secret Service as `lensmor-tray key set` does (same service and
    user name), without the CLI's 3 s keyring timeout, which a loaded test machine can miss
    while gnome-keyring writes its first item."""
    code = (
        "import sys, keyring\n"
        f"keyring.set_password('lensmor-tray', {account!r}, sys.stdin.read())\n"
        "ring = keyring.get_keyring()\n"
        "print(*(type(b).__module__ for b in getattr(ring, 'backends', [ring])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=DEMO_KEY,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=home.root,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # The Secret Service backend (SecretStorage), alone or, where libsecret's typelib is
    # installed too (a GNOME desktop; the bundle's build), first in keyring's chain.
    assert done.stdout.split()[0] == "keyring.backends.SecretService", done.stdout


def with_secret_service(home: Home, service: SecretService) -> dict[str, str]:
    """The home's environment with keyring left to choose its backend: the Secret Service."""
    env = dict(home.env, **service.env())
    env.pop("PYTHON_KEYRING_BACKEND")
    return env


LOAD_KEY = """
import json, sys
from pathlib import Path
from tray_app.keys.key_store import KeyStore
in_child = sys.argv[2] == "child"
stored = KeyStore(Path(sys.argv[1]), read_keyring_in_child=in_child).load()
rss_kb = next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmRSS"))
print(json.dumps({
    "source": stored.source.name if stored else None,
    "same": stored is not None and stored.value == sys.argv[3],
    "masked": stored.masked if stored else None,
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[4].split(",")),
    "rss_mb": int(rss_kb) / 1024,
}))
"""


def load_key(home: Home, env: dict[str, str], how: str) -> dict[str, object]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_KEY,
            str(home.config_dir / "api-key"),
            how,
            DEMO_KEY,
            ",".join(KEYRING_MODULES),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=home.root,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert DEMO_KEY not in done.stdout + done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


@needs_secret_service
def test_a_key_in_the_secret_service_is_read_without_loading_keyring(
    home: Home, secrets: SecretService
) -> None:
    env = with_secret_service(home, secrets)
    store_in_keyring(home, env)

    in_child = load_key(home, env, "child")
    assert in_child["source"] == "KEYRING"
    assert in_child["same"] is True
    assert in_child["masked"] == DEMO_KEY[:4] + "…" + DEMO_KEY[-4:]
    assert in_child["loaded"] == []
    # The old way, for comparison: the same read in-process keeps all of it loaded.
    in_process = load_key(home, env, "process")
    assert in_process["source"] == "KEYRING"
    assert in_process["same"] is True
    assert set(in_process["loaded"]) >= {"keyring", "secretstorage"}  # type: ignore[arg-type]
    print(f"RSS after reading the key: {in_child['rss_mb']:.1f} MB (child), ", end="")
    print(f"{in_process['rss_mb']:.1f} MB (in-process)")


@needs_secret_service
def test_the_tray_polls_with_the_keyring_key_and_keeps_no_keyring_code(
    home: Home, secrets: SecretService
) -> None:
    env = with_secret_service(home, secrets)
    store_in_keyring(home, env)
    with SimulatedLensmorServer(SimulatedAccount()) as server:
        # No display: the tray runs headless and keeps polling (tray/headless.py).
        env.update(LENSMOR_BASE_URL=server.url, DISPLAY="", WAYLAND_DISPLAY="")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tray_app", "run"],
            env=env,
            cwd=home.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            log = home.root / ".local" / "state"

            def polled() -> str | None:
                logs = list(log.rglob("lensmor-tray.log"))
                text = logs[0].read_text(errors="replace") if logs else ""
                return text if " tray_app.runtime.monitor: poll: " in text else None

            def died() -> str | None:
                return None if proc.poll() is None else f"the tray exited with {proc.returncode}"

            text = poll_until(polled, 30.0, "the tray's first poll", alive=died)
            maps = Path(f"/proc/{proc.pid}/maps").read_text()
        finally:
            proc.terminate()
            proc.wait(10)
    masked = DEMO_KEY[:4] + "…" + DEMO_KEY[-4:]
    assert f"default: using the key {masked} from OS keyring" in text
    assert DEMO_KEY not in text
    # cryptography's Rust/OpenSSL extension would be mapped had keyring run in the tray.
    assert "cryptography" not in maps
    assert "secretstorage" not in maps


def keystore(
    home: Home, account: str = "default", *, environ: dict[str, str], timeout: float = 3.0
) -> KeyStore:
    return KeyStore(
        home.config_dir / "api-key",
        account,
        environ=environ,
        keyring_timeout=timeout,
        read_keyring_in_child=True,
    )


def file_keyring(home: Home, backend: str = "FileKeyring") -> dict[str, str]:
    return dict(
        home.env,
        PYTHON_KEYRING_BACKEND=f"tests.support.file_keyring.{backend}",
        TEST_KEYRING_FILE=str(home.root / "keyring.json"),
    )


def test_a_hanging_keyring_is_given_up_on_with_a_warning(home: Home) -> None:
    keys = keystore(home, environ=file_keyring(home, "HangingKeyring"), timeout=0.5)
    started = time.monotonic()
    assert keys.load() is None
    assert time.monotonic() - started < 10  # the child's own timeout, not the kill deadline
    assert any("did not answer within 0.5 s" in w for w in keys.warnings)


def test_no_keyring_or_a_broken_one_falls_back_to_the_key_file(home: Home) -> None:
    for backend in ("BrokenKeyring", None):
        env = file_keyring(home, backend) if backend else home.env  # home.env: fail backend
        keys = keystore(home, environ=env)
        assert keys.load() is None
        assert keys.warnings == []
    home.config_dir.mkdir(parents=True, exist_ok=True)
    (home.config_dir / "api-key").write_text(DEMO_KEY + "\n")
    (home.config_dir / "api-key").chmod(0o600)
    loaded = keystore(home, environ=file_keyring(home, "BrokenKeyring")).load()
    assert loaded is not None
    assert (loaded.value, loaded.source) == (DEMO_KEY, KeySource.FILE)


def test_each_account_reads_its_own_entry_and_the_child_never_gets_the_env_key(
    home: Home,
) -> None:
    env = file_keyring(home, "EnvironmentEchoKeyring")
    work_key = "uak_work0000000000zz11"
    entries = {"lensmor-tray/api-key": DEMO_KEY, "lensmor-tray/work": work_key}
    (home.root / "keyring.json").write_text(json.dumps(entries))
    env["LENSMOR_API_KEY"] = CANARY_KEY
    work = keystore(home, "work", environ=env).load()
    assert work is not None
    # The echo backend would have answered with the canary had the child been handed it.
    assert (work.value, work.source) == (work_key, KeySource.KEYRING)
    default = keystore(home, environ=env).load(include_environment=False)
    assert default is not None
    assert (default.value, default.source) == (DEMO_KEY, KeySource.KEYRING)
