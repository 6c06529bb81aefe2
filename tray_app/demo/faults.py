"""Faults the simulated API serves instead of (or around) a normal answer.

Each `Fault` is a value; `SimulatedAccount.inject` queues them and the HTTP handler serves
them. `Fault.to_json`/`Fault.from_json` are the control API's wire form (see server.py).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tray_app.demo.json_fields import boolean_field, integer_field, number_field, string_field

FAULT_KINDS = (
    "status",
    "slow",
    "trickle",
    "slow_headers",
    "stall",
    "drop",
    "body",
    "oversized",
    "redirect",
)


@dataclass(frozen=True)
class Fault:
    """A misbehaviour served instead of (or around) the next normal answer.

    Build one with the factories (`Fault.status(503)`, `Fault.body(b"{")`, ...); the fields
    hold their parameters (`code` is the HTTP status, `payload` the body bytes).
    """

    kind: str
    code: int = 200  # the HTTP status sent (status, body, redirect)
    payload: bytes | None = None  # the body sent (status, body); None: an ApiError body
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    bytes_per_s: float = 0.0
    n_bytes: int = 0
    declare_length: bool = True
    location: str = ""

    @classmethod
    def status(
        cls, status: int, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Fault:
        """An answer with `status`; `body` None means an ApiError body for that status."""
        _check_status(status)
        return cls("status", code=status, payload=body, headers=tuple((headers or {}).items()))

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait `seconds` (real time), then answer normally."""
        if not seconds >= 0:
            raise ValueError("seconds must be >= 0")
        return cls("slow", seconds=float(seconds))

    @classmethod
    def trickle(cls, bytes_per_s: float) -> Fault:
        """Answer normally, but send the body at `bytes_per_s`."""
        if not bytes_per_s > 0:
            raise ValueError("bytes_per_s must be > 0")
        return cls("trickle", bytes_per_s=float(bytes_per_s))

    @classmethod
    def slow_headers(cls, seconds: float) -> Fault:
        """Answer normally, sending the status line and headers one byte every `seconds`."""
        if not seconds > 0:
            raise ValueError("seconds must be > 0")
        return cls("slow_headers", seconds=float(seconds))

    @classmethod
    def stall(cls) -> Fault:
        """Accept the request and never answer until the client or the server closes."""
        return cls("stall")

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without sending anything."""
        return cls("drop")

    @classmethod
    def body(cls, raw: bytes, status: int = 200, content_type: str = "application/json") -> Fault:
        """Answer `status` with exactly `raw` as the body (malformed JSON, HTML pages ...)."""
        _check_status(status)
        return cls("body", code=status, payload=bytes(raw), content_type=content_type)

    @classmethod
    def oversized(cls, n_bytes: int, *, declare_length: bool = True) -> Fault:
        """A valid 200 balance padded with JSON whitespace to exactly `n_bytes`."""
        if n_bytes < 0:
            raise ValueError("n_bytes must be >= 0")
        return cls("oversized", n_bytes=int(n_bytes), declare_length=declare_length)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Fault:
        """A redirect to `location` with an empty body."""
        if not 300 <= status < 400:
            raise ValueError("a redirect status is 3xx")
        return cls("redirect", code=status, location=location)

    def to_json(self) -> dict[str, Any]:
        """This fault as the JSON that `POST /_control/fault` accepts."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind in ("status", "body", "redirect"):
            out["status"] = self.code
        if self.kind in ("status", "body") and self.payload is not None:
            try:
                out["body"] = self.payload.decode("utf-8")
            except UnicodeDecodeError:
                out["body_base64"] = base64.b64encode(self.payload).decode("ascii")
        if self.kind == "status" and self.headers:
            out["headers"] = dict(self.headers)
        if self.kind == "body":
            out["content_type"] = self.content_type
        if self.kind in ("slow", "slow_headers"):
            out["seconds"] = self.seconds
        if self.kind == "trickle":
            out["bytes_per_s"] = self.bytes_per_s
        if self.kind == "oversized":
            out["n_bytes"] = self.n_bytes
            out["declare_length"] = self.declare_length
        if self.kind == "redirect":
            out["location"] = self.location
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        """Build a fault from control JSON; ValueError says what is wrong."""
        kind = data.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        simple: dict[str, Callable[[], Fault]] = {
            "slow": lambda: cls.slow(number_field(data, "seconds")),
            "slow_headers": lambda: cls.slow_headers(number_field(data, "seconds")),
            "trickle": lambda: cls.trickle(number_field(data, "bytes_per_s")),
            "stall": cls.stall,
            "drop": cls.drop,
            "oversized": lambda: cls.oversized(
                integer_field(data, "n_bytes"),
                declare_length=boolean_field(data, "declare_length", default=True),
            ),
            "redirect": lambda: cls.redirect(
                string_field(data, "location"), integer_field(data, "status", default=302)
            ),
        }
        if kind in simple:
            return simple[kind]()
        body = _body_from_json(data)
        if kind == "status":
            headers = data.get("headers", {})
            if not isinstance(headers, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
            ):
                raise ValueError("headers must be an object of strings")
            return cls.status(integer_field(data, "status"), body=body, headers=headers)
        if body is None:
            raise ValueError("a body fault needs body or body_base64")
        return cls.body(
            body,
            status=integer_field(data, "status", default=200),
            content_type=string_field(data, "content_type", default="application/json"),
        )


def _check_status(status: int) -> None:
    # 1xx are interim answers, never a final response a fault could stand for.
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise ValueError("status must be a final HTTP status code (200..599)")


def _body_from_json(data: Mapping[str, Any]) -> bytes | None:
    if "body_base64" in data:
        try:
            return base64.b64decode(string_field(data, "body_base64"), validate=True)
        except binascii.Error as exc:
            raise ValueError("body_base64 is not valid base64") from exc
    if "body" in data and data["body"] is not None:
        return string_field(data, "body").encode("utf-8")
    return None
