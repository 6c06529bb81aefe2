"""Stand-ins shared by the autostart tests: a launcher script that records how it was
started, a private user environment holding a canary API key, argv text for the quoting
properties, a fake launchctl, and a fake winreg with the real module's shape.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from tests.support.waiting import poll_until
from tray_app.autostart.macos import LABEL, LAUNCHCTL

CANARY_KEY = "uak_canary_0123456789abcdef_must_never_be_written"


def needs(tool: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(shutil.which(tool) is None, reason=f"{tool} is not installed")


posix_only = pytest.mark.skipif(os.name != "posix", reason="runs a #! script")


def make_launcher(directory: Path, name: str = "lensmor tray launcher") -> tuple[Path, Path]:
    """A stand-in for the installed launcher: writes the argv it was started with to a marker.

    The marker path is baked into the script because a login entry passes no environment.
    """
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / name
    marker = directory.parent / f"{directory.name}.started.json"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"open({str(marker)!r}, 'w', encoding='utf-8').write(json.dumps(sys.argv))\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script, marker


def wait_for(path: Path, timeout: float = 10.0) -> str:
    def text() -> str | None:
        if path.exists() and path.stat().st_size:
            return path.read_text(encoding="utf-8")
        return None

    return poll_until(text, timeout, f"{path} to appear")


def user_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A private HOME/XDG_CONFIG_HOME, with a canary API key in the environment."""
    monkeypatch.setenv("LENSMOR_API_KEY", CANARY_KEY)
    return {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "LENSMOR_API_KEY": CANARY_KEY,
    }


# The spec forbids nothing but NUL in an argument; a UTF-8 file cannot hold lone surrogates.
argument_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))


