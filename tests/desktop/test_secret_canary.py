"""A canary key goes through a whole run and must end up in exactly one place: the 0600 key file.

One temporary HOME (the desktop session's, with its TMPDIR, XDG and runtime dirs) sees
`key set`, `status` and `status --json` against the simulated API, every kind of failure
(503, a dropped connection, a malformed body, an HTML error page, a redirect to another host,
a 429 with Retry-After, a rejected key), the real tray app on a real tray host for several polls
with failures, SIGUSR1 and SIGHUP, `history --json`, `autostart enable`, `paths`, `key show`,
and `lensmor-tray demo`. While the apps run, their /proc cmdline and environ are read.
Afterwards every byte under the session's directory (HOME, TMPDIR with pystray's PNGs, the
SQLite history, state, logs, the autostart entry, the harness's logs including the D-Bus
notification record) and every captured stdout/stderr is searched for the key in raw,
URL-encoded, hex and base64 forms, and for its middle part (a truncated or half-masked copy).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import signal
import sqlite3
import stat
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from tests.conftest import CANARY_KEY, REPO, CliResult, Home, run_cli
from tests.support.waiting import poll_until
from tray_app.demo.server import Fault, SimulatedLensmorServer

from .harness import DesktopSession

# What `key show` must print for the canary: the prefix, an ellipsis and the last four only.
MASKED = "uak_…" + CANARY_KEY[-4:]


def leak_forms(key: str) -> dict[str, bytes]:
    """Byte strings that would reveal `key`, by name.

    base64 depends on where the key sits in the encoded text: whatever the offset, one of the
    three suffixes key[0:], key[1:], key[2:] starts on a 3-byte group boundary, and its whole
    groups then appear verbatim in the encoding.
    """
    raw = key.encode()
    forms = {
        "raw": raw,
        "url-encoded": quote(key, safe="").encode(),
        "form-encoded": quote_plus(key).encode(),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
        # A copy that lost its prefix or its last characters (truncated, badly masked).
        "middle": raw[4:-4],
    }
    for shift in range(3):
        chunk = raw[shift:]
        chunk = chunk[: len(chunk) - len(chunk) % 3]
        forms[f"base64@{shift}"] = base64.b64encode(chunk)
        forms[f"base64url@{shift}"] = base64.urlsafe_b64encode(chunk)
    return forms


def forms_in(data: bytes, forms: dict[str, bytes]) -> set[str]:
    return {name for name, needle in forms.items() if needle in data}


def files_under(root: Path) -> list[Path]:
    """Every regular file below `root` (sockets, FIFOs and symlinks are not data we wrote)."""
    found = []
    for dirpath, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(dirpath) / name
            if stat.S_ISREG(path.lstat().st_mode):
                found.append(path)
    return found


def proc_bytes(pid: int, what: str) -> bytes:
    return Path(f"/proc/{pid}/{what}").read_bytes()


@pytest.mark.desktop
def test_a_canary_key_ends_up_only_in_the_0600_key_file(desktop: DesktopSession) -> None:
    forms = leak_forms(CANARY_KEY)
    outputs: list[tuple[str, str]] = []  # (what, text) of every captured stdout and stderr

    with SimulatedLensmorServer() as server:
        server.account.set_valid_keys([CANARY_KEY])
        server.account.set_balance(
            subscriptionAmount=35000, subscriptionBalance=30000, giftAmount=50, giftBalance=50
        )
        env = dict(desktop.env)
        env.update(
            PYTHONPATH=str(REPO),
            LENSMOR_BASE_URL=server.url,
            # No OS keyring: the key must go to the 0600 fallback file, the one allowed place.
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            PYTHONDONTWRITEBYTECODE="1",
        )
        assert "LENSMOR_API_KEY" not in env
        home = Home(desktop.home, env)
        key_file = home.config_dir / "api-key"

        def cli(*args: str, input_text: str | None = None) -> CliResult:
            result = run_cli(home, *args, input_text=input_text)
            outputs.append((f"`{' '.join(args)}` stdout", result.out))
            outputs.append((f"`{' '.join(args)}` stderr", result.err))
            assert "Traceback" not in result.err, result.err
            return result

        def bearer_requests() -> int:
            return sum(
                r.header("Authorization") == f"Bearer {CANARY_KEY}" for r in server.account.requests
            )

        # 1. Store it: no keyring here, so the 0600 file.
        stored = cli("key", "set", input_text=CANARY_KEY + "\n")
        assert stored.code == 0, stored.err
        assert MASKED in stored.out
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key_file.read_text() == CANARY_KEY + "\n"

        # 2. Use it: the key really travels (so "absent elsewhere" is not vacuous).
        plain = cli("status")
        assert plain.code == 0, plain.err
        assert "Lensmor credits: 30,050 of 35,050" in plain.out
        as_json = cli("status", "--json")
        assert as_json.code == 0, as_json.err
        assert json.loads(as_json.out)["totalBalance"] == 30050
        assert bearer_requests() == 2

        # 3. Every kind of failure, each one clean line with the documented exit code.
        failures: list[tuple[str, Fault, int]] = [
            ("503", Fault.status(503), 4),
            ("drop", Fault.drop(), 4),
            ("malformed JSON", Fault.body(b'{"totalBalance": 12, "subscr'), 4),
            (
                "HTML error page",
                Fault.body(b"<html><body>502 Bad Gateway</body></html>", 502, "text/html"),
                4,
            ),
            ("redirect elsewhere", Fault.redirect("https://127.0.0.2:9/steal"), 4),
            ("429", Fault.status(429, headers={"Retry-After": "7"}), 5),
        ]
        for what, fault, code in failures:
            server.account.inject(fault)
            failed = cli("status")
            assert failed.code == code, f"{what}: {failed.err}"
            assert len(failed.err.strip().splitlines()) == 1, f"{what}: {failed.err}"
        server.account.set_valid_keys([])
        rejected = cli("status", "--json")
        assert rejected.code == 3, rejected.err
        assert "rejected" in rejected.err
        assert bearer_requests() == 2 + len(failures) + 1
        server.account.set_valid_keys([CANARY_KEY])

        # 4. The real tray app, its key read from the stored file (not the environment).
        app_env = dict(env, LENSMOR_TRAY_PACING="demo", PYSTRAY_BACKEND="appindicator")
        app = desktop.popen(
            [sys.executable, "-m", "tray_app", "-v", "run"], env=app_env, name="lensmor-tray"
        )
        desktop.wait_for_output(app, "poll: ", timeout=20)
        desktop.wait_for_tray_icon(timeout=10)
        assert f"using the key {MASKED} from file" in desktop.log_of(app)
        seen_before_app = bearer_requests()
        assert seen_before_app > 2 + len(failures) + 1

        def app_proc_is_clean(pid: int) -> None:
            # The key is in neither the arguments nor the environment a `ps e` would show.
            assert forms_in(proc_bytes(pid, "cmdline"), forms) == set()
            assert forms_in(proc_bytes(pid, "environ"), forms) == set()

        app_proc_is_clean(app.pid)

        def failed_polls() -> int:
            return desktop.log_of(app).count("poll failed:")

        def failed_since(before: int) -> bool | None:
            # A new failure, and the poll that met it has finished (its "poll:" line is
            # logged after the state is saved), so the next signal is not joined to it.
            log = desktop.log_of(app)
            done = log.count("poll failed:") > before and log.rfind("poll: ") > log.rfind(
                "poll failed:"
            )
            return done or None

        app_failures = [
            Fault.status(503),
            Fault.drop(),
            Fault.body(b"{not json"),
            Fault.status(429, headers={"Retry-After": "1"}),
        ]
        for fault in app_failures:
            before = failed_polls()
            server.account.inject(fault)
            os.kill(app.pid, signal.SIGUSR1)
            poll_until(
                functools.partial(failed_since, before),
                20,
                f"the app to report the {fault.kind} failure",
            )
        # SIGHUP re-reads the config and the key (from the file again).
        os.kill(app.pid, signal.SIGHUP)
        desktop.wait_for_output(app, "reloaded the config and the key", timeout=10)
        assert desktop.log_of(app).count(f"using the key {MASKED} from file") == 2
        app_proc_is_clean(app.pid)

        server.account.set_valid_keys([])
        before = failed_polls()
        os.kill(app.pid, signal.SIGUSR1)
        poll_until(lambda: failed_since(before), 20, "the rejected-key poll")
        app_proc_is_clean(app.pid)
        assert bearer_requests() > seen_before_app + len(app_failures)
        os.kill(app.pid, signal.SIGTERM)
        assert app.wait(timeout=15) == 0
        assert "Traceback" not in desktop.log_of(app)
        server.account.set_valid_keys([CANARY_KEY])

        # 5. The remaining commands.
        history = cli("history", "--json")
        assert history.code == 0, history.err
        json.loads(history.out)
        enabled = cli("autostart", "enable")
        assert enabled.code == 0, enabled.out + enabled.err
        entry = desktop.home / ".config" / "autostart" / "lensmor-tray.desktop"
        assert entry.is_file()
        assert cli("paths").code == 0
        shown = cli("key", "show")
        assert shown.code == 0, shown.err
        assert shown.out.strip() == f"{MASKED} (from file: {key_file})"

    # 6. The demo: its own simulated API and demo key; the stored canary must not surface.
    demo = desktop.popen(
        [sys.executable, "-m", "tray_app", "-v", "demo"],
        env=dict(env, PYSTRAY_BACKEND="appindicator"),
        name="demo",
    )
    desktop.wait_for_output(demo, "poll: ", timeout=20)
    app_proc_is_clean(demo.pid)
    os.kill(demo.pid, signal.SIGTERM)
    assert demo.wait(timeout=15) == 0
    assert "Traceback" not in desktop.log_of(demo)

    # 7. The search. These must exist, or "the key is not in them" proves nothing.
    data_dir = desktop.home / ".local" / "share" / "lensmor-tray"
    log_file = desktop.home / ".local" / "state" / "lensmor-tray" / "log" / "lensmor-tray.log"
    for must in [
        data_dir / "history.sqlite3",
        # The demo's two accounts (Work, Personal) keep one history each (issue 12).
        data_dir / "demo" / "accounts" / "work" / "history.sqlite3",
        data_dir / "demo" / "accounts" / "personal" / "history.sqlite3",
        log_file,
        entry,
        desktop.monitor_log,
    ]:
        assert must.is_file(), f"{must} was not written: the search would miss it"
    assert "using the key" in log_file.read_text()
    # The state and the balances live in the SQLite history: check they were written.
    with contextlib.closing(
        sqlite3.connect(f"file:{data_dir / 'history.sqlite3'}?mode=ro", uri=True)
    ) as db:
        assert db.execute("SELECT count(*) FROM app_state").fetchone()[0] >= 1

    found: dict[str, set[str]] = {}
    for path in files_under(desktop.root):
        hits = forms_in(path.read_bytes(), forms)
        if hits:
            found[str(path)] = hits
    for what, text in outputs:
        hits = forms_in(text.encode(), forms)
        if hits:
            found[what] = hits

    in_key_file = forms_in(key_file.read_bytes(), forms)
    assert in_key_file >= {"raw", "middle"}
    assert found == {str(key_file): in_key_file}, f"the canary leaked: {found}"
    assert key_file.read_bytes().count(CANARY_KEY.encode()) == 1
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "status",
    [
        401,
        429,
        418,
    ],
)
def test_an_error_message_echoing_the_key_is_neither_logged_nor_printed(
    home: Home, status: int
) -> None:
    """A proxy or gateway that puts the bearer token into its error message (it happens:
    "invalid token uak_...") must not make the app log the key or the CLI print it."""
    from tray_app.api.client import ApiError, LensmorClient

    body = json.dumps(
        {
            "code": status,
            "message": f"token {CANARY_KEY} is not valid here",
            "errorKey": "X",
            "traceId": "t-1",
        }
    ).encode()
    fault = Fault.status(status, body=body, headers={"Retry-After": "3"})
    with SimulatedLensmorServer() as server:
        server.account.inject(fault)
        client = LensmorClient(server.url, CANARY_KEY)
        try:
            with pytest.raises(ApiError) as caught:
                client.fetch_balance()
        finally:
            client.close()
        server.account.inject(fault)
        result = run_cli(
            home,
            "status",
            env={"LENSMOR_API_KEY": CANARY_KEY, "LENSMOR_BASE_URL": server.url},
        )
    assert result.code in (3, 4, 5), result.err
    # str(exc) is what the tray app logs for a failed poll (and exc.message its "poll:" line).
    texts = {"the error the app logs": str(caught.value), "CLI stderr": result.err}
    texts["CLI stdout"] = result.out
    leaked = {
        what for what, text in texts.items() if forms_in(text.encode(), leak_forms(CANARY_KEY))
    }
    assert leaked == set(), texts
