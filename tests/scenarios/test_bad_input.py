"""Bad input (issue 6): malformed and hostile API answers never crash the app and never put a
number on screen that the API did not send.

- The named corpus (tests/corpus/responses/cases.py, over 100 answers) is served by the real
  simulated API over loopback to the real `LensmorClient` (it raises the documented `ApiError`
  subclass and nothing else) and to the real `Monitor` after a good poll (it never raises; the
  tray keeps exactly the last good numbers, marked stale; no notification carries a number that
  only the bad answer had).
- 10,000 generated bodies go through the whole client in-process: `InMemoryTransport` is a
  requests transport that answers from memory, so `fetch_balance` runs unchanged from the status
  check to the parser, without sockets. Measured: ~1 ms per example in-process against ~8 ms
  over loopback, so 10k take ~40 s (most of it hypothesis generating) instead of ~2 min.
  300 more go over real HTTP and 300 through the Monitor. The oracle is the API contract
  written out here (`contract_problems`), not the parser: a body is accepted exactly when
  the contract allows it, with the seven numbers unchanged, and a refusal names a field
  that is really wrong.
- Generated statuses and headers (Retry-After, X-RateLimit-*, X-Request-ID, Location).
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.adapters import BaseAdapter, HTTPAdapter

from tests.conftest import Home, run_cli
from tests.corpus.responses.cases import (
    ACCEPTED,
    CASES,
    EXAMPLE,
    Accepted,
    Case,
)
from tests.support.rig import RecordingNotifier, RecordingTray, Rig
from tray_app.api.client import (
    MAX_RATE_LIMIT_WAIT_S,
    ApiError,
    AuthError,
    BadResponse,
    BalanceResponse,
    LensmorClient,
    NetworkError,
    RateLimited,
    ServerError,
)
from tray_app.config.model import AlertSettings, Settings
from tray_app.core import fmt
from tray_app.core.badge import BadgeKind
from tray_app.core.balance import MAX_CREDITS, RESET_AT_MAX_MS, RESET_AT_MIN_MS
from tray_app.core.state import Problem
from tray_app.core.view import MenuRow, TrayView
from tray_app.demo.server import DEMO_KEY, Fault, SimulatedLensmorServer
from tray_app.history.store import HistoryStore
from tray_app.runtime.monitor import Monitor, PollReport

#: Every property test here: the same examples on every run and on CI (derandomize, no example
#: database), no per-example deadline, and no health check failing a slow CI machine.
REPRODUCIBLE = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FIELDS = tuple(EXAMPLE)
#: (balance, amount) pairs the contract ties together; the API may round by one credit.
PAIRS = (
    ("totalBalance", "totalAmount"),
    ("subscriptionBalance", "subscriptionAmount"),
    ("giftBalance", "giftAmount"),
)
ROUNDING = 1
# Short timeouts: some corpus answers end only when the read timeout fires.
FAST = {"connect_timeout": 1.0, "read_timeout": 1.0, "total_deadline": 5.0}
PROBLEM_OF = {
    BadResponse: Problem.BAD_RESPONSE,
    ServerError: Problem.SERVER,
    NetworkError: Problem.OFFLINE,
    RateLimited: Problem.RATE_LIMITED,
}


def corpus_params(cases: tuple[Case, ...], layer: str) -> list[Any]:
    """One pytest param per case, named (`layer`: "client" or "monitor", for the reader)."""
    return [pytest.param(case, id=case.name) for case in cases]


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as srv:
        yield srv


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


# --- the named corpus: the monitor and what the tray shows ---------------------------------

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")


def numbers(text: str) -> set[str]:
    """The numbers written in `text`, normalised ("30,050" and "30050.0" -> "30050").

    Clock times ("14:02") are left out: they come from the injected clock, not from a body.
    """
    found = set()
    for token in NUMBER.findall(CLOCK.sub(" ", text)):
        plain = token.replace(",", "")
        if plain.count(".") > 1:
            found.update(part.lstrip("0") or "0" for part in plain.split("."))
            continue
        whole, _, fraction = plain.partition(".")
        fraction = fraction.rstrip("0")
        found.add((whole.lstrip("0") or "0") + (f".{fraction}" if fraction else ""))
    return found


def view_texts(view: TrayView) -> list[str]:
    texts = [view.badge.text, view.title]
    stack = list(view.rows)
    while stack:
        row = stack.pop()
        texts.append(row.text)
        stack.extend(row.children)
    return texts


def assert_last_good_kept(
    good: PollReport, bad: PollReport, now: float, problems: set[Problem]
) -> None:
    """The tray shows exactly the last good numbers, marked stale, plus one status line whose
    only numbers are times from the clock."""
    state = bad.state
    assert state.problem in problems
    assert state.balance == good.state.balance
    rate_limited = state.problem is Problem.RATE_LIMITED
    assert bad.view.badge.kind is (BadgeKind.RATE_LIMITED if rate_limited else BadgeKind.STALE)
    assert bad.view.badge.text == good.view.badge.text
    assert bad.view.badge.fraction == good.view.badge.fraction
    # Notifications are listed under "Recent alerts", whose times are no balance numbers:
    # the rows are compared without it.
    bad_rows = tuple(row for row in bad.view.rows if row.text != "Recent alerts")
    good_rows = tuple(row for row in good.view.rows if row.text != "Recent alerts")
    i = next(n for n, row in enumerate(good_rows) if row.separator) - 1
    status = bad_rows[i].text
    times = [fmt.clock(now)]
    if state.retry_at is not None:
        assert now + 1 <= state.retry_at <= now + MAX_RATE_LIMIT_WAIT_S
        times.append(fmt.clock(state.retry_at))
    without_times = status
    for t in times:
        without_times = without_times.replace(t, "")
    assert not re.search(r"\d", without_times), status
    expected_rows = (*good_rows[:i], MenuRow(status), *good_rows[i + 1 :])
    assert bad_rows == expected_rows
    assert bad.view.title == f"{good.view.title} · {status}"


@pytest.fixture
def watched(rig: Rig) -> Rig:
    """The rig after one good poll, with outage alerts due at once (so every bad answer
    produces a notification whose text can be checked)."""
    rig.client_options = dict(FAST)
    rig.settings = Settings(alerts=AlertSettings(offline_minutes=0))
    rig.start()
    first = rig.poll()
    assert first.state.problem is None
    assert first.view.badge.kind is BadgeKind.LEVEL
    return rig


@pytest.mark.parametrize("case", corpus_params(CASES, "monitor"))
def test_the_monitor_keeps_the_last_good_numbers_marked_stale(watched: Rig, case: Case) -> None:
    rig = watched
    assert rig.monitor is not None
    assert rig.store is not None
    good = rig.poll()
    good_body = json.dumps(rig.account.snapshot())
    # Numbers only the bad answer had: nothing shown or notified may contain one of them.
    foreign = numbers(case.body.decode("utf-8", "replace")) - numbers(good_body)
    foreign -= set().union(*(numbers(t) for t in view_texts(good.view)))
    sent_before = len(rig.notifier.sent)

    rig.clock.now += 60
    rig.account.inject(case.fault)
    bad = rig.poll()  # never raises

    assert_last_good_kept(good, bad, rig.clock.now, {PROBLEM_OF[e] for e in case.raises})
    for text in view_texts(bad.view):
        assert not numbers(text) & foreign, text
    new = rig.notifier.sent[sent_before:]
    assert [n.key.split(":", 1)[0] for n in new] == ["offline"]
    for n in new:
        assert not numbers(f"{n.title} {n.body}") & foreign, n
    saved = rig.store.load_state()
    assert saved is not None
    assert saved["monitor"]["balance"] == rig.account.snapshot()

    # The fault is over: the next poll is fresh again, by itself.
    rig.clock.now += 60
    after = rig.poll()
    assert after.state.problem is None
    assert after.view.badge.kind is BadgeKind.LEVEL
    assert after.view.title == good.view.title


# --- generated bodies ---------------------------------------------------------------------


class InMemoryTransport(BaseAdapter):
    """A requests transport that answers from memory with `answer` (status, headers, body).

    The response is a real urllib3.HTTPResponse over the bytes, built into a requests.Response
    by requests' own HTTPAdapter, so LensmorClient.fetch_balance runs unchanged: status
    handling, header parsing, the size limit, content decoding and the parser.
    """

    def __init__(self) -> None:
        super().__init__()
        self.answer: tuple[int, dict[str, str], bytes] = (200, {}, b"")
        self._build = HTTPAdapter()

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        status, headers, body = self.answer
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(body),
            headers=headers,
            status=status,
            preload_content=False,
            decode_content=True,
            request_method=request.method,
        )
        return self._build.build_response(request, raw)

    def close(self) -> None:
        self._build.close()


def in_memory_client() -> tuple[LensmorClient, InMemoryTransport]:
    transport = InMemoryTransport()
    session = requests.Session()
    session.mount("https://", transport)
    return LensmorClient("https://lensmor.invalid", DEMO_KEY, session=session), transport


def fetch(
    client: LensmorClient,
    transport: InMemoryTransport,
    raw: bytes,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> BalanceResponse | ApiError:
    base = {"Content-Type": "application/json", "Content-Length": str(len(raw))}
    transport.answer = (status, {**base, **(headers or {})}, raw)
    try:
        return client.fetch_balance()
    except ApiError as exc:  # anything else propagates and fails the test
        return exc


def contract_problems(data: Any) -> set[str]:
    """The fields of a decoded 200 body that break the API contract ("body" if it is not an
    object): seven JSON numbers >= 0 (bounded by MAX_CREDITS), resetAt null or whole Unix
    milliseconds within the sanity window, and no balance above its amount (one credit of
    rounding allowed). When a balance is above its amount, either name is a fair answer."""
    if not isinstance(data, dict):
        return {"body"}
    wrong = {name for name in FIELDS if name not in data or not _number_ok(name, data[name])}
    if not wrong:
        for balance, amount in PAIRS:
            if data[balance] > data[amount] + ROUNDING:
                wrong |= {balance, amount}
    return wrong


def _number_ok(name: str, value: Any) -> bool:
    if name == "resetAt" and value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if not math.isfinite(value) or not 0 <= value <= MAX_CREDITS:
        return False
    if name == "resetAt":
        return value == int(value) and RESET_AT_MIN_MS <= value <= RESET_AT_MAX_MS
    return True


NOT_JSON: Any = type("NotJson", (), {"__repr__": lambda self: "NOT_JSON"})()
UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()


@dataclass(frozen=True)
class Body:
    raw: bytes
    #: The JSON value the bytes hold; NOT_JSON for bytes that are not JSON; UNKNOWN for random
    #: bytes (only "no crash" is checked for those).
    data: Any


def assert_obeys_the_contract(result: BalanceResponse | ApiError, body: Body) -> None:
    if body.data is UNKNOWN:
        assert isinstance(result, BadResponse | BalanceResponse), repr(result)
        return
    if body.data is NOT_JSON:
        assert isinstance(result, BadResponse), repr(result)
        assert result.field is None
        return
    wrong = contract_problems(body.data)
    if wrong:
        assert isinstance(result, BadResponse), f"accepted although {sorted(wrong)} are wrong"
        assert result.field in wrong, f"named {result.field!r}, wrong are {sorted(wrong)}"
        assert result.field in str(result)
        return
    assert isinstance(result, BalanceResponse), f"refused a valid balance: {result}"
    got = result.balance.to_api_dict()
    sent = {name: body.data[name] for name in FIELDS}
    assert got == sent
    for name in FIELDS[:-1]:
        assert type(got[name]) is type(sent[name]), name


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
#: Numbers at the edges of what the parser accepts.
edge_numbers = st.sampled_from(
    [
        0, -0.0, 0.0, -1, -0.5, 0.5, 1, 5e-324, 1.5, 2**53, 2**53 + 1, 2**63, 10**400 // 10**380,
        MAX_CREDITS - 1, MAX_CREDITS, MAX_CREDITS + 1, float(MAX_CREDITS), 1e15 + 2, 1e308,
        -1e308, RESET_AT_MIN_MS - 1, RESET_AT_MIN_MS, RESET_AT_MIN_MS + 0.5, RESET_AT_MAX_MS,
        RESET_AT_MAX_MS + 1, float(RESET_AT_MAX_MS), 1714521600, 1714521600000, 1714521600000.5,
    ]
)  # fmt: skip
credits = st.one_of(
    st.integers(0, 10**9), st.floats(0, 1e9), st.sampled_from([0, 0.0, MAX_CREDITS])
)


@st.composite
def valid_balances(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for balance, amount in PAIRS:
        body[amount] = draw(credits)
        ceiling = min(body[amount] + ROUNDING, MAX_CREDITS)
        body[balance] = draw(st.integers(0, math.floor(ceiling)) | st.floats(0, ceiling))
    window = st.integers(RESET_AT_MIN_MS, RESET_AT_MAX_MS)
    body["resetAt"] = draw(st.none() | window | window.map(float))
    return {name: body[name] for name in FIELDS}


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """A valid balance with one field deleted or replaced, perhaps an unknown field added."""
    body = draw(valid_balances())
    name = draw(st.sampled_from(FIELDS))
    how = draw(st.sampled_from(("delete", "any_json", "edge_number", "near_partner")))
    if how == "delete":
        del body[name]
    elif how == "any_json":
        body[name] = draw(json_values)
    elif how == "edge_number":
        body[name] = draw(edge_numbers)
    else:  # around the one-credit rounding allowance between a balance and its amount
        partner = {**{b: a for b, a in PAIRS}, **{a: b for b, a in PAIRS}}.get(name, name)
        step = draw(st.sampled_from([-2, -1, -0.5, 0, 0.5, 1, 1.0000001, 1.5, 2]))
        base = body[partner] if body[partner] is not None else RESET_AT_MIN_MS
        body[name] = base + step if name.endswith("Balance") else base - step
    if draw(st.booleans()):  # unknown fields are ignored, whatever they hold
        body[draw(st.sampled_from(["plan", "seats", "total", "", "totalamount"]))] = draw(scalars)
    return body


#: Raw text for one field and what it decodes to (NOT_JSON: json refuses the whole body).
RAW_TOKENS: dict[str, Any] = {
    "NaN": NOT_JSON, "Infinity": NOT_JSON, "-Infinity": NOT_JSON, "nan": NOT_JSON,
    "inf": NOT_JSON, "0x10": NOT_JSON, "010": NOT_JSON, "+1": NOT_JSON, "1.": NOT_JSON,
    ".5": NOT_JSON, "1e": NOT_JSON, "--1": NOT_JSON, "undefined": NOT_JSON, "None": NOT_JSON,
    "True": NOT_JSON, "'1'": NOT_JSON, "1_000": NOT_JSON, "1,000": NOT_JSON,
    "1e400": math.inf, "-1e400": -math.inf, "-0": 0, "1E3": 1000.0, "1e-400": 0.0,
    '"1"': "1", "[]": [], "{}": {}, "null": None, "true": True,
}  # fmt: skip


def _encoded(data: Any, draw: st.DrawFn) -> Body:
    ascii_only = draw(st.booleans())
    separators = (",", ":") if draw(st.booleans()) else None
    raw = json.dumps(data, ensure_ascii=ascii_only, separators=separators).encode("utf-8")
    return Body(raw, data)


@st.composite
def any_json(draw: st.DrawFn) -> Body:
    return _encoded(draw(json_values), draw)


@st.composite
def fields_with_any_json(draw: st.DrawFn) -> Body:
    values = scalars | edge_numbers | credits
    return _encoded(draw(st.dictionaries(st.sampled_from(FIELDS), values)), draw)


@st.composite
def near_valid_bodies(draw: st.DrawFn) -> Body:
    return _encoded(draw(near_valid()), draw)


@st.composite
def raw_token_bodies(draw: st.DrawFn) -> Body:
    """A valid balance with one field written as raw text (NaN, 0x10, 1e400 ...)."""
    data = draw(valid_balances())
    name = draw(st.sampled_from(FIELDS))
    token = draw(st.sampled_from(sorted(RAW_TOKENS)))
    parts = [f"{json.dumps(k)}: {token if k == name else json.dumps(v)}" for k, v in data.items()]
    decoded = RAW_TOKENS[token]
    return Body(
        ("{" + ", ".join(parts) + "}").encode(),
        NOT_JSON if decoded is NOT_JSON else {**data, name: decoded},
    )


@st.composite
def broken_bodies(draw: st.DrawFn) -> Body:
    """Near-valid JSON made into something that is not JSON."""
    raw = draw(near_valid_bodies()).raw
    how = draw(st.sampled_from(["truncate", "bom", "trailing", "invalid_utf8"]))
    if how == "truncate":  # every strict prefix of a JSON object is not JSON
        return Body(raw[: draw(st.integers(0, len(raw) - 1))], NOT_JSON)
    if how == "bom":
        return Body(b"\xef\xbb\xbf" + raw, NOT_JSON)
    if how == "trailing":
        return Body(raw + draw(st.sampled_from([b"x", b"}", b"{}", b"\x00", b"0"])), NOT_JSON)
    cut = draw(st.integers(0, len(raw)))
    bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"]))  # never valid UTF-8
    return Body(raw[:cut] + bad + raw[cut:], NOT_JSON)


def random_bytes() -> st.SearchStrategy[Body]:
    return st.binary(max_size=64).map(lambda raw: Body(raw, UNKNOWN))


#: Every kind of generated body; near-valid balances twice, as they probe the parser hardest.
bodies = st.one_of(
    any_json(),
    fields_with_any_json(),
    near_valid_bodies(),
    near_valid_bodies(),
    raw_token_bodies(),
    broken_bodies(),
    random_bytes(),
)


@pytest.mark.slow
# ~90 s alone on a quiet 2-core machine, 180-280 s beside another worker's desktop tests on a
# loaded one: more room than the suite's 300 s default, still bounded.
@pytest.mark.timeout(600)
def test_ten_thousand_generated_bodies_are_refused_or_kept_exactly() -> None:
    client, transport = in_memory_client()

    @settings(REPRODUCIBLE, max_examples=10_000, deadline=None)
    @given(body=bodies)
    def check(body: Body) -> None:
        assert_obeys_the_contract(fetch(client, transport, body.raw), body)

    check()


def test_generated_bodies_over_real_http_are_refused_or_kept_exactly(
    server: SimulatedLensmorServer,
) -> None:
    client = LensmorClient(server.url, DEMO_KEY, **FAST)

    @settings(REPRODUCIBLE, max_examples=300)
    @given(body=bodies)
    def check(body: Body) -> None:
        server.account.clear_faults()
        server.account.inject(Fault.body(body.raw))
        try:
            result: BalanceResponse | ApiError = client.fetch_balance()
        except ApiError as exc:
            result = exc
        assert_obeys_the_contract(result, body)

    try:
        check()
    finally:
        client.close()


GOOD = {
    "totalAmount": 30000,
    "totalBalance": 30000,
    "subscriptionAmount": 30000,
    "subscriptionBalance": 30000,
    "giftAmount": 0,
    "giftBalance": 0,
    "resetAt": 1_800_864_000_000,
}


def test_generated_bodies_through_the_monitor_show_only_numbers_sent(tmp_path: Path) -> None:
    client, transport = in_memory_client()
    tray, notifier = RecordingTray(), RecordingNotifier()
    clock = [1_800_000_000.0]
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        monitor = Monitor(
            source=client,
            store=store,
            notifier=notifier,
            tray=tray,
            settings=Settings(),
            jitter=lambda: 0.5,
        )

        def poll(raw: bytes) -> PollReport:
            transport.answer = (200, {"Content-Type": "application/json"}, raw)
            return monitor.poll_once(clock[0])

        @settings(REPRODUCIBLE, max_examples=300)
        @given(body=bodies)
        def check(body: Body) -> None:
            # The good and the bad answer arrive at the same instant, so that every text that
            # depends on the time ("resets in 9 days", usage today) is comparable word for word.
            clock[0] += 300
            good = poll(json.dumps(GOOD).encode())
            assert good.state.problem is None
            sent_before = len(notifier.sent)
            report = poll(body.raw)
            acceptable = isinstance(body.data, dict) and not contract_problems(body.data)
            if report.state.problem is None:
                assert body.data is UNKNOWN or acceptable
                assert report.state.balance is not None
                shown = report.state.balance.to_api_dict()
                assert shown == {name: body.data[name] for name in FIELDS}
                assert report.view.badge.text == fmt.compact(shown["totalBalance"])
                assert report.view.rows[0].text.startswith(
                    f"{fmt.credits(shown['totalBalance'])} of {fmt.credits(shown['totalAmount'])}"
                )
            else:
                assert not acceptable
                assert_last_good_kept(good, report, clock[0], {Problem.BAD_RESPONSE})
                # A single bad answer is not an outage yet: nothing to notify.
                assert notifier.sent[sent_before:] == []

        check()


# --- generated statuses and headers -------------------------------------------------------

header_values = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")),
    st.from_regex(r"-?[0-9]{1,25}(\.[0-9]{1,6})?([eE][+-]?[0-9]{1,4})?", fullmatch=True),
    st.sampled_from(
        ["", "0", "-1", "nan", "inf", "-inf", "1e400", " 30 ", "120, 120",
         "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
         "Wed, 31 Feb 2027 07:28:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT"]
    ),
)  # fmt: skip
answer_bodies = st.sampled_from(
    [
        json.dumps(EXAMPLE).encode(),
        b'{"code": 500, "message": "x", "errorKey": "E", "traceId": "t"}',
        b"",
        b"<html>",
    ]
) | st.binary(max_size=32)


def assert_classified(result: BalanceResponse | ApiError, status: int) -> None:
    """The error type follows the status the way api/client.py documents it; nothing else
    escapes."""
    if isinstance(result, BalanceResponse):
        assert status == 200
        limits = result.rate_limit
        for count in (limits.limit, limits.remaining):
            assert count is None or (isinstance(count, int) and count >= 0)
        assert limits.reset_at is None or math.isfinite(limits.reset_at)
        return
    expected: type[ApiError] = BadResponse
    if status in (401, 403):
        expected = AuthError
    elif status == 429:
        expected = RateLimited
    elif 500 <= status <= 599:
        expected = ServerError
    assert isinstance(result, expected), repr(result)
    if isinstance(result, RateLimited):
        assert 1 <= result.retry_after <= MAX_RATE_LIMIT_WAIT_S
    assert DEMO_KEY not in str(result)


def test_generated_statuses_and_headers_only_raise_api_errors() -> None:
    client, transport = in_memory_client()
    names = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-ID"]
    names += ["Content-Type", "Retry-After", "Location"]

    @settings(REPRODUCIBLE, max_examples=1000)
    @given(
        status=st.sampled_from([200, 200, 301, 401, 403, 429, 500]) | st.integers(200, 599),
        headers=st.dictionaries(st.sampled_from(names), header_values),
        raw=answer_bodies,
    )
    def check(status: int, headers: dict[str, str], raw: bytes) -> None:
        if status in (204, 304):  # never with a body on the wire (urllib3 rejects one)
            raw = b""
        assert_classified(fetch(client, transport, raw, status, headers), status)

    check()


def test_any_retry_after_gives_a_bounded_wait() -> None:
    client, transport = in_memory_client()

    @settings(REPRODUCIBLE, max_examples=300, report_multiple_bugs=False)
    @given(
        retry_after=header_values,
        reset=st.none() | header_values,
    )
    def check(retry_after: str, reset: str | None) -> None:
        headers = {"Retry-After": retry_after}
        if reset is not None:
            headers["X-RateLimit-Reset"] = reset
        assert_classified(fetch(client, transport, b"{}", 429, headers), 429)

    check()


def test_any_redirect_location_is_refused_without_following() -> None:
    client, transport = in_memory_client()

    @settings(REPRODUCIBLE, max_examples=300, report_multiple_bugs=False)
    @given(status=st.integers(300, 399), location=header_values)
    def check(status: int, location: str) -> None:
        result = fetch(client, transport, b"", status, {"Location": location})
        assert_classified(result, status)

    check()


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
