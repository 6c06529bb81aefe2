"""The file names the app derives from account names (whether two names are the same account:
`core.account_label.name_key`).

An account's history folder (`accounts/<slug>/`) and its key file (`api-keys/<slug>`) are named
by `account_slug`, the one place that turns a name into a file name. The spelling is the name
case-folded and percent-encoded (`urllib.parse.quote`), which is what every version since
issue 12 wrote, so existing files keep their names. Percent-encoding keeps `/` and `\\` out, but
left a few names that are not ordinary file names; those, and only those, are spelled another
way (still a percent-encoding of the same name, so two names never share a file):

- `.` and `..` (and any name of dots only) are path parts: `..` shared the default account's
  history, `.` took over the `api-keys` folder itself. Their dots are written `%2E`.
- On Windows: the device names (CON, PRN, AUX, NUL, COM0-9, LPT0-9), with or without an
  extension, name no file, so their first letter is escaped (`%63on`); and Windows drops a
  trailing dot, so `Acme Inc.` would share `Acme Inc`'s file: its trailing dots are `%2E`.
- A spelling longer than a file name may be (255 bytes; 40 characters of CJK or emoji need up
  to 480) could not be created at all: it is cut and completed with a hash of the name, marked
  by `+`, a character the percent-encoding never leaves bare.

Pure and small on purpose: config/model.py (on the `status --cached` path) imports it.
"""

from __future__ import annotations

import hashlib
import os
import re
from urllib.parse import quote

#: The longest file name most file systems allow (ext4, APFS, NTFS: 255).
MAX_FILE_NAME = 255
#: How much of an over-long spelling is kept before its hash (readable, and short enough
#: for Windows' 260-character paths).
_KEPT_OF_LONG = 96
_WINDOWS_DEVICE = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])", re.ASCII)


def account_slug(name: str, *, windows: bool | None = None) -> str:
    """The file-name-safe spelling of an account name (a folder or file name, never a path).

    `windows`: apply Windows' rules too (default: when running on Windows). Case-folded
    because names are unique case-insensitively and some file systems are too.
    """
    on_windows = os.name == "nt" if windows is None else windows
    slug = quote(name.casefold(), safe="-_")
    if slug.strip(".") == "":
        slug = "%2E" * len(slug)
    elif on_windows:
        stripped = slug.rstrip(".")
        slug = stripped + "%2E" * (len(slug) - len(stripped))
        if _WINDOWS_DEVICE.fullmatch(slug.split(".", 1)[0]):
            slug = f"%{ord(slug[0]):02X}{slug[1:]}"
    if len(slug) > MAX_FILE_NAME:
        digest = hashlib.sha256(name.casefold().encode("utf-8")).hexdigest()[:32]
        slug = f"{slug[:_KEPT_OF_LONG]}+{digest}"
    return slug
