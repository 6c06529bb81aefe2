"""Build dist/lensmor-tray_<version>_all.deb from the wheel, for Debian 12 (`make deb`).

    python packaging/deb/build_deb.py --wheel dist/lensmor_tray-0.1.0-py3-none-any.whl [--out dist]

The package is architecture-independent: the app's code (the wheel's `tray_app/`) goes to
/usr/share/lensmor-tray/, and /usr/bin/lensmor-tray is a small launcher that puts that folder
(and vendor/ beside it) first on sys.path and runs `tray_app.entry:main` with Debian's
/usr/bin/python3. The libraries come from Debian's own python3-* packages (DEBIAN_PACKAGES
maps every requirement in pyproject.toml to one) except where Debian 12 has none or one too
old for the code (VENDORED): those are copied, pure Python only, from the environment that runs
this script (the project's .venv, where pip installed them from pyproject's dependencies).

Besides the code: the menu entry and AppStream metadata (packaging/linux/), the app icon in
the hicolor theme, a man page made from `--help`, the copyright file and the changelog.
postinst byte-compiles /usr/share/lensmor-tray once; prerm removes what it compiled, so that
`apt-get remove` leaves nothing behind. Needs only dpkg-deb (no debhelper).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

if sys.version_info >= (3, 11):
    import tomllib
else:  # pyproject's tomli dependency
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PACKAGE = "lensmor-tray"
APP_DIR = PurePosixPath("/usr/share/lensmor-tray")

# pyproject's requirement (normalised name) -> the Debian 12 package that provides it, for
# Depends. None: not needed on Debian 12 (tomli is for Python < 3.11; Debian 12 has 3.11).
DEBIAN_PACKAGES: dict[str, str | None] = {
    "pystray": "python3-pystray",
    "pillow": "python3-pil",
    "apscheduler": "python3-apscheduler",
    "plyer": "python3-plyer",
    "platformdirs": "python3-platformdirs",
    "keyring": "python3-keyring",
    "tomli": None,
    "tomli-w": "python3-tomli-w",
    "tomlkit": "python3-tomlkit",
    "filelock": "python3-filelock",
    "babel": "python3-babel",
}
# Recommended, not required: the Usage window's chart. Without matplotlib the window opens with
# its numbers and says "(no chart)" (tray_app/windows/usage_window).
RECOMMENDED: dict[str, str] = {"matplotlib": "python3-matplotlib"}
# Requirements copied into /usr/share/lensmor-tray/vendor/, and why Debian's will not do.
VENDORED: dict[str, str] = {
    "desktop-notifier": "not packaged in Debian 12",
    # HTTPResponse.read1 (the body's overall deadline, tray_app/api/client.py) is urllib3 >= 2;
    # Debian 12 has 1.26.
    "urllib3": "Debian 12 has 1.26; the app needs 2.x (HTTPResponse.read1)",
    # Debian's requests 2.28 warns on urllib3 2 (it pins < 1.27), so it comes along.
    "requests": "Debian 12's 2.28 pins urllib3 < 1.27",
    # The native tray item's D-Bus interfaces use dbus_fast.annotations (dbus-fast >= 4);
    # Debian 12 has 1.84. Its Cython modules are optional: the .py sources run as they are.
    "dbus-fast": "Debian 12 has 1.84; the tray item needs >= 4 (dbus_fast.annotations)",
}
# Vendored distributions whose wheels carry compiled speed-ups beside the Python sources they
# are built from; only the sources are copied (the package stays Architecture: all).
PURE_PYTHON_FALLBACK = frozenset({"dbus-fast"})
# What the vendored copies need that Debian provides.
VENDOR_DEPENDS = (
    "python3-bidict",
    "python3-packaging",
    "python3-typing-extensions",
    "python3-charset-normalizer",
    "python3-idna",
    "python3-certifi",
)
# The settings and Usage windows are Tk windows (tkinter is not in Debian's python3 package).
SYSTEM_DEPENDS = ("python3 (>= 3.10)", "python3-tk")
SUGGESTS = ("gnome-keyring | kwalletmanager", "python3-gi", "gir1.2-ayatanaappindicator3-0.1")

LAUNCHER = f"""#!/usr/bin/python3
# lensmor-tray, installed by the Debian package: the app lives in {APP_DIR}, the libraries
# Debian 12 lacks (or has too old) in {APP_DIR}/vendor, ahead of Debian's own.
import sys

sys.path[0:0] = ["{APP_DIR}", "{APP_DIR}/vendor"]
from tray_app.entry import main

