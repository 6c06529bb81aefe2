"""What the bad-answer tests share (tests/scenarios/test_bad_input_*.py): the API contract
written out as the oracle (`contract_problems`), an in-memory requests transport that runs
`LensmorClient.fetch_balance` unchanged without sockets, and the strategies that generate
answer bodies.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import urllib3
from hypothesis import strategies as st
from requests.adapters import BaseAdapter, HTTPAdapter

from tests.corpus.responses.cases import EXAMPLE, Case
from tray_app.api.client import ApiError, BadResponse, BalanceResponse, LensmorClient
from tray_app.core.balance import MAX_CREDITS, RESET_AT_MAX_MS, RESET_AT_MIN_MS
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer

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


def corpus_params(cases: tuple[Case, ...], layer: str) -> list[Any]:
    """One pytest param per case, named (`layer`: "client" or "monitor", for the reader)."""
    return [pytest.param(case, id=case.name) for case in cases]


@pytest.fixture(name="server", scope="module")
def fixture_server() -> Iterator[SimulatedLensmorServer]:
    """The simulated API on loopback, one per test module (import this to get `server`)."""
    with SimulatedLensmorServer() as srv:
        yield srv


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
