r"""Windows: the value `LensmorTray` under `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`.

Explorer runs every command line in the user's Run key at logon; HKCU needs no admin rights.
The value is the launcher's argv joined with `subprocess.list2cmdline`, so a path with spaces
(`C:\Program Files\...`, `C:\Users\Ana Maria\...`) is quoted.

Task Manager's "Startup apps" tab (and Settings > Apps > Startup) does not touch the Run value
when the user switches an entry off: it writes a binary value of the same name under
`HKCU\Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`. Microsoft does not
document that key; what we rely on was observed and published by others:
- superuser.com/questions/1766797 ("How entries at Run registry are overridden by Windows
  settings"), tracing Task Manager: enabled is `02 00 00 00 00 00 00 00 00 00 00 00`, disabled
  is `03 00 00 00` followed by an 8-byte FILETIME of when it was switched off;
- superuser.com "Where are disabled autostart programs stored?" (mirrored on 9to5answer.com):
  `06 00 00 00 ...` also means enabled, any other first value seems to mean disabled;
- windowsir.blogspot.com/2022/07/startupapprovedrun-pt-ii.html: a Run value with no
  StartupApproved value runs, and deleting the Run value leaves the StartupApproved one behind.
So: the low bit of the first byte set (0x03, 0x07) means disabled; no value means enabled.

`winreg` is imported on first use (or injected, as the tests do with a fake), so importing this
module works on every OS.
"""

from __future__ import annotations

import importlib
import ntpath
import re
import subprocess
from typing import Any, Final, Protocol, cast

from tray_app.autostart.base import AutostartStatus, entry_status, with_detail
from tray_app.autostart.launcher import LaunchCommand

VALUE_NAME: Final = "LensmorTray"
RUN_KEY: Final = r"Software\Microsoft\Windows\CurrentVersion\Run"
APPROVED_KEY: Final = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
LOCATION: Final = f"HKCU\\{RUN_KEY}\\{VALUE_NAME}"
# What Task Manager writes when the user switches an entry back on (see the module docstring).
APPROVED_ENABLED: Final = bytes([0x02]) + bytes(11)


class RegistryKey(Protocol):
    """The part of winreg's PyHKEY we use: a handle that closes at the end of a `with`."""

    def __enter__(self) -> RegistryKey: ...

    def __exit__(self, *exc_info: object) -> bool | None: ...


class Winreg(Protocol):
    """The subset of the `winreg` module this backend calls, with the real signatures."""

    HKEY_CURRENT_USER: int
    KEY_QUERY_VALUE: int
    KEY_SET_VALUE: int
    REG_SZ: int
    REG_EXPAND_SZ: int
    REG_BINARY: int

    def OpenKey(
        self, key: RegistryKey | int, sub_key: str | None, reserved: int = 0, access: int = ...
    ) -> RegistryKey: ...

    def CreateKeyEx(
        self, key: RegistryKey | int, sub_key: str | None, reserved: int = 0, access: int = ...
    ) -> RegistryKey: ...

    def QueryValueEx(self, key: RegistryKey | int, name: str, /) -> tuple[Any, int]: ...

    def SetValueEx(
        self,
        key: RegistryKey | int,
        value_name: str | None,
        reserved: int,
        type: int,  # the real parameter name, shadowing the builtin as winreg does
        value: Any,
        /,
    ) -> None: ...

    def DeleteValue(self, key: RegistryKey | int, value: str, /) -> None: ...


