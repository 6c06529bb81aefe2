"""sway 1.7 headless + waybar 0.9.17: SNI on Wayland.

waybar's tray module is the StatusNotifierWatcher and the host. sway 1.7 refuses to run as
root ("Unable to drop root ... refusing to start"), so sway alone runs as an unprivileged
user through `setpriv`; everything else stays root (root may use that user's sockets). The
headless seat has no pointer, so a "click" is the D-Bus call a host would make; screenshots
come from grim. Recipe: /work/shared/desktops/sway/.
"""

from __future__ import annotations

import io
import json
import os
import pwd
import subprocess
import time
from typing import TYPE_CHECKING

from ..harness import DesktopError
from .base import HostSession

if TYPE_CHECKING:
    from PIL import Image

# The unprivileged account sway runs as; created on first use (the tests run as root).
SWAY_USER = "lensmor-sway"

SWAY_CONFIG = """# one 1024x600 output; no Xwayland (the app is a Wayland or D-Bus client)
output HEADLESS-1 resolution 1024x600 position 0 0 bg #303030 solid_color
xwayland disable
default_border none
"""

WAYBAR_CONFIG = {
    "layer": "top",
    "position": "top",
    "height": 32,
    "modules-left": ["sway/workspaces"],
    "modules-right": ["tray", "clock"],
    "tray": {"icon-size": 24, "spacing": 8},
    "clock": {"format": "{:%H:%M:%S}", "interval": 1},
}

WAYBAR_CSS = """* { font-family: sans-serif; font-size: 13px; }
window#waybar { background: #202020; color: #e0e0e0; }
#tray, #clock { padding: 0 8px; }
"""


def ensure_user(name: str = SWAY_USER) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", name],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return pwd.getpwnam(name)


class SwayHost(HostSession):
    name = "sway"
    tools = ("sway", "waybar", "grim", "dbus-daemon", "dunst", "setpriv", "useradd")
    icon_size = 24  # waybar.json: "icon-size": 24

    def __init__(self, startup_timeout: float = 20.0) -> None:
        super().__init__(startup_timeout)
        self.wayland_display = ""

    def _start_services(self) -> None:
        user = ensure_user()
        # sway (not root) must reach its runtime dir and its config.
        os.chmod(self.root, 0o711)  # noqa: S103 - traverse only, nothing listable
        os.chown(self.runtime_dir, user.pw_uid, user.pw_gid)
        self.extra_env.update(
            XDG_SESSION_TYPE="wayland",
            GDK_BACKEND="wayland",
            GSETTINGS_BACKEND="memory",
            WLR_BACKENDS="headless",
            WLR_LIBINPUT_NO_DEVICES="1",
            WLR_RENDERER="pixman",
        )
        self.start_bus()
        config = self.root / "sway.conf"
        config.write_text(SWAY_CONFIG)
        os.chmod(config, 0o644)
        started = time.monotonic()
        sway_env = {k: v for k, v in self.env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        sway = self.launch("sway", ["sway", "-c", str(config)], env=sway_env, user=SWAY_USER)
        self.wait_ready(sway, self._find_sockets, "no wayland socket and IPC socket", started)
        self.start_panel()
        self.start_dunst()

    def _find_sockets(self) -> bool:
        sockets = [
            p.name for p in self.runtime_dir.glob("wayland-*") if not p.name.endswith(".lock")
        ]
        ipc = list(self.runtime_dir.glob("sway-ipc.*.sock"))
        if not sockets or not ipc:
            return False
        self.wayland_display = sorted(sockets)[0]
        self.extra_env.update(WAYLAND_DISPLAY=self.wayland_display, SWAYSOCK=str(ipc[0]))
        return True

    def start_panel(self) -> None:
        (self.root / "waybar.json").write_text(json.dumps(WAYBAR_CONFIG))
        (self.root / "waybar.css").write_text(WAYBAR_CSS)
        started = time.monotonic()
        waybar = self.launch(
            "waybar",
            ["waybar", "-c", str(self.root / "waybar.json"), "-s", str(self.root / "waybar.css")],
        )
        self.wait_for_watcher(waybar, started)

    def stop_panel(self) -> None:
        self.stop_panel_process("waybar")

    def screenshot(self, name: str | None = None) -> Image.Image:
        from PIL import Image

        done = subprocess.run(
            ["grim", "-t", "png", "-"], env=self.env, capture_output=True, timeout=15, check=False
        )
        if done.returncode != 0:
            raise DesktopError(f"grim failed: {done.stderr.decode(errors='replace').strip()}")
        image = Image.open(io.BytesIO(done.stdout))
        image.load()
        if name:
            self.save_image(image, name)
        return image
