"""One question to the session bus, "does this name have an owner?", over a plain socket.

The tray is chosen before anything else starts (tray/choose.py): a StatusNotifier watcher on
the bus means the native item, none means XEmbed. Asking through dbus-fast cost a start about
60 ms of CPU and 65 ms of wall time, nearly all of it importing dbus-fast and asyncio, and on
an XEmbed-only desktop (trayer, stalonetray, i3bar) that was all for a "no" (issue 20: start
-> icon 1.20x the skeleton there). This module speaks just enough of the D-Bus wire protocol
(the specification's "Message Protocol" and "Authentication Protocol" chapters) for that one
question: the EXTERNAL authentication, `Hello`, and `NameHasOwner`.

It answers None whenever it cannot tell: an address it does not handle (only `unix:path=` and
`unix:abstract=` are; not `tcp:`, `unixexec:`, `launchd:`), authentication refused, a reply it
does not understand, or no answer in time. The caller then asks dbus-fast, which handles
everything, so this can only make the common case faster, never a rare one wrong.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from urllib.parse import unquote

DBUS_NAME = "org.freedesktop.DBus"
DBUS_PATH = "/org/freedesktop/DBus"

# Message types and header field codes (specification, "Message Format").
_METHOD_CALL, _METHOD_RETURN, _ERROR = 1, 2, 3
_PATH, _INTERFACE, _MEMBER, _REPLY_SERIAL, _DESTINATION, _SIGNATURE = 1, 2, 3, 5, 6, 8
_FIXED_HEADER = 16
#: A reply far larger than a NameHasOwner answer (or the NameAcquired signal before it) is not
#: what we asked for.
_MAX_MESSAGE = 64 * 1024


class _Unclear(Exception):
    """The bus said something this module does not understand."""


def name_has_owner(name: str, address: str | None, timeout: float = 1.0) -> bool | None:
    """Whether `name` has an owner on the bus at `address`; None when that cannot be told
    here (see the module docstring)."""
    deadline = time.monotonic() + timeout
    for target in _socket_targets(address):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(target)
                _authenticate(sock, deadline)
                return _ask(sock, name, deadline)
        except (OSError, _Unclear, struct.error, UnicodeError):
            continue
    return None


def _socket_targets(address: str | None) -> list[str]:
    """The unix sockets among the `;`-separated addresses, in order; [] when there are none
    this module handles."""
    targets = []
    for entry in (address or "").split(";"):
        transport, _, params = entry.partition(":")
        if transport != "unix":
            continue
        values = dict(p.partition("=")[::2] for p in params.split(",") if "=" in p)
        if "path" in values:
            targets.append(unquote(values["path"]))
        elif "abstract" in values:
            targets.append("\0" + unquote(values["abstract"]))
    return targets


def _authenticate(sock: socket.socket, deadline: float) -> None:
    uid = str(os.getuid()).encode("ascii").hex()
    sock.sendall(b"\0AUTH EXTERNAL " + uid.encode("ascii") + b"\r\n")
    line = _read_line(sock, deadline)
    if not line.startswith(b"OK "):
        raise _Unclear(f"authentication: {line[:40]!r}")
    sock.sendall(b"BEGIN\r\n")


def _read_line(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        _check_time(sock, deadline)
        chunk = sock.recv(256)
        if not chunk or len(data) > 1024:
            raise _Unclear("the bus closed the connection during authentication")
        data += chunk
    return data


def _ask(sock: socket.socket, name: str, deadline: float) -> bool:
    hello = _method_call(1, "Hello", "", b"")
    question = _method_call(2, "NameHasOwner", "s", _string(name, 0))
    sock.sendall(hello + question)
    buffer = b""
    while True:
        message, buffer = _next_message(sock, buffer, deadline)
        kind, reply_to, body, order = message
        if reply_to != 2:
            continue  # Hello's reply, the NameAcquired signal
        if kind != _METHOD_RETURN or len(body) < 4:
            raise _Unclear("NameHasOwner was not answered with a boolean")
        (answer,) = struct.unpack_from(order + "I", body)
        return bool(answer)


def _next_message(
    sock: socket.socket, buffer: bytes, deadline: float
) -> tuple[tuple[int, int | None, bytes, str], bytes]:
    """(message type, reply serial, body, struct byte order) of the next message, and what
    was read beyond it."""
    buffer = _fill(sock, buffer, _FIXED_HEADER, deadline)
    order = {b"l"[0]: "<", b"B"[0]: ">"}.get(buffer[0])
    if order is None:
        raise _Unclear("unknown byte order")
    kind = buffer[1]
    body_length, _serial, fields_length = struct.unpack_from(order + "III", buffer, 4)
    header_end = _align(_FIXED_HEADER + fields_length, 8)
    total = header_end + body_length
    if total > _MAX_MESSAGE:
        raise _Unclear("a message larger than expected")
    buffer = _fill(sock, buffer, total, deadline)
    reply_to = _reply_serial(buffer[:header_end], order, _FIXED_HEADER + fields_length)
    return (kind, reply_to, buffer[header_end:total], order), buffer[total:]


def _fill(sock: socket.socket, buffer: bytes, size: int, deadline: float) -> bytes:
    while len(buffer) < size:
        _check_time(sock, deadline)
        chunk = sock.recv(max(size - len(buffer), 4096))
        if not chunk:
            raise _Unclear("the bus closed the connection")
        buffer += chunk
    return buffer


def _check_time(sock: socket.socket, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Unclear("no answer in time")
    sock.settimeout(left)


def _reply_serial(header: bytes, order: str, end: int) -> int | None:
    """The REPLY_SERIAL header field, walking the a(yv) array of header fields."""
    offset = _FIXED_HEADER
    while offset < end:
        offset = _align(offset, 8)
        code = header[offset]
        signature_length = header[offset + 1]
        signature = header[offset + 2 : offset + 2 + signature_length]
        offset += 3 + signature_length
        if signature in (b"u", b"i"):
            offset = _align(offset, 4)
            value = struct.unpack_from(order + "I", header, offset)[0]
            if code == _REPLY_SERIAL:
                return int(value)
            offset += 4
        elif signature in (b"s", b"o"):
            offset = _align(offset, 4)
            (length,) = struct.unpack_from(order + "I", header, offset)
            offset += 4 + length + 1
        elif signature == b"g":
            offset += 1 + header[offset] + 1
        else:
            raise _Unclear(f"a header field of type {signature!r}")
    return None


def _method_call(serial: int, member: str, signature: str, body: bytes) -> bytes:
    """A METHOD_CALL to the bus itself, little-endian."""
    fields = b""
    for code, kind, value in (
        (_PATH, "o", DBUS_PATH),
        (_INTERFACE, "s", DBUS_NAME),
        (_MEMBER, "s", member),
        (_DESTINATION, "s", DBUS_NAME),
        *([(_SIGNATURE, "g", signature)] if signature else []),
    ):
        fields += b"\0" * (_align(_FIXED_HEADER + len(fields), 8) - _FIXED_HEADER - len(fields))
        start = _FIXED_HEADER + len(fields)
        fields += bytes([code, 1]) + kind.encode("ascii") + b"\0"
        if kind == "g":
            fields += bytes([len(value)]) + value.encode("ascii") + b"\0"
        else:
            fields += _string(value, start + 4)
    fixed = struct.pack("<cBBBIII", b"l", _METHOD_CALL, 0, 1, len(body), serial, len(fields))
    header = fixed + fields
    return header + b"\0" * (_align(len(header), 8) - len(header)) + body


def _string(value: str, offset: int) -> bytes:
    """A D-Bus string at `offset` in its message: padding to 4, length, UTF-8, NUL."""
    data = value.encode("utf-8")
    return b"\0" * (_align(offset, 4) - offset) + struct.pack("<I", len(data)) + data + b"\0"


def _align(offset: int, boundary: int) -> int:
    return (offset + boundary - 1) // boundary * boundary
