"""`lensmor-tray doctor`'s file check: can the app write where it writes?

The config, data and log folders are created by the app when missing, so a missing one is fine
when a file can be created in its nearest existing parent. A feed file's folder is not created:
`tray_app.runtime.feeds` writes a temporary file in that very folder and renames it over the
feed, so the check does exactly that (a temporary file, renamed, removed) and a folder that
does not exist is a failure, as it is for the app."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from tray_app.cli.doctor.context import FAIL, OK, Context
from tray_app.core.doctor import CheckResult

FEEDS = ("prometheus_textfile", "waybar_file")


def check_files(context: Context) -> list[CheckResult]:
    paths = context.paths
    broken: list[str] = []
    fixes: list[str] = []
    for label, folder in (
        ("config folder", paths.config_file.parent),
        ("data folder", paths.data_dir),
        ("log folder", paths.log_dir),
    ):
        problem = creatable_in(folder)
        if problem:
            broken.append(f"{label} {folder}: {problem}")
            fixes.append("fix the permissions (chmod u+w) or free space")
    integrations = context.settings.integrations
    for name in FEEDS:
        target = getattr(integrations, name)
        if target is None:
            continue
        problem = feed_writable(target)
        if problem:
            broken.append(f"integrations.{name} {target}: {problem}")
            if not target.parent.exists():
                fixes.append(f"create the folder (`mkdir -p {target.parent}`) or change {name}")
            else:
                fixes.append(f"fix that folder's permissions or change {name}")
    if broken:
        unique_fixes = list(dict.fromkeys(fixes))
        return [CheckResult("files", FAIL, "; ".join(broken), "; ".join(unique_fixes))]
    written = "config, data and log folders are writable"
    feeds = [name for name in FEEDS if getattr(integrations, name) is not None]
    if feeds:
        written += f", and the folder of {' and '.join(feeds)}"
    return [CheckResult("files", OK, written)]


def creatable_in(folder: Path) -> str:
    """ "" when a file can be created in `folder` (or in its nearest existing parent, where the
    app would create it), else why not."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return "no existing parent folder"
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a folder"
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def feed_writable(target: Path) -> str:
    """ "" when the app can write `target` as feeds.write_atomically does, else why not."""
    folder = target.parent
    if not folder.exists():
        return f"the folder {folder} does not exist"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if target.is_dir():
        return "it is a folder"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".doctor", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    renamed = f"{tmp}.renamed"
    try:
        os.replace(tmp, renamed)
    except OSError as exc:
        return f"cannot rename a file there: {exc.strerror or exc}"
    finally:
        for leftover in (tmp, renamed):
            with contextlib.suppress(OSError):
                os.unlink(leftover)
    return ""
