"""The README's hook recipes and nightly guard, copied as a user would, each run against a local
stand-in: a loopback HTTP server for ntfy and the chat webhook (with the real curl), a
`sendmail` and a `systemctl` on PATH that record what they get. The ntfy recipe also runs in
the real app, from a low balance on the simulated API to the push."""

from __future__ import annotations

import email
import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import REPO, Home, run_cli
from tests.scenarios.reload_rig import tray_process
from tests.support.hook_recorder import SCHEMA
from tray_app.demo.server import SimulatedAccount, SimulatedLensmorServer

SNIPPET = re.compile(r"<!-- snippet: (?P<name>[\w-]+) -->\n```\w*\n(?P<body>.*?)```", re.S)
NTFY_URL = "https://ntfy.sh/lensmor-x7Kq2"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXX"
KEY = "uak_recipesrecipesrecipe0000dddd"

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def snippets() -> dict[str, str]:
    return {m["name"]: m["body"] for m in SNIPPET.finditer((REPO / "README.md").read_text())}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StandIn:
    url: str
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    """A loopback HTTP server that answers 200 to every POST and keeps it."""
    got: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            got.append(Received(self.path, dict(self.headers.items()), self.rfile.read(length)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StandIn(f"http://127.0.0.1:{server.server_address[1]}", got)
    finally:
        server.shutdown()
        server.server_close()


def _fake(home: Home, program: str) -> Path:
    """`program` on the home's PATH: records its argv, stdin and environment under
    home/<program>.*."""
    bin_dir = home.root / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / program
    argv, stdin = home.root / f"{program}.argv", home.root / f"{program}.stdin"
    env = home.root / f"{program}.env"
    script.write_text(f'#!/bin/sh\necho "$@" >> {argv}\ncat >> {stdin}\nenv >> {env}\n')
    script.chmod(0o755)
    home.env["PATH"] = f"{bin_dir}:{home.env['PATH']}"
    return home.root / program


def test_the_readme_has_the_four_recipes_and_the_nightly_guard() -> None:
    assert {"hook-ntfy", "hook-webhook", "hook-email", "hook-systemd", "guard-nightly"} <= set(
        snippets()
    )
    ntfy = snippets()["hook-ntfy"].strip().splitlines()
    assert len(ntfy) <= 4  # "four lines of config"


@needs_curl
def test_ntfy_recipe_posts_the_event_with_its_title_template(home: Home, stand_in: StandIn) -> None:
    home.write_config(snippets()["hook-ntfy"].replace(NTFY_URL, f"{stand_in.url}/lensmor-x7Kq2"))
    result = run_cli(home, "hooks", "test", "low")
    assert result.code == 0, result.out + result.err
    [post] = stand_in.received
    url = urlsplit(post.path)
    assert url.path == "/lensmor-x7Kq2"
    query = parse_qs(url.query)
    body = json.loads(post.body)
    # What ntfy's templating makes of it: the notification's title and text.
    assert query["tpl"] == ["1"]
    assert query["t"][0].replace("{{.title}}", body["title"]) == "Lensmor hook test: low"
    assert query["m"][0].replace("{{.text}}", body["text"]).startswith("A sample low event")
    assert set(body) == set(SCHEMA["required"])


@needs_curl
def test_webhook_recipe_posts_slack_style_text(home: Home, stand_in: StandIn) -> None:
    home.write_config(snippets()["hook-webhook"].replace(SLACK_URL, f"{stand_in.url}/hook"))
    assert run_cli(home, "hooks", "test", "empty").code == 0
    [post] = stand_in.received
    assert post.headers["Content-Type"] == "application/json"
    assert json.loads(post.body) == {
        "text": "Lensmor hook test: empty: A sample empty event sent by `lensmor-tray hooks test`."
    }


def test_email_recipe_hands_sendmail_a_mail_with_the_title_as_subject(home: Home) -> None:
    recorded = _fake(home, "sendmail")
    assert "/usr/sbin/sendmail -t" in snippets()["hook-email"]  # not on a user's PATH
    home.write_config(
        snippets()["hook-email"].replace(
            "/usr/sbin/sendmail", str(recorded.parent / "fakebin" / "sendmail")
        )
    )
    result = run_cli(home, "hooks", "test", "rejected_key", env={"LANG": "de_DE.UTF-8"})
    assert result.code == 0, result.out + result.err
    assert recorded.with_suffix(".argv").read_text().split() == ["-t"]
    mail = email.message_from_string(recorded.with_suffix(".stdin").read_text())
    assert mail["To"] == "me@example.com"
    assert str(email.header.make_header(email.header.decode_header(mail["Subject"]))) == (
        "Lensmor-Hook-Test: rejected_key"  # in the user's language
    )
    assert "lensmor-tray hooks test" in mail.get_payload(decode=True).decode()


def test_systemd_recipe_stops_the_timer_when_low_and_starts_it_when_renewed(home: Home) -> None:
    recorded = _fake(home, "systemctl")
    session = {
        "XDG_RUNTIME_DIR": str(home.root / "run"),
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={home.root / 'run' / 'bus'}",
    }
    home.env.update({**session, "LENSMOR_API_KEY": KEY})
    home.write_config(snippets()["hook-systemd"])
    assert run_cli(home, "hooks", "test", "critical").code == 0
    assert run_cli(home, "hooks", "test", "renewed").code == 0
    assert run_cli(home, "hooks", "test", "low").code == 1  # no hook on low
    assert recorded.with_suffix(".argv").read_text().splitlines() == [
        "--user stop unlock-batch.timer",
        "--user start unlock-batch.timer",
    ]
    # What systemctl --user needs to reach the user manager arrives; the key does not.
    env = recorded.with_suffix(".env").read_text().splitlines()
    assert {f"{name}={value}" for name, value in session.items()} <= set(env)
    assert not any("LENSMOR_API_KEY" in line or KEY in line for line in env)


def test_the_nightly_guard_runs_the_batch_only_with_enough_credits(home: Home) -> None:
    bin_dir = home.root / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "lensmor-tray"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m tray_app "$@"\n')
    shim.chmod(0o755)
    job = home.root / "nightly-unlock.sh"
    job.write_text(snippets()["guard-nightly"])
    batch = home.root / "unlock-batch.sh"
    batch.write_text("#!/bin/sh\necho unlocked >> batch.log\n")
    batch.chmod(0o755)
    account = SimulatedAccount(total_subscription=10_000, gift=0, valid_keys=(KEY,))
    account.spend(4_000)
    with SimulatedLensmorServer(account) as server:
        env = {
            **home.env,
            "PATH": f"{bin_dir}:{home.env['PATH']}",
            "LENSMOR_BASE_URL": server.url,
            "LENSMOR_API_KEY": KEY,
        }

        def nightly() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["sh", str(job)], cwd=home.root, env=env, capture_output=True, text=True,
                timeout=60, check=False,
            )  # fmt: skip

        assert nightly().returncode == 0  # 6,000 left
        account.spend(2_000)
        refused = nightly()
        assert refused.returncode == 1  # 4,000 left
        assert "not running ./unlock-batch.sh" in refused.stderr
    assert (home.root / "batch.log").read_text() == "unlocked\n"


@needs_curl
def test_the_running_app_pushes_the_low_balance_alert_with_the_ntfy_recipe(
    home: Home, stand_in: StandIn
) -> None:
    account = SimulatedAccount(total_subscription=10_000, gift=0, valid_keys=(KEY,))
    account.spend(8_500)  # 15 % left
    with SimulatedLensmorServer(account) as server:
        home.write_config(snippets()["hook-ntfy"].replace(NTFY_URL, f"{stand_in.url}/t"))
        home.env.update({"LENSMOR_BASE_URL": server.url, "LENSMOR_API_KEY": KEY})
        with tray_process(home) as tray:
            tray.wait_for(lambda: stand_in.received, 30, "the push")
    [post] = stand_in.received
    body = json.loads(post.body)
    assert body["event"] == "low"
    assert (
        parse_qs(urlsplit(post.path).query)["t"][0].replace("{{.title}}", body["title"])
        == "Lensmor credits low"
    )
