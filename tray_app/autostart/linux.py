"""Linux (and every other XDG desktop): `$XDG_CONFIG_HOME/autostart/lensmor-tray.desktop`.

The file follows the Desktop Entry Specification 1.5 and the Desktop Application Autostart
Specification: the session starts every `.desktop` file in the user's autostart folder unless it
says `Hidden=true`; GNOME (and desktops copying it) also honour `X-GNOME-Autostart-enabled=false`
(how their "Startup Applications" tools switch an entry off without deleting it) and
`X-GNOME-Autostart-Delay`, which gives the panel time to exist before we try to dock.

Exec quoting is the subtle part. The spec layers two encodings, undone in this order:
1. the string escapes of every value (`\\\\`, `\\n`, `\\t`, `\\r`, `\\s`);
2. the Exec quoting: an argument with a reserved character is wrapped in double quotes, inside
   which `"`, `` ` ``, `$` and `\\` are preceded by a backslash;
3. field codes: `%%` is a literal percent sign (`%f`, `%u`, ... expand to files/URLs).
So a literal backslash inside a quoted argument is four backslashes in the file. `render_exec`
and `split_exec` implement both directions; the tests check them against GLib's own parser.
One limit is GLib's, not ours: it looks for the program before expanding `%%`, so a GNOME
session cannot start a launcher whose path contains `%` (we still write it as the spec says).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

from tray_app.autostart.base import AutostartStatus, entry_status, with_detail
from tray_app.autostart.launcher import LaunchCommand
from tray_app.support import resources
from tray_app.support.atomic_files import write_private_file

ENTRY_NAME: Final = "lensmor-tray.desktop"
ICON_NAME: Final = "lensmor-tray"  # themed-icon fallback when no PNG is installed with the package
START_DELAY_S: Final = 5
GROUP: Final = "Desktop Entry"

# Desktop Entry Spec, "The Exec key": characters that force an argument to be quoted.
_RESERVED: Final = frozenset(" \t\n\"'\\><~|&;$*?#()`")
# Inside double quotes these four must be backslash-escaped.
_QUOTE_ESCAPED: Final = frozenset('"`$\\')
_STRING_ESCAPES: Final = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
# Field codes that expand to nothing at login (no files or URLs are passed to an autostart).
_FIELD_CODES: Final = frozenset("fFuUdDnNickvm")


def autostart_dir(environ: Mapping[str, str], home: Path) -> Path:
    """$XDG_CONFIG_HOME/autostart; the spec says to ignore an unset, empty or relative value."""
    config_home = environ.get("XDG_CONFIG_HOME", "")
    base = Path(config_home) if os.path.isabs(config_home) else home / ".config"
    return base / "autostart"


def find_app_icon(assets_dir: Path | None = None) -> str:
    """Absolute path of the app icon PNG near 256 px (what launchers and the autostart list
    show well), else the themed icon name."""
    path = resources.find_app_icon(256, directory=assets_dir)
    return str(path) if path is not None else ICON_NAME


# --- Desktop Entry encoding ------------------------------------------------------------------


def escape_value(text: str) -> str:
    """The spec's string escapes, so any text fits on one `Key=value` line."""
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    text = text.replace("\r", "\\r")
    # A leading space would be stripped by readers; \s keeps it.
    return "\\s" + text[1:] if text.startswith(" ") else text


def unescape_value(raw: str) -> str:
    out: list[str] = []
    chars = iter(raw)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            # An unknown escape is kept as written, as GLib does.
            out.append(_STRING_ESCAPES.get(nxt, "\\" + nxt))
        else:
            out.append(char)
    return "".join(out)


def quote_exec_arg(arg: str) -> str:
    """One argv element as the Exec key wants it (before the string escapes)."""
    arg = arg.replace("%", "%%")
    if arg and not any(char in _RESERVED for char in arg):
        return arg
    escaped = "".join("\\" + char if char in _QUOTE_ESCAPED else char for char in arg)
    return f'"{escaped}"'


def render_exec(argv: Sequence[str]) -> str:
    """The value of an Exec key (string escapes included) that runs exactly `argv`."""
    return escape_value(" ".join(quote_exec_arg(arg) for arg in argv))


def split_exec(value: str) -> list[str]:
    """The argv an Exec value runs: undo the string escapes, the quoting, then the field codes.

    Raises ValueError for an unterminated quote or an empty command.
    """
    text = unescape_value(value)
    args: list[str] = []
    current: list[str] = []
    in_arg = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            in_arg = True
            i += 1
            while True:
                if i >= len(text):
                    raise ValueError("unterminated quote in Exec")
                char = text[i]
                if char == '"':
                    break
                if char == "\\" and i + 1 < len(text) and text[i + 1] in _QUOTE_ESCAPED:
                    i += 1
                    char = text[i]
                current.append(char)
                i += 1
        elif char in " \t\n":
            if in_arg:
                args.append("".join(current))
                current, in_arg = [], False
        else:
            in_arg = True
            current.append(char)
        i += 1
    if in_arg:
        args.append("".join(current))
    argv = [expanded for arg in args if (expanded := _expand_field_codes(arg)) is not None]
    if not argv:
        raise ValueError("empty Exec")
    return argv


