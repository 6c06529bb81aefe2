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
from tray_app.core.language import ENGLISH, N_, Language

FEEDS = ("prometheus_textfile", "waybar_file")


def check_files(context: Context) -> list[CheckResult]:
    _ = context.lang.gettext
    paths = context.paths
    broken: list[str] = []
    fixes: list[str] = []
    for label, folder in (
        (N_("config folder {path}: {problem}"), paths.config_file.parent),
        (N_("data folder {path}: {problem}"), paths.data_dir),
        (N_("log folder {path}: {problem}"), paths.log_dir),
    ):
        problem = creatable_in(folder, context.lang)
        if problem:
            broken.append(_(label).format(path=folder, problem=problem))
            fixes.append(_("fix the permissions (chmod u+w) or free space"))
    integrations = context.settings.integrations
    for name in FEEDS:
        target = getattr(integrations, name)
        if target is None:
            continue
        problem = feed_writable(target, context.lang)
        if problem:
            broken.append(f"integrations.{name} {target}: {problem}")
            if not target.parent.exists():
                fix = _("create the folder (`mkdir -p {folder}`) or change {setting}")
                fixes.append(fix.format(folder=target.parent, setting=name))
            else:
                fix = _("fix that folder's permissions or change {setting}")
                fixes.append(fix.format(setting=name))
    if broken:
        unique_fixes = list(dict.fromkeys(fixes))
        return [CheckResult(N_("files"), FAIL, "; ".join(broken), "; ".join(unique_fixes))]
    feeds = [name for name in FEEDS if getattr(integrations, name) is not None]
    if feeds:
        written = _(
            "config, data and log folders are writable, and the folder of {settings}"
        ).format(settings=" + ".join(feeds))
    else:
        written = _("config, data and log folders are writable")
    return [CheckResult(N_("files"), OK, written)]


def creatable_in(folder: Path, lang: Language = ENGLISH) -> str:
    """ "" when a file can be created in `folder` (or in its nearest existing parent, where the
    app would create it), else why not."""
    _ = lang.gettext
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return _("no existing parent folder")
        probe = probe.parent
    if not probe.is_dir():
        return _("{path} is not a folder").format(path=probe)
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def feed_writable(target: Path, lang: Language = ENGLISH) -> str:
    """ "" when the app can write `target` as feeds.write_atomically does, else why not."""
    _ = lang.gettext
    folder = target.parent
    if not folder.exists():
        return _("the folder {path} does not exist").format(path=folder)
    if not folder.is_dir():
        return _("{path} is not a folder").format(path=folder)
    if target.is_dir():
        return _("it is a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".doctor", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    renamed = f"{tmp}.renamed"
    try:
        os.replace(tmp, renamed)
    except OSError as exc:
        return _("cannot rename a file there: {error}").format(error=exc.strerror or exc)
    finally:
        for leftover in (tmp, renamed):
            with contextlib.suppress(OSError):
                os.unlink(leftover)
    return ""
