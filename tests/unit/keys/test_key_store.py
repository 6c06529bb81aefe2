"""The API key: sources in order, the keyring timeout, the 0600 fallback, masking."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from tests.support.file_keyring import BrokenKeyring, FileKeyring, HangingKeyring
from tray_app.keys.key_store import InvalidKey, KeySource, KeyStore, normalise_key

KEY = "uak_0123456789abcdefghija1b2"


@pytest.fixture
def use_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type]:
    """Install a keyring backend for this process for the test, then put the old one back."""
    previous = keyring.get_keyring()
    monkeypatch.setenv("TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))

    def install(backend: KeyringBackend) -> None:
        keyring.set_keyring(backend)

    yield install  # type: ignore[misc]
    keyring.set_keyring(previous)


def store(tmp_path: Path, **kwargs: object) -> KeyStore:
    return KeyStore(tmp_path / "cfg" / "api-key", environ=kwargs.pop("environ", {}), **kwargs)  # type: ignore[arg-type]


def test_environment_comes_first(tmp_path: Path, use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(FileKeyring())
    keys = store(tmp_path, environ={"LENSMOR_API_KEY": " uak_fromenv0000000000zz99 "})
    keys.save(KEY)
    loaded = keys.load()
    assert loaded is not None
    assert loaded.source is KeySource.ENVIRONMENT
    assert loaded.value == "uak_fromenv0000000000zz99"


def test_keyring_is_used_when_available(tmp_path: Path, use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(FileKeyring())
    keys = store(tmp_path)
    saved = keys.save(KEY)
    assert saved.source is KeySource.KEYRING
    assert not keys.key_file.exists()
    loaded = keys.load()
    assert loaded is not None
    assert (loaded.value, loaded.source) == (KEY, KeySource.KEYRING)
    assert keys.clear() == [KeySource.KEYRING]
    assert keys.load() is None


def test_without_a_keyring_the_key_goes_to_a_private_file_with_a_warning(
    tmp_path: Path,
    use_backend,  # type: ignore[no-untyped-def]
) -> None:
    use_backend(BrokenKeyring())
    keys = store(tmp_path)
    saved = keys.save(KEY)
    assert saved.source is KeySource.FILE
    assert stat.S_IMODE(keys.key_file.stat().st_mode) == 0o600
    assert any("less safe" in w for w in keys.warnings)
    loaded = keys.load()
    assert loaded is not None
    assert (loaded.value, loaded.source) == (KEY, KeySource.FILE)
    assert keys.clear() == [KeySource.FILE]
    assert not keys.key_file.exists()


def test_a_hanging_keyring_times_out_and_falls_back(tmp_path: Path, use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(HangingKeyring())
    keys = store(tmp_path, keyring_timeout=0.3)
    keys.key_file.parent.mkdir(parents=True)
    keys.key_file.write_text(KEY + "\n")
    keys.key_file.chmod(0o600)
    started = time.monotonic()
    loaded = keys.load()
    assert time.monotonic() - started < 3
    assert loaded is not None
    assert loaded.source is KeySource.FILE
    assert any("did not answer" in w for w in keys.warnings)


def test_a_key_file_readable_by_others_is_warned_about(tmp_path: Path, use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(BrokenKeyring())
    keys = store(tmp_path)
    keys.save(KEY)
    keys.key_file.chmod(0o644)
    assert keys.load() is not None
    assert any("readable by other users" in w for w in keys.warnings)


def test_the_key_never_shows_in_repr(tmp_path: Path, use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(FileKeyring())
    saved = store(tmp_path).save(KEY)
    assert KEY not in repr(saved)
    assert saved.masked == "uak_…a1b2"
    assert saved.masked in repr(saved)


@pytest.mark.parametrize(
    "text", ["", "   ", "uak_abc def", "uak_\x00abc", "uak_ключ", "x" * 600, "a\r\nX-Evil: 1"]
)
def test_unusable_keys_are_refused(text: str) -> None:
    with pytest.raises(InvalidKey):
        normalise_key(text)
