"""Reading the config file: its bytes (a regular file of at most 1 MiB), parsed into
`Settings`, and a warning when others can read it. Light on imports: `status --cached`
reads the config through here."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from tray_app.config.model import ConfigError, Settings
from tray_app.config.parse import parse_settings
from tray_app.core.language import N_, Message

_CANNOT_READ = N_("cannot read config {path}: {error}")


def load_settings(path: Path) -> Settings:
    """Read settings from `path`; a missing file means defaults. Raises ConfigError; logs
    a warning about a file that others can read."""
    settings, warnings = read_settings(path)
    if warnings:
        import logging

        for warning in warnings:
            logging.getLogger(__name__).warning("%s", warning)
    return settings


def read_settings(path: Path) -> tuple[Settings, list[Message]]:
    """`load_settings` without logging: the settings and the warnings about the file (English
    as strings, `text(lang)` for a person: cli/main.py words them when it prints them). The
    `status --cached` fast path (fast_status.py) uses it to leave those to the full CLI, and so
    to start without the logging module; the heavier parsers are imported here, on use, for
    the same reason (docs/benchmarks.md)."""
    raw = read_config_bytes(path)
    if raw is None:
        return Settings(), []
    return settings_from_bytes(path, *raw)


#: A config is a few KiB; far more is not a config (a log, a device, a wrong --config), and
#: reading or editing it whole would take seconds to minutes (tomlkit: about 1 s per MiB).
MAX_CONFIG_BYTES = 1 << 20


def read_config_bytes(path: Path) -> tuple[bytes, int] | None:
    """The config file's bytes and mode, or None when there is no file. Raises ConfigError
    for anything that is not a readable regular file of at most MAX_CONFIG_BYTES."""
    try:
        # O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(_CANNOT_READ, path=path, error=exc.strerror) from None
    try:
        mode = os.fstat(fd).st_mode  # of the file read, not a later one
        if not stat.S_ISREG(mode):
            raise ConfigError(
                N_(
                    "cannot read config {path}: it is not a file (a folder, a device or a "
                    "pipe); move it away or point --config at a file"
                ),
                path=path,
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(_CANNOT_READ, path=path, error=exc.strerror) from None
    finally:
        os.close(fd)
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            N_(
                "config {path} is larger than {size} MiB, which no lensmor-tray config is; "
                "check that it is the right file (it was left untouched)"
            ),
            path=path,
            size=MAX_CONFIG_BYTES >> 20,
        )
    return raw, mode


def settings_from_bytes(path: Path, raw: bytes, mode: int) -> tuple[Settings, list[Message]]:
    """Parse a config file's bytes (`read_config_bytes`); ConfigError naming what is wrong."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        # utf-8-sig: Windows editors (Notepad before 2019) start the file with a BOM.
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        # TOMLDecodeError is a ValueError; so is tomllib's "integer too long" (over 4,300 digits).
        raise ConfigError(
            N_(
                "config {path} is not valid TOML ({error}); fix or delete it "
                "(it was left untouched)"
            ),
            path=path,
            error=_one_line(exc),
        ) from None
    except RecursionError:
        raise ConfigError(
            N_(
                "config {path} nests arrays or tables too deeply; fix or delete it "
                "(it was left untouched)"
            ),
            path=path,
        ) from None
    settings = parse_settings(data, origin=str(path))
    # We create it 0600 (config_file.py); a looser mode means it was copied in or edited under
    # the umask's default, and it tells others which host gets the key. Warn and carry on;
    # after parsing, so that a broken config still exits with its one error line.
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        return settings, [
            Message(
                N_("the config file {path} is readable by other users; run `chmod 600 {path}`"),
                path=path,
            )
        ]
    return settings, []


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]