sys.exit(main())
"""


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise SystemExit(f"build_deb: cannot read the requirement {requirement!r}")
    return normalise(match.group(1))


def debian_depends(requirements: list[str]) -> tuple[list[str], list[str]]:
    """(Depends, Recommends) for pyproject's dependencies; an unmapped one stops the build."""
    depends = list(SYSTEM_DEPENDS)
    recommends: list[str] = []
    for requirement in requirements:
        name = requirement_name(requirement)
        if name in VENDORED:
            continue
        if name in RECOMMENDED:
            recommends.append(RECOMMENDED[name])
        elif name in DEBIAN_PACKAGES:
            package = DEBIAN_PACKAGES[name]
            if package is not None:
                depends.append(package)
        else:
            raise SystemExit(
                f"build_deb: pyproject requires {name!r}, which packaging/deb/build_deb.py does "
                "not map: add its Debian package to DEBIAN_PACKAGES (or vendor it in VENDORED)"
            )
    depends += VENDOR_DEPENDS
    return sorted(set(depends)), sorted(set(recommends))


def unpack_app(wheel: Path, app_dir: Path) -> str:
    """The wheel's `tray_app/` into app_dir; returns the wheel's version."""
    with zipfile.ZipFile(wheel) as archive:
        version = ""
        for info in archive.infolist():
            top = info.filename.split("/", 1)[0]
            if top == "tray_app" and not info.is_dir():
                archive.extract(info, app_dir)
            elif top.endswith(".dist-info") and info.filename.endswith("/METADATA"):
                metadata = archive.read(info).decode()
                version = re.search(r"^Version: (\S+)$", metadata, re.M).group(1)  # type: ignore[union-attr]
    if not version:
        raise SystemExit(f"build_deb: {wheel} has no METADATA")
    return version


def vendor(name: str, vendor_dir: Path, licenses_dir: Path) -> str:
    """Copy an installed pure-Python distribution (code and its .dist-info) into vendor_dir."""
    dist = importlib.metadata.distribution(name)
    copied = 0
    for file in dist.files or ():
        parts = PurePosixPath(str(file)).parts
        if ".." in parts or "__pycache__" in parts or parts[0].endswith(".data"):
            continue
        if file.suffix in (".so", ".pyd", ".dll", ".dylib", ".pxd", ".c"):
            if normalise(name) in PURE_PYTHON_FALLBACK:
                continue
            raise SystemExit(f"build_deb: {name} has compiled code ({file}); an _all.deb cannot")
        if parts[0].endswith(".dist-info") and parts[-1] in ("RECORD", "INSTALLER", "REQUESTED"):
            continue
        if parts[-1] == "direct_url.json":
            continue
        source = Path(str(file.locate()))
        target = vendor_dir.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        copied += 1
        if parts[0].endswith(".dist-info") and re.match(r"(LICEN[CS]E|COPYING)", parts[-1], re.I):
            shutil.copy2(source, licenses_dir / f"{normalise(name)}-{parts[-1]}")
    if not copied:
        raise SystemExit(f"build_deb: {name} is installed without a file list")
    return dist.version


