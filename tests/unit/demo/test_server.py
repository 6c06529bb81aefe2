"""The simulated Lensmor API server itself: closing it promptly, and its command line."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.support.waiting import poll_until
from tests.unit.demo.api_helpers import TIMEOUT, FakeClock, get_balance
from tray_app.demo.server import BALANCE_PATH, Fault, SimulatedLensmorServer
from tray_app.demo.server import main as server_main

REPO = Path(__file__).resolve().parents[3]


def test_close_does_not_hang_on_a_stalled_request_or_an_idle_connection(
    clock: FakeClock,
) -> None:
    server = SimulatedLensmorServer(clock=clock).start()
    outcome: list[BaseException | int] = []
    with requests.Session() as idle, requests.Session() as stalled:
        assert get_balance(idle, server).status_code == 200  # now idle in the pool
        server.account.inject(Fault.stall())

        def stall() -> None:
            try:
                outcome.append(get_balance(stalled, server, timeout=30).status_code)
            except requests.RequestException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=stall)
        thread.start()
        poll_until(lambda: len(server.account.requests) >= 2, TIMEOUT, "both requests arrived")
        assert len(server.account.requests) == 2

        started = time.monotonic()
        server.close()
        assert time.monotonic() - started < 1.0
        thread.join(TIMEOUT)
        assert not thread.is_alive()
        assert len(outcome) == 1
        assert isinstance(outcome[0], requests.ConnectionError)
        with pytest.raises(requests.ConnectionError):
            get_balance(idle, server)


def test_the_command_line_serves_until_sigterm() -> None:
    key = "uak_cli_test_key_0000000042"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app.demo.server", "--key", key, "--scenario"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        url = match.group(1)
        with requests.Session() as http:
            response = http.get(
                url + BALANCE_PATH, headers={"Authorization": f"Bearer {key}"}, timeout=TIMEOUT
            )
            assert response.status_code == 200
            # --scenario: the story's first step puts the balance at 30,050 of 35,050.
            poll_until(
                lambda: (
                    http.get(
                        url + BALANCE_PATH,
                        headers={"Authorization": f"Bearer {key}"},
                        timeout=TIMEOUT,
                    ).json()["totalBalance"]
                    == 30_050
                ),
                TIMEOUT,
                "the scenario's first balance",
                interval=0.05,
            )
            assert key not in http.get(url + "/_control/state", timeout=TIMEOUT).text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0
        assert key not in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_the_command_line_says_so_when_the_port_is_taken(
    server: SimulatedLensmorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert server_main(["--port", str(server.port)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"cannot listen on 127.0.0.1:{server.port}: ")
