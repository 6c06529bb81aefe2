"""The `[integrations]` table of config.toml: where the running app writes its feed files.

    [integrations]
    prometheus_textfile = "/var/lib/node_exporter/textfile/lensmor.prom"
    waybar_file = "~/.cache/lensmor-tray/waybar.json"

Each path is optional; `~` is expanded; it must be absolute and name a file (not a folder).
The node exporter's textfile collector reads only `*.prom` files, so that name is required.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tray_app.config.model import ConfigError, IntegrationSettings

_KEYS = ("prometheus_textfile", "waybar_file")


def parse_integrations(data: Any, origin: str) -> IntegrationSettings:
    """Build IntegrationSettings from the decoded table; ConfigError names the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: integrations must be a table ([integrations])")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{origin}: unknown key 'integrations.{unknown[0]}'; allowed: {', '.join(_KEYS)}"
        )
    paths = {name: _file_path(data[name], f"{origin}: integrations.{name}") for name in data}
    textfile = paths.get("prometheus_textfile")
    if textfile is not None and textfile.suffix != ".prom":
        raise ConfigError(
            f"{origin}: integrations.prometheus_textfile must end in .prom (the node "
            f"exporter's textfile collector reads only *.prom files), got {str(textfile)!r}"
        )
    return IntegrationSettings(**paths)


def _file_path(value: Any, name: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f'{name} must be a file path in quotes, like "~/.cache/lensmor.json"')
    if "\x00" in value:
        raise ConfigError(f"{name} must not contain a NUL character")
    path = Path(value.strip()).expanduser()
    if not path.is_absolute():
        raise ConfigError(f"{name} must be an absolute path (or start with ~/), got {value!r}")
    if value.rstrip().endswith(("/", "\\")) or path.is_dir():
        raise ConfigError(f"{name} must name a file, not a folder: {value!r}")
    return path