class FakeLaunchd:
    """Stands in for `subprocess.run` of /bin/launchctl, keeping launchd's state for one agent.

    Answers like the real tool: `print` of an unknown service exits 113, `bootstrap` of a loaded
    one exits 5 ("Input/output error"), `bootout` stops the running process and unloads.
    """

    def __init__(self, *, uid: int) -> None:
        self.service = f"gui/{uid}/{LABEL}"
        self.domain = f"gui/{uid}"
        self.calls: list[list[str]] = []
        self.loaded = False
        self.pid: int | None = None
        self.fail: dict[str, tuple[int, str]] = {}
        self.raises: BaseException | None = None

    def __call__(self, argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert kwargs == {"capture_output": True, "text": True, "timeout": 15.0, "check": False}
        self.calls.append(list(argv))
        if self.raises is not None:
            raise self.raises
        assert argv[0] == LAUNCHCTL
        verb = argv[1]
        if verb in self.fail:
            code, stderr = self.fail[verb]
            return subprocess.CompletedProcess(argv, code, "", stderr)
        if verb == "print":
            assert argv[2:] == [self.service]
            if not self.loaded:
                return self.done(argv, 113, err=f'Could not find service "{LABEL}" in domain')
            state = f"\tstate = running\n\tpid = {self.pid}\n" if self.pid else "\tstate = idle\n"
            return self.done(argv, 0, out=f"{self.service} = {{\n{state}}}\n")
        if verb == "bootstrap":
            assert argv[2] == self.domain
            assert Path(argv[3]).is_file()
            if self.loaded:
                return self.done(argv, 5, err="Bootstrap failed: 5: Input/output error")
            self.loaded = True
            return self.done(argv, 0)
        if verb == "bootout":
            assert argv[2:] == [self.service]
            self.loaded, self.pid = False, None
            return self.done(argv, 0)
        raise AssertionError(f"unexpected launchctl call {argv}")

    @staticmethod
    def done(
        argv: Sequence[str], code: int, out: str = "", err: str = ""
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(list(argv), code, out, err)


class FakeHKEY:
    """Like winreg.PyHKEY: a handle that remembers its access rights and closes in `with`."""

    def __init__(self, registry: FakeWinreg, path: tuple[int, str], access: int) -> None:
        self._registry = registry
        self.path = path
        self.access = access
        self.closed = False
        registry.open_handles += 1

    def Close(self) -> None:
        if not self.closed:
            self.closed = True
            self._registry.open_handles -= 1

    def __enter__(self) -> FakeHKEY:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.Close()

    def __bool__(self) -> bool:
        return not self.closed


class FakeWinreg:
    """The slice of `winreg` the backend uses, with the real signatures (positional-only where
    CPython's are), constants, value types and errors: a missing key or value raises
    FileNotFoundError, a handle without the right access PermissionError, as on Windows.
    """

    HKEY_CURRENT_USER = 0x80000001
    HKEY_LOCAL_MACHINE = 0x80000002
    KEY_QUERY_VALUE = 0x0001
    KEY_SET_VALUE = 0x0002
    KEY_CREATE_SUB_KEY = 0x0004
    KEY_READ = 0x20019
    KEY_WRITE = 0x20006
    KEY_ALL_ACCESS = 0xF003F
    REG_SZ = 1
    REG_EXPAND_SZ = 2
    REG_BINARY = 3
    REG_DWORD = 4

    def __init__(self) -> None:
        # (root, lower-cased key path) -> {lower-cased value name: (value, type)}
        self.keys: dict[tuple[int, str], dict[str, tuple[object, int]]] = {}
        self.read_only: set[str] = set()
        self.open_handles = 0

    # Helpers for the tests, not part of winreg.
    def put(self, sub_key: str, name: str, value: object, kind: int) -> None:
        self._create(self.HKEY_CURRENT_USER, sub_key)[name.lower()] = (value, kind)

    def get(self, sub_key: str, name: str) -> tuple[object, int] | None:
        values = self.keys.get((self.HKEY_CURRENT_USER, sub_key.lower()), {})
        return values.get(name.lower())

    def _create(self, root: int, sub_key: str) -> dict[str, tuple[object, int]]:
        parts = sub_key.lower().split("\\")
        for depth in range(1, len(parts) + 1):  # RegCreateKeyEx creates every missing level
            self.keys.setdefault((root, "\\".join(parts[:depth])), {})
        return self.keys[(root, sub_key.lower())]

    def _path(self, key: FakeHKEY | int, sub_key: str | None) -> tuple[int, str]:
        if isinstance(key, FakeHKEY):
            self._check(key, 0)
            root, base = key.path
        else:
            assert key in (self.HKEY_CURRENT_USER, self.HKEY_LOCAL_MACHINE), key
            root, base = key, ""
        joined = "\\".join(part for part in (base, (sub_key or "").lower()) if part)
        return root, joined

    @staticmethod
    def _check(key: FakeHKEY | int, right: int) -> FakeHKEY:
        assert isinstance(key, FakeHKEY), "values live under opened keys in this backend"
        if key.closed:
            raise OSError(errno.EBADF, "The handle is invalid")
        if right and not key.access & right:
            raise PermissionError(errno.EACCES, "Access is denied")
        return key

    def OpenKey(
        self, key: FakeHKEY | int, sub_key: str | None, reserved: int = 0, access: int = KEY_READ
    ) -> FakeHKEY:
        if reserved != 0:
            raise OSError(errno.EINVAL, "The parameter is incorrect")
        path = self._path(key, sub_key)
        if path not in self.keys:
            raise FileNotFoundError(errno.ENOENT, "The system cannot find the file specified")
        return FakeHKEY(self, path, access)

    def CreateKeyEx(
        self, key: FakeHKEY | int, sub_key: str | None, reserved: int = 0, access: int = KEY_WRITE
    ) -> FakeHKEY:
        if reserved != 0:
            raise OSError(errno.EINVAL, "The parameter is incorrect")
        root, path = self._path(key, sub_key)
        self._create(root, path)
        return FakeHKEY(self, (root, path), access)

    def QueryValueEx(self, key: FakeHKEY | int, name: str, /) -> tuple[Any, int]:
        handle = self._check(key, self.KEY_QUERY_VALUE)
        try:
            return self.keys[handle.path][name.lower()]
        except KeyError:
            raise FileNotFoundError(
                errno.ENOENT, "The system cannot find the file specified"
            ) from None

    def SetValueEx(
        self,
        key: FakeHKEY | int,
        value_name: str | None,
        reserved: int,  # ignored, as by the real function
        value_type: int,  # winreg calls it `type` (positional only, so the name is ours)
        value: Any,
        /,
    ) -> None:
        handle = self._check(key, self.KEY_SET_VALUE)
        if handle.path[1] in self.read_only:
            raise PermissionError(errno.EACCES, "Access is denied")
        if value_type in (self.REG_SZ, self.REG_EXPAND_SZ) and not isinstance(value, str):
            raise ValueError("Could not convert the data to the specified type.")
        if value_type == self.REG_BINARY:
            if not isinstance(value, bytes | bytearray | memoryview):
                raise TypeError(
                    f"Objects of type '{type(value).__name__}' can not be used as binary "
                    "registry values"
                )
            value = bytes(value)
        self.keys[handle.path][(value_name or "").lower()] = (value, value_type)

    def DeleteValue(self, key: FakeHKEY | int, value: str, /) -> None:
        handle = self._check(key, self.KEY_SET_VALUE)
        if handle.path[1] in self.read_only:
            raise PermissionError(errno.EACCES, "Access is denied")
        if self.keys[handle.path].pop(value.lower(), None) is None:
            raise FileNotFoundError(errno.ENOENT, "The system cannot find the file specified")

    def CloseKey(self, hkey: FakeHKEY | int, /) -> None:
        if isinstance(hkey, FakeHKEY):
            hkey.Close()
