"""Part of the headless desktop harness (tests/desktop/harness.py; import from there): the
private D-Bus session bus, from our own configuration, which activates nothing.
"""

from __future__ import annotations

import subprocess
import time

from ._harness_base import StartupError, _Service, _tail
from ._harness_processes import SessionCore

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- The stock session.conf minus <standard_session_servicedirs/>: nothing is activated. -->
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class BusMixin(SessionCore):
    """Starts the session bus (a forked dbus-daemon, stopped by the PID it printed)."""

    # -- 2. session bus ------------------------------------------------------------------

    def _start_bus(self) -> None:
        started = time.monotonic()
        socket = self.runtime_dir / "bus"
        config = self.root / "bus.conf"
        config.write_text(BUS_CONFIG.format(socket=socket))
        log = self.log_dir / "dbus-daemon.log"
        args = [
            "dbus-daemon",
            f"--config-file={config}",
            "--fork",
            "--print-address=1",
            "--print-pid=1",
            f"--address=unix:path={socket}",
        ]
        with log.open("ab") as err:
            try:
                # The launcher exits after forking; the daemon closes our pipe once it has
                # printed the address (it listens by then) and its PID.
                done = subprocess.run(
                    args,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    timeout=self.startup_timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise StartupError(
                    f"dbus-daemon did not come up within {self.startup_timeout:.1f} s; "
                    f"stderr tail:\n{_tail(log)}"
                ) from None
        lines = done.stdout.decode().split()
        if done.returncode != 0 or len(lines) < 2:
            raise StartupError(
                f"dbus-daemon failed (code {done.returncode}, printed {lines!r}); "
                f"stderr tail:\n{_tail(log)}"
            )
        self.bus_address, pid = lines[0], int(lines[1])
        self._services["dbus-daemon"] = _Service(name="dbus-daemon", pid=pid, log=log)
        self._all_pids.append(pid)
        self.startup_times["dbus-daemon"] = time.monotonic() - started

    def name_has_owner(self, name: str) -> bool:
        """Whether a D-Bus name is owned on the session bus."""
        out = self.run(
            [
                "dbus-send",
                "--session",
                "--print-reply=literal",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{name}",
            ]
        )
        return out.split()[-1] == "true"
