"""xfce4-panel 4.18 on Xvfb: SNI on X11.

Its systray plugin is at once the StatusNotifierWatcher, an SNI host and an XEmbed tray. The
panel reads its layout from xfconf, which a desktop gets by bus activation; our bus activates
nothing, so xfconfd is started by hand and the panel configuration is pre-seeded (one 32 px
panel at the top: an expanding separator, the systray, a clock). Clicks go through xdotool;
dbusmenu menus are GTK popup windows, found like the harness finds trayer's menus.
Recipe: /work/shared/desktops/xfce/.
"""

from __future__ import annotations

import os
import select
import time
from typing import TYPE_CHECKING, Any

from ..harness import StartupError, WindowInfo
from .base import HostSession

if TYPE_CHECKING:
    from PIL import Image

XFCONFD = "/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd"

PANEL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
        <value type="int" value="3"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray"/>
    <property name="plugin-3" type="string" value="clock">
      <property name="digital-format" type="string" value="%H:%M:%S"/>
    </property>
  </property>
</channel>
"""


class XfceHost(HostSession):
    name = "xfce"
    tools = ("Xvfb", "xdotool", "dbus-daemon", "xfce4-panel", XFCONFD, "dunst")
    icon_size = 22  # a 32 px panel draws SNI icons at 22 px (measured in the recipe)
    screen = "1024x600x24"

    def __init__(self, startup_timeout: float = 20.0) -> None:
        super().__init__(startup_timeout)
        self.display = ""
        self._x: Any = None

    def _start_services(self) -> None:
        self._start_xvfb()
        self.extra_env.update(
            DISPLAY=self.display,
            XDG_SESSION_TYPE="x11",
            GDK_BACKEND="x11",
            # No dconf-service on a bus that activates nothing.
            GSETTINGS_BACKEND="memory",
        )
        self.start_bus()
        channel = self.home / ".config" / "xfce4" / "xfconf" / "xfce-perchannel-xml"
        channel.mkdir(parents=True)
        (channel / "xfce4-panel.xml").write_text(PANEL_XML)
        started = time.monotonic()
        xfconfd = self.launch("xfconfd", [XFCONFD])
        self.wait_ready(
            xfconfd,
            lambda: self.client.name_has_owner("org.xfce.Xfconf"),
            "org.xfce.Xfconf has no owner",
            started,
        )
        self.start_panel()
        self.start_dunst()

    def close(self) -> None:
        if self._x is not None:
            self._x.close()
            self._x = None
        super().close()

    def _start_xvfb(self) -> None:
        started = time.monotonic()
        read_fd, write_fd = os.pipe()
        try:
            xvfb = self.launch(
                "Xvfb",
                [
                    *("Xvfb", "-displayfd", str(write_fd), "-screen", "0", self.screen),
                    *("-nolisten", "tcp", "-noreset"),
                ],
                pass_fds=(write_fd,),
            )
            os.close(write_fd)
            write_fd = -1
            data = b""
            deadline = time.monotonic() + self.startup_timeout
            while not data.endswith(b"\n"):
                ready, _, _ = select.select([read_fd], [], [], max(deadline - time.monotonic(), 0))
                chunk = os.read(read_fd, 64) if ready else b""
                if not chunk:
                    raise StartupError(f"Xvfb did not report a display: {self.log_tail('Xvfb')}")
                data += chunk
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
        self.display = f":{int(data)}"
        from Xlib import display as xdisplay

        self._x = xdisplay.Display(self.display)
        self.startup_times[xvfb.name] = time.monotonic() - started

    # -- the panel -----------------------------------------------------------------------

    def start_panel(self) -> None:
        started = time.monotonic()
        # --disable-wm-check: there is no window manager, and the panel would wait for one.
        panel = self.launch("xfce4-panel", ["xfce4-panel", "--disable-wm-check"])
        self.wait_for_watcher(panel, started)

    def stop_panel(self) -> None:
        # `xfce4-panel --quit` would ask over D-Bus; SIGTERM is what a crash or logout does.
        self.stop_panel_process("xfce4-panel")

    # -- screen and input ----------------------------------------------------------------

    def screenshot(self, name: str | None = None) -> Image.Image:
        from PIL import ImageGrab

        image = ImageGrab.grab(xdisplay=self.display)
        if name:
            self.save_image(image, name)
        return image

    def click(self, x: int, y: int, button: int = 1) -> None:
        self._xdotool("mousemove", str(x), str(y), "click", str(button))

    def key(self, *keys: str) -> None:
        self._xdotool("key", "--delay", "50", *keys)

    def dismiss_popups(self) -> None:
        if self.menus():
            self.key("Escape")

    def _xdotool(self, *args: str) -> None:
        import subprocess

        subprocess.run(["xdotool", *args], env=self.env, check=True, timeout=10)

    def menus(self) -> list[WindowInfo]:
        """Mapped popup-menu windows (GTK's dbusmenu menus are override-redirect popups)."""
        from Xlib import X, error

        x = self._x
        wm_type = x.intern_atom("_NET_WM_WINDOW_TYPE")
        menu_types = {
            x.intern_atom("_NET_WM_WINDOW_TYPE_POPUP_MENU"),
            x.intern_atom("_NET_WM_WINDOW_TYPE_DROPDOWN_MENU"),
            x.intern_atom("_NET_WM_WINDOW_TYPE_MENU"),
        }
        found = []
        for window in x.screen().root.query_tree().children:
            try:
                attrs = window.get_attributes()
                if not attrs.override_redirect or attrs.map_state != X.IsViewable:
                    continue
                prop = window.get_full_property(wm_type, X.AnyPropertyType)
                if prop is None or not menu_types.intersection(int(v) for v in prop.value):
                    continue
                geom = window.get_geometry()
                origin = x.screen().root.translate_coords(window, 0, 0)
            except error.XError:
                continue
            found.append(WindowInfo(window.id, origin.x, origin.y, geom.width, geom.height))
        return found
