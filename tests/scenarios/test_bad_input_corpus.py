"""Bad input (issue 6), the named corpus: malformed and hostile API answers never crash the
app and never put a number on screen that the API did not send.

The named corpus (tests/corpus/responses/cases.py, over 100 answers) is served by the real
simulated API over loopback to the real `LensmorClient`: it raises the documented `ApiError`
subclass and nothing else, and odd but valid answers give exactly the numbers sent. What the
user sees from `lensmor-tray status` for some of them is one line, no traceback. The same
corpus through the `Monitor` is in test_bad_input_monitor.py.
"""

from __future__ import annotations

import pytest

from tests.conftest import Home, run_cli
from tests.corpus.responses.cases import ACCEPTED, CASES, Accepted, Case
from tests.scenarios.bad_answers import (
    FAST,
    FIELDS,
    corpus_params,
    fixture_server,  # noqa: F401 (the `server` fixture)
)
from tray_app.api.client import ApiError, BadResponse, LensmorClient
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer

# --- the named corpus: the client -----------------------------------------------------------


def test_the_corpus_is_large_named_and_covers_the_issue_list() -> None:
    names = [case.name for case in CASES]
    assert len(names) >= 50
    assert len(set(names)) == len(names)
    for topic in ("missing", "boolean", "nan", "infinity", "huge", "negative", "above_amount",
                  "in_seconds", "html", "empty", "truncated", "xml", "ok_with", "204", "302",
                  "418", "451", "599", "nested", "duplicate", "bom", "utf8", "gzip"):  # fmt: skip
        assert any(topic in name for name in names), topic


@pytest.mark.parametrize("case", corpus_params(CASES, "client"))
def test_the_client_raises_the_documented_api_error_and_nothing_else(
    server: SimulatedLensmorServer, case: Case
) -> None:
    account = server.account
    account.clear_faults()
    before = len(account.requests)
    account.inject(case.fault)
    client = LensmorClient(server.url, DEMO_KEY, **FAST)
    try:
        with pytest.raises(ApiError) as info:
            client.fetch_balance()
        error = info.value
        assert isinstance(error, case.raises), repr(error)
        if case.field is not None:
            assert isinstance(error, BadResponse)
            assert error.field == case.field
            assert case.field in str(error)
        text = str(error)
        assert "\n" not in text
        assert len(text) < 600
        assert DEMO_KEY not in text
        # One request: no retry, no redirect followed. And the connection is not poisoned:
        # the next poll on the same client reads the real balance.
        assert len(account.requests) == before + 1
        assert client.fetch_balance().balance.to_api_dict() == account.snapshot()
    finally:
        client.close()


@pytest.mark.parametrize("odd", [pytest.param(a, id=a.name) for a in ACCEPTED])
def test_odd_but_valid_answers_give_exactly_the_numbers_sent(
    server: SimulatedLensmorServer, odd: Accepted
) -> None:
    server.account.clear_faults()
    server.account.inject(odd.fault)
    client = LensmorClient(server.url, DEMO_KEY, **FAST)
    try:
        got = client.fetch_balance().balance.to_api_dict()
    finally:
        client.close()
    assert got == odd.expected
    for name in FIELDS:
        # 35050.0 stays a float and 35050 an int: nothing is rounded or re-typed on the way.
        assert type(got[name]) is type(odd.expected[name]), name


# --- what the user sees from `lensmor-tray status` ------------------------------------------

CLI_CASES = {case.name: case for case in CASES}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("nan_token", 4),
        ("balance_above_amount", 4),
        ("html_error_page_with_200", 4),
        ("teapot_418_with_numbers_in_the_message", 4),
        ("maintenance_503_html", 4),
        ("retry_after_a_century", 5),
        ("retry_after_not_a_number_nor_a_date", 5),
    ],
)
def test_status_reports_a_bad_answer_in_one_line_without_a_traceback(
    home: Home, server: SimulatedLensmorServer, name: str, code: int
) -> None:
    server.account.clear_faults()
    server.account.inject(CLI_CASES[name].fault)
    result = run_cli(
        home, "status", env={"LENSMOR_BASE_URL": server.url, "LENSMOR_API_KEY": DEMO_KEY}
    )
    assert "Traceback" not in result.err
    assert result.code == code, result.err
    assert result.out == ""
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert lines[0].startswith("lensmor-tray: ")
