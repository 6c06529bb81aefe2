"""windows/appearance_box.py: the badge-style list is as wide as its widest label drawn, so a
Japanese label (wide characters) is not clipped the way a count of characters clips it."""

from __future__ import annotations

import unicodedata

from tray_app.core.badge import BadgeStyle
from tray_app.support.i18n import language_for
from tray_app.windows.appearance_box import chars_for
from tray_app.windows.settings_form import badge_style_label


def _drawn(text: str) -> int:
    """Pixels as a CJK-capable font draws them: a wide character is two "0"s."""
    return sum(14 if unicodedata.east_asian_width(c) in "WF" else 7 for c in text)


def test_japanese_labels_get_the_room_they_are_drawn_in() -> None:
    labels = [badge_style_label(style.value, language_for("ja_JP")) for style in BadgeStyle]
    widest = max(_drawn(label) for label in labels)
    width = chars_for(labels, _drawn)
    assert width * _drawn("0") >= widest  # the whole label fits
    assert width > max(len(label) for label in labels) + 2  # more than a count would give


def test_latin_labels_keep_their_width() -> None:
    assert chars_for(["number", "percent"], _drawn) == len("percent") + 2
