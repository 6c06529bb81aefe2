"""Several accounts on one simulated server: per-account keys, stories, faults and control."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.waiting import poll_until
from tray_app.core.balance import parse_balance
from tray_app.core.levels import DEFAULT_THRESHOLDS, Level, level_for
from tray_app.demo.demo_accounts import (
    DEMO_ACCOUNTS,
    PERSONAL_DEMO_KEY,
    DemoAccount,
    simulated_demo_accounts,
)
from tray_app.demo.scenario import apply_step
from tray_app.demo.server import (
    BALANCE_PATH,
    DEMO_KEY,
    Fault,
    SimulatedAccount,
    SimulatedAccounts,
    SimulatedLensmorServer,
)

TIMEOUT = 5.0
REPO = Path(__file__).resolve().parents[3]
WORK_AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
PERSONAL_AUTH = {"Authorization": f"Bearer {PERSONAL_DEMO_KEY}"}


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer(accounts=simulated_demo_accounts()) as srv:
        yield srv


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def balance(http: requests.Session, server: SimulatedLensmorServer, auth: dict[str, str]) -> int:
    response = http.get(server.url + BALANCE_PATH, headers=auth, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return int(response.json()["totalBalance"])


def test_each_key_opens_its_own_account(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    assert list(server.accounts) == ["Work", "Personal"]
    server.accounts["Work"].set_balance(subscriptionBalance=1_000, giftBalance=0)
    server.accounts["Personal"].set_balance(subscriptionBalance=7_000, giftBalance=0)

    assert balance(http, server, WORK_AUTH) == 1_000
    assert balance(http, server, PERSONAL_AUTH) == 7_000
    # Each account logs only the requests its key made.
    assert len(server.accounts["Work"].requests) == 1
    assert len(server.accounts["Personal"].requests) == 1
    assert server.accounts["Personal"].requests[0].header("Authorization") == (
        f"Bearer {PERSONAL_DEMO_KEY}"
    )


def test_an_unknown_key_is_refused_and_logged_on_the_default_account(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    response = http.get(
        server.url + BALANCE_PATH,
        headers={"Authorization": "Bearer uak_nobody_000000000000"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 401
    assert response.json()["errorKey"] == "INVALID_API_KEY"
    assert server.account is server.accounts["Work"]
    assert len(server.accounts["Work"].requests) == 1
    assert server.accounts["Personal"].requests == []


def test_a_fault_queued_on_one_account_meets_only_that_accounts_key(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    control = server.url + "/_control/accounts/Personal/fault"
    response = http.post(control, json={"kind": "status", "status": 503}, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json()["pending_faults"] == [{"kind": "status", "status": 503}]

    # Work is served normally and does not consume Personal's fault.
    assert balance(http, server, WORK_AUTH) > 0
    hit = http.get(server.url + BALANCE_PATH, headers=PERSONAL_AUTH, timeout=TIMEOUT)
    assert hit.status_code == 503
    assert balance(http, server, PERSONAL_AUTH) > 0  # the fault was served once


def test_rate_limits_are_counted_per_account(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    url = server.url + "/_control/accounts/Work/rate_limit"
    assert http.post(url, json={"limit": 1, "window_s": 60}, timeout=TIMEOUT).status_code == 200
    assert balance(http, server, WORK_AUTH) > 0
    limited = http.get(server.url + BALANCE_PATH, headers=WORK_AUTH, timeout=TIMEOUT)
    assert limited.status_code == 429
    assert balance(http, server, PERSONAL_AUTH) > 0


def test_control_routes_address_accounts_by_name_and_default_to_the_first(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    before = balance(http, server, PERSONAL_AUTH)
    spent = http.post(server.url + "/_control/spend", json={"credits": 100}, timeout=TIMEOUT)
    assert spent.status_code == 200
    assert balance(http, server, PERSONAL_AUTH) == before  # the bare route is the default (Work)

    http.post(server.url + "/_control/accounts/Personal/spend", json={"credits": 250}, timeout=5)
    assert balance(http, server, PERSONAL_AUTH) == before - 250

    listing = http.get(server.url + "/_control/accounts", timeout=TIMEOUT)
    assert listing.status_code == 200
    names = [entry["name"] for entry in listing.json()["accounts"]]
    assert names == ["Work", "Personal"]
    assert PERSONAL_DEMO_KEY not in listing.text
    assert DEMO_KEY not in listing.text

    missing = http.get(server.url + "/_control/accounts/Holiday/state", timeout=TIMEOUT)
    assert missing.status_code == 404
    assert "Holiday" in missing.json()["message"]
    wrong_method = http.post(server.url + "/_control/accounts", timeout=TIMEOUT)
    assert wrong_method.status_code == 405
    refused = http.post(
        server.url + "/_control/accounts/Personal/spend", json={"credits": 10**9}, timeout=5
    )
    assert refused.status_code == 409


def test_an_account_name_with_a_space_is_addressed_url_encoded(http: requests.Session) -> None:
    accounts = {"Client A": SimulatedAccount(valid_keys=("uak_client_a_00000000000",))}
    with SimulatedLensmorServer(accounts=accounts) as srv:
        url = srv.url + "/_control/accounts/Client%20A/gift"
        assert http.post(url, json={"credits": 5}, timeout=TIMEOUT).status_code == 200
        assert srv.accounts["Client A"].snapshot()["giftBalance"] == 55


def test_a_python_fault_on_one_account_leaves_the_other_alone(
    server: SimulatedLensmorServer, http: requests.Session
) -> None:
    server.accounts["Work"].inject(Fault.drop())
    assert balance(http, server, PERSONAL_AUTH) > 0
    with pytest.raises(requests.ConnectionError):
        http.get(server.url + BALANCE_PATH, headers=WORK_AUTH, timeout=TIMEOUT)


def test_bad_account_sets_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one account"):
        SimulatedAccounts({})
    with pytest.raises(ValueError, match="without '/'"):
        SimulatedAccounts({"a/b": SimulatedAccount()})
    with pytest.raises(ValueError, match="either account or accounts"):
        SimulatedLensmorServer(SimulatedAccount(), accounts={"x": SimulatedAccount()})


def _levels(demo: DemoAccount) -> list[Level]:
    account = SimulatedAccount(valid_keys=(demo.key,))
    levels = []
    for step in demo.steps:
        apply_step(account, step, demo.start)
        levels.append(level_for(parse_balance(account.snapshot()), DEFAULT_THRESHOLDS))
    return levels


def test_the_two_demo_stories_differ() -> None:
    work, personal = DEMO_ACCOUNTS
    assert (work.name, personal.name) == ("Work", "Personal")
    assert work.key != personal.key
    work_levels = _levels(work)
    assert Level.LOW in work_levels
    assert Level.CRITICAL in work_levels
    personal_levels = _levels(personal)
    assert set(personal_levels) == {Level.OK}  # calm: never low
    assert any(step.action == "gift" for step in personal.steps)


def test_the_command_line_serves_both_demo_accounts() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app.demo.server", "--demo-accounts", "--scenario"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", proc.stdout.readline())
        assert match
        url = match.group(1) + BALANCE_PATH
        with requests.Session() as http:

            def total(auth: dict[str, str]) -> int:
                return int(http.get(url, headers=auth, timeout=TIMEOUT).json()["totalBalance"])

            # Each story's first step: Work 30,050 of 35,050; Personal 8,000 of 10,000.
            poll_until(lambda: total(WORK_AUTH) == 30_050, TIMEOUT, "Work's story started")
            poll_until(lambda: total(PERSONAL_AUTH) == 8_000, TIMEOUT, "Personal's story")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
