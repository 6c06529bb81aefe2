"""Delivering notifications: the Notifier protocol, its backends and the fallback chain.

`build_default_chain(icon_provider)` is what the app uses; see chain.py for the policy and
plyer_backend.py for what plyer does on each platform.
"""

from tray_app.notify.base import Notification, Notifier, NotifyError, Urgency
from tray_app.notify.chain import NotifierChain, build_default_chain
from tray_app.notify.log_backend import LogNotifier
from tray_app.notify.plyer_backend import PlyerNotifier
from tray_app.notify.pystray_backend import PystrayNotifier

__all__ = [
    "LogNotifier",
    "Notification",
    "Notifier",
    "NotifierChain",
    "NotifyError",
    "PlyerNotifier",
    "PystrayNotifier",
    "Urgency",
    "build_default_chain",
]