def split_command_line(line: str) -> list[str]:
    """Windows' parsing of a command line (CommandLineToArgvW), the inverse of list2cmdline.

    The program name ends at the closing quote or the first space, with no escapes (a path
    cannot contain `"`); the arguments follow the C runtime rules: 2n backslashes before a
    quote give n backslashes and a quote toggle, 2n+1 give n backslashes and a literal quote.
    """
    line = line.lstrip()
    if line.startswith('"'):
        end = line.find('"', 1)
        program, rest = (line[1:], "") if end < 0 else (line[1:end], line[end + 1 :])
    else:
        program = re.split(r"[ \t]", line, maxsplit=1)[0]
        rest = line[len(program) :]
    args: list[str] = [program]
    current: list[str] = []
    in_arg = in_quotes = False
    backslashes = 0
    for char in rest:
        if char == "\\":
            backslashes += 1
            in_arg = True
            continue
        if char == '"':
            current.append("\\" * (backslashes // 2))
            if backslashes % 2:
                current.append('"')
            else:
                in_quotes = not in_quotes
            backslashes, in_arg = 0, True
            continue
        current.append("\\" * backslashes)
        backslashes = 0
        if char in " \t" and not in_quotes:
            if in_arg:
                args.append("".join(current))
            current, in_arg = [], False
        else:
            current.append(char)
            in_arg = True
    if backslashes or in_arg:
        args.append("".join(current) + "\\" * backslashes)
    return args


def approved_disabled(data: object) -> bool:
    """True when a StartupApproved\\Run value says the user switched the entry off."""
    if not isinstance(data, bytes | bytearray) or not data:
        return False  # unknown shapes: Explorer runs the entry, so do not claim it is off
    return bool(data[0] & 0x01)


class WindowsAutostart:
    def __init__(self, *, launcher: LaunchCommand, winreg_module: Winreg | None = None) -> None:
        self.launcher = launcher
        self._winreg = winreg_module

    def enable(self) -> AutostartStatus:
        try:
            reg = self._registry()
        except ImportError as exc:
            return _no_registry(exc)
        command_line = subprocess.list2cmdline(self.launcher.argv)
        before = self.status()
        try:
            with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
                reg.SetValueEx(key, VALUE_NAME, 0, reg.REG_SZ, command_line)
        except OSError as exc:
            return with_detail(self.status(), f"could not write the Run value: {exc.strerror}")
        notes: list[str] = []
        if before.command and not before.target_exists:
            notes.append(f"repaired: it pointed at missing {before.command[0]}")
        # The user asked us to start at login: a Task Manager "disabled" mark would silently
        # keep the entry off, so switch it back on the way Task Manager does.
        if self._approved_disabled(reg):
            try:
                with reg.OpenKey(reg.HKEY_CURRENT_USER, APPROVED_KEY, 0, reg.KEY_SET_VALUE) as key:
                    reg.SetValueEx(key, VALUE_NAME, 0, reg.REG_BINARY, APPROVED_ENABLED)
                notes.append("switched back on in Task Manager's startup list")
            except OSError as exc:
                notes.append(f"could not switch it back on in Task Manager: {exc.strerror}")
        after = self.status()
        return with_detail(after, "; ".join(notes)) if notes else after

    def disable(self) -> AutostartStatus:
        try:
            reg = self._registry()
        except ImportError as exc:
            return _no_registry(exc)
        for sub_key in (RUN_KEY, APPROVED_KEY):
            # The StartupApproved value too: Windows leaves it behind when the Run value goes.
            try:
                with reg.OpenKey(reg.HKEY_CURRENT_USER, sub_key, 0, reg.KEY_SET_VALUE) as key:
                    reg.DeleteValue(key, VALUE_NAME)
            except FileNotFoundError:
                pass  # no key or no value: already gone
            except OSError as exc:
                return with_detail(self.status(), f"could not remove {sub_key}: {exc.strerror}")
        return self.status()

    def status(self) -> AutostartStatus:
        try:
            reg = self._registry()
        except ImportError as exc:
            return _no_registry(exc)
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_QUERY_VALUE) as key:
                value, kind = reg.QueryValueEx(key, VALUE_NAME)
        except FileNotFoundError:
            return AutostartStatus(False, LOCATION, "no Run entry", target_exists=False)
        except OSError as exc:
            return AutostartStatus(False, LOCATION, f"cannot read the Run key: {exc}", False)
        if kind not in (reg.REG_SZ, reg.REG_EXPAND_SZ) or not isinstance(value, str):
            return AutostartStatus(False, LOCATION, "the Run value is not a command line", False)
        if kind == reg.REG_EXPAND_SZ:
            value = ntpath.expandvars(value)
        command = tuple(split_command_line(value))
        if not command[0]:
            return AutostartStatus(False, LOCATION, "the Run value is empty", False)
        switched_off = (
            "disabled in Task Manager (Startup apps)" if self._approved_disabled(reg) else None
        )
        return entry_status(command, LOCATION, self.launcher.executable, switched_off=switched_off)

    def _approved_disabled(self, reg: Winreg) -> bool:
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, APPROVED_KEY, 0, reg.KEY_QUERY_VALUE) as key:
                data, kind = reg.QueryValueEx(key, VALUE_NAME)
        except OSError:
            return False  # no key or no value (or unreadable): Explorer runs the entry
        return kind == reg.REG_BINARY and approved_disabled(data)

    def _registry(self) -> Winreg:
        if self._winreg is None:
            # Imported here, not at module level: winreg exists on Windows only.
            self._winreg = cast(Winreg, importlib.import_module("winreg"))
        return self._winreg


def _no_registry(exc: ImportError) -> AutostartStatus:
    return AutostartStatus(False, LOCATION, f"no Windows registry here ({exc})", False)
