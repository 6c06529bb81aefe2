"""Read one password from the OS keyring in a short-lived child process.

Why: the `keyring` package picks its backend by importing every installed one; on Linux the
Secret Service backend brings SecretStorage, jeepney and `cryptography` (OpenSSL bindings).
Measured in a bare interpreter reading a key from a real GNOME Keyring: 46 MB RSS against 11
MB for `pass`. The tray reads its keys once at start (and again on a reload) and then runs for
days, so it reads them through a child that exits at once and takes that memory with it
(issue 9's idle-RSS target; docs/benchmarks.md).

The key never travels in argv or the environment: the child is told the service and user
name (not secrets) in argv, and prints one JSON line on its standard output, a pipe only the
parent reads. Its environment is the parent's without LENSMOR_API_KEY. A keyring that does not
answer (locked, waiting for the user at login) is given up on inside the child after the
caller's timeout; the parent kills a child that does not finish within that timeout plus
`CHILD_START_ALLOWANCE_S` (interpreter start-up and imports on a loaded machine).

A frozen bundle (PyInstaller) has no interpreter to start with `-m`: there the caller reads
in its own process (`can_read_in_child()` is False).

    python -m tray_app.keys.keyring_child SERVICE USERNAME TIMEOUT_S
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

#: Start-up time the child gets on top of the keyring's own timeout before it is killed.
CHILD_START_ALLOWANCE_S = 10.0
MODULE = "tray_app.keys.keyring_child"
#: Never handed to the child (it needs no key and must not hold one).
_SECRET_ENV = ("LENSMOR_API_KEY",)


class KeyringTimedOut(Exception):
    """The keyring did not answer within the timeout (or the child did not finish)."""


class KeyringFailed(Exception):
    """No keyring, or it failed; the message is an exception type name, never a value."""


def can_read_in_child() -> bool:
    return not getattr(sys, "frozen", False)


def read_in_child(
    service: str, username: str, timeout: float, *, environ: Mapping[str, str] | None = None
) -> str | None:
    """The password, None if there is none; raises KeyringTimedOut or KeyringFailed."""
    env = {k: v for k, v in (os.environ if environ is None else environ).items()}
    for name in _SECRET_ENV:
        env.pop(name, None)
    argv = [sys.executable, "-m", MODULE, service, username, f"{timeout:g}"]
    try:
        done = subprocess.run(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout + CHILD_START_ALLOWANCE_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed it
        raise KeyringTimedOut("the keyring reader did not finish") from exc
    except OSError as exc:
        raise KeyringFailed(type(exc).__name__) from exc
    return _parse_answer(done.stdout, done.returncode)


def _parse_answer(stdout: bytes, returncode: int) -> str | None:
    try:
        answer = json.loads(stdout.decode("utf-8").strip().splitlines()[-1])
        status = answer["status"]
    except (ValueError, IndexError, KeyError, TypeError, UnicodeDecodeError):
        raise KeyringFailed(f"the keyring reader exited with {returncode}") from None
    if status == "timeout":
        raise KeyringTimedOut("the keyring did not answer")
    if status != "ok":
        raise KeyringFailed(str(answer.get("error", "error")))
    password = answer.get("password")
    return password if isinstance(password, str) else None


def main(argv: Sequence[str]) -> int:
    """The child: read one password and print the answer as one JSON line."""
    service, username, timeout = argv[0], argv[1], float(argv[2])
    from tray_app.support.bounded import CallTimedOut, call_with_timeout

    try:
        import keyring

        value = call_with_timeout(keyring.get_password, timeout, service, username, name="keyring")
    except CallTimedOut:
        answer: dict[str, object] = {"status": "timeout"}
    except Exception as exc:  # noqa: BLE001 - any backend failure means "no keyring"
        answer = {"status": "error", "error": type(exc).__name__}
    else:
        answer = {"status": "ok", "password": value}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
    # Not a normal exit: a keyring call abandoned after the timeout may still hold a lock
    # that interpreter shutdown would wait on.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