def _expand_field_codes(arg: str) -> str | None:
    """`%%` -> `%`; other codes expand to nothing (an argument that was only a code vanishes)."""
    out: list[str] = []
    i = 0
    while i < len(arg):
        if arg[i] == "%" and i + 1 < len(arg):
            code = arg[i + 1]
            if code == "%":
                out.append("%")
            elif code not in _FIELD_CODES:
                out.append(arg[i : i + 2])
            i += 2
        else:
            out.append(arg[i])
            i += 1
    if not out and arg.startswith("%"):
        return None
    return "".join(out)


def read_group(text: str, group: str = GROUP) -> dict[str, str]:
    """The raw (still escaped) `key -> value` pairs of one group of a desktop file."""
    values: dict[str, str] = {}
    current = None
    # Lines end at "\n" only and only spaces and tabs are trimmed, as GLib's key-file parser
    # does: str.splitlines() and str.strip() would also cut at characters a value may contain.
    for raw_line in text.split("\n"):
        raw = raw_line.removesuffix("\r")
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        if current == group and "=" in line:
            key, _, value = raw.lstrip(" \t").partition("=")
            values.setdefault(key.rstrip(" \t"), value.lstrip(" \t"))
    return values


def render_entry(argv: Sequence[str], icon: str) -> str:
    """The whole autostart file for `argv`."""
    lines: Iterable[tuple[str, str]] = (
        ("Type", "Application"),
        ("Version", "1.0"),  # 1.5 is newer than desktop-file-validate 0.26 knows
        ("Name", "Lensmor Tray"),
        ("GenericName", "Credits Monitor"),
        ("Comment", "Shows the Lensmor API credits balance in the system tray"),
        ("Icon", escape_value(icon)),
        ("Exec", render_exec(argv)),
        # TryExec makes a session skip the entry quietly if the launcher was uninstalled,
        # instead of failing at every login; `status` reports the missing file.
        ("TryExec", escape_value(argv[0])),
        ("Terminal", "false"),
        ("StartupNotify", "false"),
        ("Categories", "Utility;"),
        ("X-GNOME-Autostart-enabled", "true"),
        ("X-GNOME-Autostart-Delay", str(START_DELAY_S)),
    )
    body = "".join(f"{key}={value}\n" for key, value in lines)
    return (
        "# Written by lensmor-tray: `lensmor-tray autostart disable` removes it.\n"
        f"[{GROUP}]\n{body}"
    )


# --- The Autostart implementation -------------------------------------------------------------


class LinuxAutostart:
    """XDG autostart entry for the user; no root, no systemd unit, works on every XDG desktop."""

    def __init__(self, *, path: Path, launcher: LaunchCommand, icon: str | None = None) -> None:
        self.path = path
        self.launcher = launcher
        self._icon = icon

    @classmethod
    def for_user(
        cls, *, environ: Mapping[str, str], home: Path, launcher: LaunchCommand
    ) -> LinuxAutostart:
        return cls(path=autostart_dir(environ, home) / ENTRY_NAME, launcher=launcher)

    def enable(self) -> AutostartStatus:
        before = self.status()
        icon = self._icon if self._icon is not None else find_app_icon()
        text = render_entry(self.launcher.argv, icon)
        try:
            # Atomic (temp file + rename): a session starting mid-write never sees half a file.
            write_private_file(self.path, text.encode("utf-8"))
        except OSError as exc:
            return with_detail(self.status(), f"could not write {self.path}: {exc.strerror}")
        after = self.status()
        if before.command and not before.target_exists:
            return with_detail(after, f"repaired: it pointed at missing {before.command[0]}")
        return after

    def disable(self) -> AutostartStatus:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            return with_detail(self.status(), f"could not remove {self.path}: {exc.strerror}")
        return self.status()

    def status(self) -> AutostartStatus:
        location = str(self.path)
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return AutostartStatus(False, location, "no autostart entry", target_exists=False)
        except (OSError, UnicodeDecodeError) as exc:
            return AutostartStatus(False, location, f"unreadable entry: {exc}", False)
        values = read_group(text)
        try:
            command = tuple(split_exec(values.get("Exec", "")))
        except ValueError as exc:
            return AutostartStatus(False, location, f"broken entry: {exc}", False)
        switched_off = None
        if values.get("Hidden", "").lower() == "true":
            switched_off = "the entry is switched off (Hidden=true)"
        elif values.get("X-GNOME-Autostart-enabled", "").lower() == "false":
            switched_off = "switched off in the session's startup settings"
        return entry_status(command, location, self.launcher.executable, switched_off=switched_off)
