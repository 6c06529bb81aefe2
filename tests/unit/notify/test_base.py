"""The notification itself: its urgency is checked, its text clipped in UTF-16 units."""

from __future__ import annotations

import pytest

from tray_app.notify import Notification
from tray_app.notify.base import clip_utf16


def test_urgency_is_checked() -> None:
    with pytest.raises(ValueError, match="urgency"):
        Notification("t", "b", urgency="urgent")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "units", "expected"),
    [
        ("Credits low", 63, "Credits low"),
        ("x" * 63, 63, "x" * 63),
        ("x" * 64, 63, "x" * 62 + "…"),
        ("ab cd", 4, "ab…"),  # no space left dangling before the ellipsis
        ("a😀b", 3, "a…"),  # the emoji takes two units and is not split
        ("a😀b", 4, "a😀b"),
    ],
)
def test_clip_utf16(text: str, units: int, expected: str) -> None:
    clipped = clip_utf16(text, units)
    assert clipped == expected
    assert len(clipped.encode("utf-16-le")) // 2 <= units
