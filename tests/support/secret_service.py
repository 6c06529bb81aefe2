"""A real Secret Service for tests: gnome-keyring-daemon on a private session bus.

The bus activates nothing (the desktop harness's configuration); gnome-keyring-daemon is
started by hand with only its `secrets` component, in the foreground, and unlocked with a
password on its standard input (on first use that creates the `login` keyring with it, as a
PAM login would). Ready when `org.freedesktop.secrets` has an owner. Both are stopped by PID
in reverse order. `keyring`'s SecretService backend (SecretStorage + jeepney) then reads and
writes real items over that bus, exactly as on a GNOME or KDE desktop.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.desktop.harness import BUS_CONFIG
from tests.support.waiting import poll_until

TOOLS = ("dbus-daemon", "dbus-send", "gnome-keyring-daemon")
SECRETS_NAME = "org.freedesktop.secrets"


@dataclass(frozen=True)
class SecretService:
    bus_address: str

    def env(self) -> dict[str, str]:
        """What a child needs to use it (keyring picks its SecretService backend itself)."""
        return {"DBUS_SESSION_BUS_ADDRESS": self.bus_address}


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _has_owner(bus_address: str, name: str) -> bool:
    done = subprocess.run(
        [
            "dbus-send",
            f"--bus={bus_address}",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            f"string:{name}",
        ],
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    return done.returncode == 0 and "boolean true" in done.stdout


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextmanager
def running_secret_service(root: Path, env: dict[str, str]) -> Iterator[SecretService]:
    """Start both daemons with `env` (a test HOME's: the keyring files go under its
    XDG_DATA_HOME); stop them on exit."""
    root.mkdir(parents=True, exist_ok=True)
    # The socket in a short folder of its own: a unix socket path is limited to 107 bytes,
    # and a test's tmp_path under pytest-xdist (…/popen-gw1/test_a_long_name0/…) exceeds it.
    socket_dir = Path(tempfile.mkdtemp(prefix="lt-secrets-"))
    socket = socket_dir / "bus"
    config = root / "secrets-bus.conf"
    config.write_text(BUS_CONFIG.format(socket=socket))
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    keyring_daemon: subprocess.Popen[bytes] | None = None
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        if not address:
            raise RuntimeError("dbus-daemon printed no address")
        daemon_env = dict(env, DBUS_SESSION_BUS_ADDRESS=address)
        keyring_daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            env=daemon_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert keyring_daemon.stdin is not None
        keyring_daemon.stdin.write(b"test-login-password")
        keyring_daemon.stdin.close()

        def died() -> str | None:
            assert keyring_daemon is not None
            code = keyring_daemon.poll()
            return None if code is None else f"gnome-keyring-daemon exited with {code}"

        poll_until(
            lambda: _has_owner(address, SECRETS_NAME), 15.0, "the Secret Service", alive=died
        )
        yield SecretService(address)
    finally:
        if keyring_daemon is not None:
            _stop(keyring_daemon)
        with suppress(OSError):
            _stop(bus)
        if bus.stdout is not None:
            bus.stdout.close()
        shutil.rmtree(socket_dir, ignore_errors=True)
