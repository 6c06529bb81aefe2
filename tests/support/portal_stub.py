"""A stand-in for xdg-desktop-portal's Settings interface on a test's private session bus.

Answers `Read("org.freedesktop.appearance", "color-scheme")` the way the portal does (the
value in a variant, itself in a variant: the shape of portals before 1.15) with the number
given on the command line; anything else gets the portal's NotFound error. `--delay S` makes
it answer late (a hung portal). xdg-desktop-portal itself is not packaged for this machine.

    python -m tests.support.portal_stub 1 [--delay 3]
"""

from __future__ import annotations

import argparse
import time

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
INTERFACE = "org.freedesktop.portal.Settings"


class PortalSettings(dbus.service.Object):  # type: ignore[misc]
    def __init__(self, bus: dbus.Bus, value: int, delay: float) -> None:
        super().__init__(bus, PATH)
        self.value = value
        self.delay = delay

    @dbus.service.method(INTERFACE, in_signature="ss", out_signature="v")  # type: ignore[misc]
    def Read(self, namespace: str, key: str) -> dbus.UInt32:
        time.sleep(self.delay)
        if (namespace, key) != ("org.freedesktop.appearance", "color-scheme"):
            raise dbus.exceptions.DBusException(
                f"{namespace}.{key} not found", name="org.freedesktop.portal.Error.NotFound"
            )
        return dbus.UInt32(self.value, variant_level=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("value", type=int)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    service = PortalSettings(bus, args.value, args.delay)
    name = dbus.service.BusName(NAME, bus)
    print("ready", flush=True)
    try:
        GLib.MainLoop().run()
    finally:
        del name, service


if __name__ == "__main__":
    main()
