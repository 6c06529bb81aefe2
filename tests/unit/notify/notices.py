"""The notification the notify tests send."""

from __future__ import annotations

from tray_app.core import fmt
from tray_app.notify import Notification

LOW = Notification("Credits low", f"{fmt.credits(30050)} credits left (15%)", key="low:1")