def roff(text: str) -> str:
    lines = []
    for line in text.replace("\\", "\\e").splitlines():
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def man_page(app_dir: Path, version: str) -> bytes:
    """A man page whose body is the program's own --help (never out of step with it)."""
    env = {"PATH": os.defpath, "LANG": "C.UTF-8", "COLUMNS": "80", "PYTHONPATH": str(app_dir)}
    usage = subprocess.run(
        [sys.executable, "-m", "tray_app", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    page = (
        f'.TH LENSMOR-TRAY 1 "" "lensmor-tray {version}" "User Commands"\n'
        ".SH NAME\n"
        "lensmor-tray \\- system-tray monitor for the credits balance of the Lensmor API\n"
        ".SH SYNOPSIS\n"
        ".B lensmor-tray\n[\\fIoptions\\fR] [\\fIcommand\\fR]\n"
        ".SH DESCRIPTION\n"
        "Without a command, lensmor-tray starts the tray app. `lensmor-tray COMMAND --help`\n"
        "describes each command.\n"
        ".PP\n.nf\n" + roff(usage) + "\n.fi\n"
        ".SH FILES\n"
        "`lensmor-tray paths` prints where the configuration, data and logs are.\n"
        ".SH SEE ALSO\n"
        "/usr/share/doc/lensmor-tray/README.md\n"
    )
    return gzip.compress(page.encode(), mtime=0)


def copyright_file(vendored: dict[str, str]) -> str:
    lines = [
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
        "Upstream-Name: lensmor-tray",
        "",
        "Files: *",
        "Copyright: lensmor-tray developers",
        "License: MIT",
        "",
        "Files: usr/share/lensmor-tray/tray_app/assets/DejaVuSansCondensed-Bold.ttf",
        "Copyright: Bitstream, Inc.; DejaVu fonts team",
        "License: Bitstream-Vera (see DejaVuSansCondensed-Bold.LICENSE.txt beside it)",
    ]
    for name, version in sorted(vendored.items()):
        lines += [
            "",
            f"Files: usr/share/lensmor-tray/vendor/* ({name} {version}, {VENDORED[name]})",
            f"Copyright: the {name} authors",
            f"License: see /usr/share/doc/lensmor-tray/licenses/{normalise(name)}-*",
        ]
    return "\n".join(lines) + "\n"


def control(version: str, depends: list[str], recommends: list[str], size_kb: int) -> str:
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        "Architecture: all\n"
        "Section: utils\n"
        "Priority: optional\n"
        "Maintainer: lensmor-tray developers <lensmor-tray@users.noreply.github.com>\n"
        f"Installed-Size: {size_kb}\n"
        f"Depends: {', '.join(depends)}\n"
        f"Recommends: {', '.join(recommends)}\n"
        f"Suggests: {', '.join(SUGGESTS)}\n"
        "Description: system-tray monitor for the Lensmor API credits balance\n"
        " Shows the credits balance of one or more Lensmor API accounts as a badge in the\n"
        " system tray (StatusNotifierItem or XEmbed), warns before the credits run out,\n"
        " keeps a history and writes status-bar feeds (waybar, polybar, i3blocks, xbar).\n"
    )


def build(wheel: Path, out: Path) -> Path:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    depends, recommends = debian_depends(pyproject["project"]["dependencies"])
    with tempfile.TemporaryDirectory(prefix="lensmor-deb-") as scratch:
        root = Path(scratch) / "root"
        app_dir = root / APP_DIR.relative_to("/")
        doc_dir = root / "usr/share/doc" / PACKAGE
        licenses = doc_dir / "licenses"
        licenses.mkdir(parents=True)
        version = unpack_app(wheel, app_dir)
        vendored = {name: vendor(name, app_dir / "vendor", licenses) for name in VENDORED}

        launcher = root / "usr/bin" / PACKAGE
        launcher.parent.mkdir(parents=True)
        launcher.write_text(LAUNCHER)
        launcher.chmod(0o755)

        share = root / "usr/share"
        (share / "applications").mkdir()
        shutil.copy2(REPO / "packaging/linux/lensmor-tray.desktop", share / "applications")
        (share / "metainfo").mkdir()
        shutil.copy2(REPO / "packaging/linux/com.lensmor.tray.metainfo.xml", share / "metainfo")
        for px in (128, 256):
            icons = share / f"icons/hicolor/{px}x{px}/apps"
            icons.mkdir(parents=True)
            shutil.copy2(REPO / f"tray_app/assets/app-icon-{px}.png", icons / f"{PACKAGE}.png")
        (share / "man/man1").mkdir(parents=True)
        (share / f"man/man1/{PACKAGE}.1.gz").write_bytes(man_page(app_dir, version))

        shutil.copy2(REPO / "README.md", doc_dir / "README.md")
        changelog = (REPO / "CHANGELOG.md").read_bytes()
        (doc_dir / "changelog.gz").write_bytes(gzip.compress(changelog, mtime=0))
        (doc_dir / "copyright").write_text(copyright_file(vendored))

        for path in root.rglob("*"):
            if path.is_dir():
                path.chmod(0o755)
            elif path != launcher:
                path.chmod(0o644)
        size_kb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) // 1024 + 1

        debian = root / "DEBIAN"
        debian.mkdir()
        (debian / "control").write_text(control(version, depends, recommends, size_kb))
        for script in ("postinst", "prerm"):
            shutil.copy2(HERE / script, debian / script)
            (debian / script).chmod(0o755)

        out.mkdir(parents=True, exist_ok=True)
        deb = out / f"{PACKAGE}_{version}_all.deb"
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(deb)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return deb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--wheel", type=Path, required=True, help="the wheel `make dist` built")
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="where the .deb goes")
    args = parser.parse_args()
    if shutil.which("dpkg-deb") is None:
        print("build_deb: dpkg-deb is missing (apt-get install dpkg)", file=sys.stderr)
        return 1
    print(build(args.wheel, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
