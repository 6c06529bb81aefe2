"""What a notification is, what a notifier promises, and how it fails.

Every backend is fallible (plyer raises or silently degrades depending on what is installed,
pystray's support depends on its backend), so each one reports failure the same way: by raising
`NotifyError`. `NotifierChain` (chain.py) turns those failures into a fallback and a log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, Protocol

from tray_app.core.language import ENGLISH, Language
from tray_app.core.notices import Notice, button_label, text_without_buttons

Urgency = Literal["low", "normal", "critical"]

APP_NAME: Final = "lensmor-tray"

# The freedesktop notification spec's urgency levels, sent as the byte hint "urgency".
URGENCY_LEVELS: Final[Mapping[Urgency, int]] = MappingProxyType(
    {"low": 0, "normal": 1, "critical": 2}
)

# Windows copies the text into fixed NOTIFYICONDATAW fields: szInfoTitle is WCHAR[64] and
# szInfo WCHAR[256], each including the terminating NUL. ctypes raises "ValueError: string too
# long" for longer text, inside plyer's own thread where nobody sees it (see kivy/plyer's
# balloontip.py; nicotine-plus/nicotine-plus#1829 and #1836 hit exactly this), so the text is
# clipped visibly, with an ellipsis, before it gets there.
WINDOWS_TITLE_UNITS = 63
WINDOWS_BODY_UNITS = 255


class NotifyError(Exception):
    """A backend could not deliver a notification; the message says why, for the log."""


@dataclass(frozen=True)
class Notification:
    """One notification as the alert rules composed it; delivered without rewording.

    `key` identifies the alert in logs (e.g. "threshold-low:2024-11"), so repeated or
    suppressed deliveries of the same alert can be recognised; it is never shown to the user.
    """

    title: str
    body: str
    urgency: Urgency = "normal"
    key: str = ""
    #: A newer notification of the same family replaces the one on screen ("" = none).
    family: str = ""
    #: Buttons as (action id, label); the action id comes back through the backend's callback.
    buttons: tuple[tuple[str, str], ...] = ()
    #: The action id of a click on the body ("" = none).
    default_action: str = ""
    #: The freedesktop "category" hint ("" = none).
    category: str = ""
    #: The same text for a backend or server that shows no buttons ("" = `body`).
    body_without_buttons: str = ""

    @property
    def plain_body(self) -> str:
        """What to show where there are no buttons."""
        return self.body_without_buttons or self.body

    def __post_init__(self) -> None:
        if self.urgency not in URGENCY_LEVELS:
            raise ValueError(f"urgency must be one of {sorted(URGENCY_LEVELS)}: {self.urgency!r}")


class Notifier(Protocol):
    """A way to show a notification. `send` returns once it is handed over, else raises."""

    name: str

    def send(self, n: Notification) -> None:
        """Deliver `n` or raise NotifyError (never anything else on purpose)."""
        ...


def describe(exc: BaseException) -> str:
    """`DBusException: org.freedesktop.DBus.Error.ServiceUnknown: ...` for one log line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def clip_utf16(text: str, units: int) -> str:
    """`text` cut to at most `units` UTF-16 code units, ending in "…" when cut.

    Windows counts WCHARs, so a character outside the BMP (an emoji) takes two; a surrogate
    pair is never split.
    """
    if _utf16_len(text) <= units:
        return text
    budget = units - 1  # room for the ellipsis
    out: list[str] = []
    used = 0
    for char in text:
        size = _utf16_len(char)
        if used + size > budget:
            break
        out.append(char)
        used += size
    return "".join(out).rstrip() + "…"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def notification_for(notice: Notice, lang: Language = ENGLISH) -> Notification:
    """The notification for a notice (core/notices.py decides; this only translates), its
    button labels and button-less text in `lang` (the alert's title and body already are)."""
    return Notification(
        title=notice.title,
        body=notice.body,
        urgency=notice.urgency,
        key=notice.key,
        family=notice.family,
        buttons=tuple((action.value, button_label(action, lang)) for action in notice.buttons),
        default_action=notice.default_action.value if notice.default_action else "",
        category=notice.category,
        body_without_buttons=text_without_buttons(notice.body, notice.buttons, lang),
    )
