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
from tray_app.core.language import N_

_KEYS = ("prometheus_textfile", "waybar_file")


def parse_integrations(data: Any, origin: str) -> IntegrationSettings:
    """Build IntegrationSettings from the decoded table; ConfigError names the key."""
    if not isinstance(data, dict):
        raise ConfigError(
            N_("{origin}: integrations must be a table ([integrations])"), origin=origin
        )
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(
            N_("{origin}: unknown key {key}; allowed: {keys}"),
            origin=origin,
            key=repr(f"integrations.{unknown[0]}"),
            keys=", ".join(_KEYS),
        )
    paths = {name: _file_path(data[name], f"{origin}: integrations.{name}") for name in data}
    textfile = paths.get("prometheus_textfile")
    if textfile is not None and textfile.suffix != ".prom":
        raise ConfigError(
            N_(
                "{origin}: integrations.prometheus_textfile must end in .prom (the node "
                "exporter's textfile collector reads only *.prom files), got {value}"
            ),
            origin=origin,
            value=repr(str(textfile)),
        )
    return IntegrationSettings(**paths)


def _file_path(value: Any, name: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            N_('{name} must be a file path in quotes, like "~/.cache/lensmor.json"'), name=name
        )
    if "\x00" in value:
        raise ConfigError(N_("{name} must not contain a NUL character"), name=name)
    path = Path(value.strip()).expanduser()
    if not path.is_absolute():
        raise ConfigError(
            N_("{name} must be an absolute path (or start with ~/), got {value}"),
            name=name,
            value=repr(value),
        )
    if value.rstrip().endswith(("/", "\\")) or path.is_dir():
        raise ConfigError(
            N_("{name} must name a file, not a folder: {value}"), name=name, value=repr(value)
        )
    return path
