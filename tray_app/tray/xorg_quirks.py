"""Work-arounds for two faults of pystray's xorg backend (pystray 0.19.5), in one place.

- Its title is an ICCCM STRING property, Latin-1 only (`latin1_title`).
- Its `Icon.__del__` fails when the constructor could not reach the X server
  (`icon_class_for`).

Nothing here imports pystray or python-xlib: the other backends pay nothing for it.
"""

from __future__ import annotations

from typing import Any

_LATIN1_FALLBACKS = {
    "\u2026": "...",  # horizontal ellipsis
    "\u2014": "-",  # em dash
    "\u2013": "-",  # en dash
    "\u2019": "'",  # right single quotation mark
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u202f": "\u00a0",  # narrow no-break space (French digit groups): a Latin-1 one
}


def latin1_title(text: str) -> str:
    """`text` as pystray's xorg backend can set it: it writes the title with python-xlib's
    set_wm_name, an ICCCM STRING property, Latin-1 only, and "…" or "—" raised
    UnicodeEncodeError there, which killed the icon."""
    for fancy, plain in _LATIN1_FALLBACKS.items():
        text = text.replace(fancy, plain)
    return text.encode("latin-1", "replace").decode("latin-1")


def icon_class_for(icon_class: Any, backend: str) -> Any:
    """`icon_class` (pystray's `Icon`) for `backend`: for xorg, a subclass whose half-built
    instances are collected quietly; for the others, itself.

    The constructor sets `_display` only once `Xlib.display.Display()` has connected, and
    `__del__` closes `self._display` in a `finally`. When the connection failed (the X server
    closed it at once: once in four `xvfb-run -a make run` starts here), our caller already
    reported "the tray icon could not be created" in one line. The collector then printed
    "Exception ignored in: Icon.__del__", an AttributeError and a traceback after it. No
    upstream issue for it was found in pystray's tracker."""
    if backend != "xorg":
        return icon_class

    class SafeToCollect(icon_class):  # type: ignore[misc]
        def __del__(self) -> None:
            if "_display" in vars(self):
                super().__del__()

    return SafeToCollect
