"""A named corpus of malformed and hostile answers to `GET /external/credits/balance`.

Each `Case` is one answer the simulated API serves in place of the real one (a `Fault`: status,
headers, raw body), the `ApiError` subclass(es) the client must raise for it and, for shape
errors, the field the `BadResponse` must name. tests/scenarios/test_bad_input_corpus.py serves
every case to the real `LensmorClient` over loopback, and test_bad_input_monitor.py to the real
`Monitor`.

Bodies that look like a balance are built from the example in the API documentation
(35,050 / 30,050 / ...), never from the numbers of the account the tests poll first (30,000):
any number from a bad body that reached the tray would then be visible as foreign.

`ACCEPTED` lists odd answers that are nevertheless valid by the contract: the client must
return exactly the numbers sent, no more and no less strict than that.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any

from tray_app.api.client import ApiError, BadResponse, NetworkError, RateLimited, ServerError
from tray_app.demo.server import Fault

#: The CreditBalance example of the API documentation.
EXAMPLE: dict[str, Any] = {
    "totalAmount": 35050,
    "totalBalance": 30050,
    "subscriptionAmount": 35000,
    "subscriptionBalance": 30000,
    "giftAmount": 50,
    "giftBalance": 50,
    "resetAt": 1714521600000,
}

FIELD_NAMES = tuple(EXAMPLE)
_DROP = object()


def balance_json(**changes: Any) -> bytes:
    """The example with some fields replaced by Python values (`_DROP` removes a field)."""
    data = {k: v for k, v in {**EXAMPLE, **changes}.items() if v is not _DROP}
    return json.dumps(data).encode("utf-8")


def balance_raw(**raw: str) -> bytes:
    """The example with some fields replaced by raw JSON text (for tokens json.dumps refuses,
    such as NaN, or for text that is not JSON at all)."""
    parts = [f'"{k}": {raw.get(k, json.dumps(v))}' for k, v in EXAMPLE.items()]
    return ("{" + ", ".join(parts) + "}").encode("utf-8")


def api_error(code: int, message: str, error_key: str) -> bytes:
    return json.dumps(
        {"code": code, "message": message, "errorKey": error_key, "traceId": "t-0001"}
    ).encode("utf-8")


HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
HTML_MAINTENANCE = (
    b"<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body>"
    b"<h1>We'll be back at 17:45</h1><p>Ray ID: 7d4c2a3b9e8f1234 &bull; 35050 credits</p>"
    b"</body></html>"
)
CAPTIVE_PORTAL = (
    b"<html><body><form action='/login'>Hotel WiFi: room number <input name=room> "
    b"(4455) and surname</form></body></html>"
)


@dataclass(frozen=True)
class Case:
    name: str
    fault: Fault
    #: The client must raise one of these (and nothing else).
    raises: tuple[type[ApiError], ...]
    #: For shape errors: the field a BadResponse must name.
    field: str | None = None

    @property
    def body(self) -> bytes:
        return self.fault.payload or b""


def _bad(name: str, raw: bytes, field: str | None = None, **kw: Any) -> Case:
    return Case(name, Fault.body(raw, **kw), (BadResponse,), field)


CASES: tuple[Case, ...] = (
    # --- the shape: missing fields, wrong top-level type, an envelope --------------------------
    _bad("empty_object", b"{}", "totalAmount"),
    _bad("missing_total_balance", balance_json(totalBalance=_DROP), "totalBalance"),
    _bad("missing_reset_at_is_not_null", balance_json(resetAt=_DROP), "resetAt"),
    _bad("only_a_huge_total_balance", b'{"totalBalance": 99999999}', "totalAmount"),
    _bad("wrapped_in_a_data_envelope", b'{"data": ' + balance_json() + b"}", "totalAmount"),
    _bad(
        "snake_case_field_names",
        json.dumps(
            {
                "total_amount": 35050,
                "total_balance": 30050,
                "subscription_amount": 35000,
                "subscription_balance": 30000,
                "gift_amount": 50,
                "gift_balance": 50,
                "reset_at": 1714521600000,
            }
        ).encode(),
        "totalAmount",
    ),
    _bad("top_level_array", b"[35050, 30050, 35000, 30000, 50, 50, 1714521600000]", "body"),
    _bad("array_of_one_balance", b"[" + balance_json() + b"]", "body"),
    _bad("top_level_string", b'"35050"', "body"),
    _bad("top_level_number", b"30050", "body"),
    _bad("top_level_null", b"null", "body"),
    _bad("top_level_true", b"true", "body"),
    # --- wrong types in one field -----------------------------------------------------------
    _bad(
        "numbers_as_strings",
        json.dumps({k: str(v) for k, v in EXAMPLE.items()}).encode(),
        "totalAmount",
    ),
    _bad("thousands_separator_string", balance_json(totalBalance="30,050"), "totalBalance"),
    _bad("boolean_true_balance", balance_json(totalBalance=True), "totalBalance"),
    _bad("boolean_false_gift_amount", balance_json(giftAmount=False), "giftAmount"),
    _bad("null_total_balance", balance_json(totalBalance=None), "totalBalance"),
    _bad("object_balance", balance_json(totalBalance={"value": 30050}), "totalBalance"),
    _bad("array_balance", balance_json(subscriptionBalance=[30000]), "subscriptionBalance"),
    _bad("reset_at_iso_string", balance_json(resetAt="2024-05-01T00:00:00Z"), "resetAt"),
    _bad("reset_at_boolean", balance_json(resetAt=True), "resetAt"),
    _bad("lone_surrogate_string", balance_raw(giftBalance='"\\ud800"'), "giftBalance"),
    # --- NaN, Infinity and numbers JSON does not have ---------------------------------------
    _bad("nan_token", balance_raw(totalBalance="NaN")),
    _bad("infinity_token", balance_raw(totalAmount="Infinity")),
    _bad("negative_infinity_token", balance_raw(giftBalance="-Infinity")),
    _bad("nan_as_string", balance_json(totalBalance="NaN"), "totalBalance"),
    _bad("hex_number", balance_raw(totalBalance="0x7562")),
    _bad("leading_zeros", balance_raw(totalBalance="030050")),
    _bad("plus_sign", balance_raw(totalBalance="+30050")),
    # --- out-of-range numbers ---------------------------------------------------------------
    _bad("float_overflow_to_infinity", balance_raw(totalAmount="1e400"), "totalAmount"),
    _bad("huge_integer", balance_raw(totalAmount="1" + "0" * 30), "totalAmount"),
    # More digits than Python converts (sys.int_info.default_max_str_digits = 4300).
    _bad("five_thousand_digits", balance_raw(totalAmount="7" * 5000)),
    _bad("negative_balance", balance_json(totalBalance=-1), "totalBalance"),
    _bad("negative_gift_amount", balance_json(giftAmount=-50, giftBalance=0), "giftAmount"),
    _bad("negative_zero_point_one", balance_json(subscriptionBalance=-0.1), "subscriptionBalance"),
    # --- inconsistent numbers ---------------------------------------------------------------
    _bad("balance_above_amount", balance_json(totalBalance=99999), "totalBalance"),
    _bad("balance_above_amount_by_1_5", balance_json(totalBalance=35051.5), "totalBalance"),
    _bad(
        "subscription_balance_above_amount",
        balance_json(subscriptionBalance=35002),
        "subscriptionBalance",
    ),
    _bad("gift_balance_above_amount", balance_json(giftBalance=777), "giftBalance"),
    # --- resetAt in the wrong unit or far out -----------------------------------------------
    _bad("reset_at_in_seconds", balance_json(resetAt=1714521600), "resetAt"),
    _bad("reset_at_zero", balance_json(resetAt=0), "resetAt"),
    _bad("reset_at_just_below_2001", balance_json(resetAt=999_999_999_999), "resetAt"),
    _bad("reset_at_negative", balance_json(resetAt=-86400000), "resetAt"),
    _bad("reset_at_in_microseconds", balance_json(resetAt=1714521600000000), "resetAt"),
    _bad("reset_at_beyond_year_275760", balance_json(resetAt=8.64e15 + 1), "resetAt"),
    _bad("reset_at_fraction_of_a_ms", balance_json(resetAt=1714521600000.5), "resetAt"),
    # --- 200 with something else than a balance ---------------------------------------------
    _bad(
        "ok_with_an_api_error_body",
        api_error(401, "Invalid API key", "INVALID_API_KEY"),
        "totalAmount",
    ),
    _bad("ok_with_an_error_object", b'{"error": "internal", "retry": 35050}', "totalAmount"),
    _bad("html_error_page_with_200", HTML_502, content_type="text/html"),
    _bad("captive_portal_login_page", CAPTIVE_PORTAL, content_type="text/html; charset=utf-8"),
    _bad("html_declared_as_json", HTML_MAINTENANCE),
    _bad(
        "xml_body",
        b"<?xml version='1.0'?><balance><total>35050</total></balance>",
        content_type="application/xml",
    ),
    _bad("png_image", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), content_type="image/png"),
    _bad("python_repr_single_quotes", repr(EXAMPLE).encode()),
    _bad("json_with_comments", b"// balance\n" + balance_json()),
    _bad("trailing_comma", balance_json()[:-1] + b",}"),
    # --- empty, truncated or doubled JSON ---------------------------------------------------
    _bad("empty_body", b""),
    _bad("whitespace_only", b" \r\n\t "),
    _bad("nul_bytes", bytes(100)),
    _bad("truncated_in_a_key", balance_json()[:40]),
    _bad("truncated_in_a_number", balance_json()[:-5]),
    _bad("missing_closing_brace", balance_json()[:-1]),
    _bad("trailing_garbage", balance_json() + b" xyz"),
    _bad("two_objects_back_to_back", balance_json() + balance_json(totalBalance=31337)),
    # --- encodings --------------------------------------------------------------------------
    _bad("utf8_bom", b"\xef\xbb\xbf" + balance_json()),
    _bad("utf16_with_bom", json.dumps(EXAMPLE).encode("utf-16")),
    _bad(
        "latin1_byte_in_a_string",
        balance_raw(totalBalance='"30\xe9050"').replace("\xe9".encode(), b"\xe9"),
    ),
    _bad("invalid_utf8_in_a_key", balance_json().replace(b"giftBalance", b"gift\xffBalance")),
    # --- hostile sizes and depth ------------------------------------------------------------
    _bad("deeply_nested_arrays", b"[" * 60_000),
    _bad("deeply_nested_field", balance_raw(totalAmount="[" * 30_000 + "]" * 30_000)),
    _bad("huge_string_field", balance_json(totalBalance="9" * 60_000), "totalBalance"),
    _bad("body_over_the_size_limit", balance_json(note="x" * 65_536)),
    # --- duplicate keys: the last one wins (as in JavaScript's JSON.parse) ------------------
    _bad(
        "duplicate_key_last_not_a_number",
        balance_json()[:-1] + b', "totalBalance": "lots"}',
        "totalBalance",
    ),
    # --- compression that is not what it says -----------------------------------------------
    Case(
        "gzip_declared_but_plain_json",
        Fault.status(200, balance_json(), {"Content-Encoding": "gzip"}),
        (BadResponse, NetworkError),
    ),
    Case(
        "deflate_declared_but_plain_json",
        Fault.status(200, balance_json(), {"Content-Encoding": "deflate"}),
        (BadResponse, NetworkError),
    ),
    Case(
        # 20 kB that inflate to 20 MB of JSON whitespace: refused at the size limit.
        "gzip_bomb",
        Fault.status(
            200, gzip.compress(b"{" + b" " * 20_000_000 + b"}"), {"Content-Encoding": "gzip"}
        ),
        (BadResponse,),
    ),
    Case(
        # Transfer-Encoding wins over Content-Length: the client waits for a chunk size line
        # that never comes and the read timeout ends it.
        "chunked_declared_but_not_chunked",
        Fault.status(200, balance_json(), {"Transfer-Encoding": "chunked"}),
        (NetworkError, BadResponse),
    ),
    Case(
        "conflicting_content_lengths",
        Fault.status(200, balance_json(), {"Content-Length": "5"}),
        (NetworkError, BadResponse),
    ),
    # --- statuses outside the contract ------------------------------------------------------
    Case(
        "redirect_to_a_latin1_location",
        Fault.redirect("https://example.com/\xe9t\xe9"),
        (BadResponse,),
    ),
    Case(
        "redirect_to_a_broken_ipv6_host",
        Fault.redirect("http://[::1/balance"),
        (BadResponse,),
    ),
    Case(
        "error_message_with_newlines",
        Fault.status(400, api_error(400, "bad\nTraceback (most recent call last):", "BAD")),
        (BadResponse,),
    ),
    Case(
        "trace_id_with_a_newline",
        Fault.status(
            503,
            json.dumps(
                {"code": 503, "message": "x", "traceId": "t-1\nlensmor-tray: all good"}
            ).encode(),
        ),
        (ServerError,),
    ),
    Case("no_content_204", Fault.status(204), (BadResponse,)),
    Case("created_201_with_a_balance", Fault.status(201, balance_json()), (BadResponse,)),
    Case("partial_content_206", Fault.status(206, balance_json()[:30]), (BadResponse,)),
    Case("redirect_302_without_location", Fault.status(302), (BadResponse,)),
    Case(
        "moved_301_elsewhere",
        Fault.status(301, b"", {"Location": "https://evil.example/steal?n=31337"}),
        (BadResponse,),
    ),
    Case("not_modified_304", Fault.status(304), (BadResponse,)),
    Case("bad_request_400", Fault.status(400), (BadResponse,)),
    Case("not_found_404_html", Fault.body(HTML_502, 404, "text/html"), (BadResponse,)),
    Case(
        "teapot_418_with_numbers_in_the_message",
        Fault.status(418, api_error(418, "You have 99,999,999 credits", "TEAPOT")),
        (BadResponse,),
    ),
    Case("unavailable_for_legal_reasons_451", Fault.status(451), (BadResponse,)),
    Case("server_error_500_with_a_balance_body", Fault.status(500, balance_json()), (ServerError,)),
    Case("bad_gateway_502_html", Fault.body(HTML_502, 502, "text/html"), (ServerError,)),
    Case(
        "maintenance_503_html",
        Fault.body(HTML_MAINTENANCE, 503, "text/html"),
        (ServerError,),
    ),
    Case("cloudflare_520", Fault.status(520), (ServerError,)),
    Case("nonstandard_599", Fault.status(599), (ServerError,)),
    # --- 429 with hostile waits -------------------------------------------------------------
    Case("rate_limited_with_a_balance_body", Fault.status(429, balance_json()), (RateLimited,)),
    Case(
        "retry_after_a_century",
        Fault.status(429, None, {"Retry-After": "3155760000"}),
        (RateLimited,),
    ),
    Case("retry_after_negative", Fault.status(429, None, {"Retry-After": "-5"}), (RateLimited,)),
    Case("retry_after_nan", Fault.status(429, None, {"Retry-After": "nan"}), (RateLimited,)),
    Case("retry_after_overflow", Fault.status(429, None, {"Retry-After": "1e400"}), (RateLimited,)),
    Case(
        "retry_after_not_a_number_nor_a_date",
        Fault.status(429, None, {"Retry-After": "soon"}),
        (RateLimited,),
    ),
    Case(
        "retry_after_an_impossible_date",
        Fault.status(429, None, {"Retry-After": "Wed, 31 Feb 2027 07:28:00 GMT"}),
        (RateLimited,),
    ),
)


@dataclass(frozen=True)
class Accepted:
    """An odd answer that is still a valid CreditBalance by the contract."""

    name: str
    fault: Fault
    #: The seven fields the client must return, exactly.
    expected: dict[str, Any]


def _accepted(name: str, raw: bytes, expected: dict[str, Any], **kw: Any) -> Accepted:
    return Accepted(name, Fault.body(raw, **kw), expected)


ACCEPTED: tuple[Accepted, ...] = (
    _accepted("the_documented_example", balance_json(), EXAMPLE),
    _accepted("extra_unknown_fields", balance_json(plan="pro", seats=31337), EXAMPLE),
    _accepted("reset_at_null", balance_json(resetAt=None), {**EXAMPLE, "resetAt": None}),
    _accepted(
        "exponent_notation", balance_raw(totalAmount="3.505e4"), {**EXAMPLE, "totalAmount": 35050.0}
    ),
    _accepted(
        "fractional_credits",
        balance_json(giftAmount=50.5, totalAmount=35050.5),
        {**EXAMPLE, "giftAmount": 50.5, "totalAmount": 35050.5},
    ),
    # resetAt in milliseconds as a whole float is still a whole number of milliseconds.
    _accepted("reset_at_as_whole_float", balance_raw(resetAt="1714521600000.0"), EXAMPLE),
    _accepted(
        "reset_at_at_the_2001_bound",
        balance_json(resetAt=1_000_000_000_000),
        {**EXAMPLE, "resetAt": 1_000_000_000_000},
    ),
    _accepted(
        "all_zero_and_no_reset",
        balance_json(**{k: 0 for k in FIELD_NAMES[:-1]}, resetAt=None),
        {**{k: 0 for k in FIELD_NAMES[:-1]}, "resetAt": None},
    ),
    _accepted(
        "balance_one_credit_above_amount_is_rounding",
        balance_json(totalBalance=35051),
        {**EXAMPLE, "totalBalance": 35051},
    ),
    _accepted(
        "duplicate_key_last_wins",
        balance_json()[:-1] + b', "totalBalance": 31337}',
        {**EXAMPLE, "totalBalance": 31337},
    ),
    _accepted("json_as_text_plain", balance_json(), EXAMPLE, content_type="text/plain"),
    _accepted("whitespace_around", b"\n\t " + balance_json() + b" \r\n", EXAMPLE),
    _accepted("unicode_escapes_in_keys", balance_json().replace(b"gift", b"\\u0067ift"), EXAMPLE),
)
