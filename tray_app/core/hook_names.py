"""The event names a `[[hooks]]` table's `on` accepts (what each stands for: hook_events.py).

Apart from hook_events.py so that the settings model can check them without importing the
alert rules: the `status --cached` fast path reads the settings and must stay light.
"""

from __future__ import annotations

#: Every event a hook can ask for, in the order the README lists them.
EVENT_NAMES: tuple[str, ...] = (
    "low",
    "critical",
    "empty",
    "renewed",
    "topped_up",
    "unusual_spend",
    "expiring",
    "unreachable",
    "rejected_key",
    "recovered",
)
#: `on = ["*"]`: every event.
ANY_EVENT = "*"
