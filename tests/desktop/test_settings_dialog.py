"""The real Settings window (tkinter) in a child process on a headless X server, driven by the
keyboard through xdotool the way a user would: type the key, Tab between fields, Return to save,
Escape to cancel. The Test button talks to the real simulated API.

The window prints its status changes on stdout when LENSMOR_TRAY_DIALOG_ECHO=1 (never the key);
focus changes in that output are the sync points, so nothing here sleeps for a guessed time.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from tests.support.waiting import poll_until
from tray_app.config.loading import load_settings
from tray_app.core import fmt
from tray_app.core.badge import BadgeStyle
from tray_app.core.levels import Threshold
from tray_app.demo.demo_accounts import PERSONAL_DEMO_KEY, simulated_demo_accounts
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer
from tray_app.keys.key_store import KEYRING_SERVICE, KEYRING_USERNAME

from .harness import REPO_ROOT, DesktopSession

pytestmark = [
    pytest.mark.desktop,
    # Only an X server is needed; a larger screen leaves room for the window to grow.
    pytest.mark.parametrize(
        "desktop", [{"tray": False, "notifications": False, "screen": "1024x768x24"}], indirect=True
    ),
]

KEY = "uak_DIALOGcanary0123456789abcdWXYZ"


class Dialog:
    """One running settings window and the lines it has echoed."""

    def __init__(self, desktop: DesktopSession, config: Path, env: dict[str, str]) -> None:
        self.desktop = desktop
        self.config = config
        self.proc = desktop.popen(
            [sys.executable, "-m", "tray_app.windows.settings_dialog", "--config", str(config)],
            env=env,
            name="settings-dialog",
        )
        self.seen = 0

        # "ready" and the first focus may come in either order; both mean keys will arrive.
        def started() -> list[str] | None:
            lines = self.lines()
            wanted = ("ready: window ", "focus: key")
            return lines if all(any(x.startswith(w) for x in lines) for w in wanted) else None

        lines = poll_until(
            started,
            15,
            "the settings window to map and take the focus",
            alive=self._died,
        )
        self.window = int(next(line for line in lines if line.startswith("ready: ")).split()[-1])
        # Consume up to both start lines only: what the window said after them (the key hint,
        # the accounts) may have arrived in the same read and is still to be waited for.
        self.seen = 1 + max(
            next(i for i, line in enumerate(lines) if line.startswith(wanted))
            for wanted in ("ready: window ", "focus: key")
        )

    def lines(self) -> list[str]:
        return self.desktop.log_of(self.proc).splitlines()

    def _has(self, prefix: str) -> bool:
        return any(line.startswith(prefix) for line in self.lines())

    def _died(self) -> str | None:
        if self.proc.poll() is None:
            return None
        return f"the window exited with {self.proc.returncode}:\n{self.desktop.log_of(self.proc)}"

    def wait_for(self, prefix: str, timeout: float = 10) -> str:
        """The next echoed line (after those already consumed) starting with `prefix`."""

        def find() -> tuple[int, str] | None:
            for index, line in enumerate(self.lines()[self.seen :], start=self.seen):
                if line.startswith(prefix):
                    return index, line
            return None

        index, line = poll_until(find, timeout, f"{prefix!r} from the window", alive=self._died)
        self.seen = index + 1
        return line[len(prefix) :]

    def type(self, text: str) -> None:
        self.desktop.run(["xdotool", "type", "--delay", "15", text])

    def key(self, *keys: str) -> None:
        self.desktop.key(*keys)

    def tab_to(self, name: str, *, backwards: bool = False) -> None:
        """Press Tab until the field `name` has the focus (Tk selects an entry's text then)."""
        for _ in range(20):  # the window has about twenty focusable widgets
            self.key("shift+Tab" if backwards else "Tab")
            if self.wait_for("focus: ") == name:
                return
        raise AssertionError(f"Tab never reached {name!r}:\n{self.desktop.log_of(self.proc)}")

    def wait_exit(self, timeout: float = 10) -> int:
        return self.proc.wait(timeout=timeout)

    def box(self) -> tuple[int, int, int, int]:
        """The window's (left, upper, right, lower) on the screen, as X reports it now."""
        shell = self.desktop.run(["xdotool", "getwindowgeometry", "--shell", str(self.window)])
        geo = {k: int(v) for k, v in (line.split("=", 1) for line in shell.split())}
        return geo["X"], geo["Y"], geo["X"] + geo["WIDTH"], geo["Y"] + geo["HEIGHT"]

    def screenshot(self, name: str) -> Image.Image:
        """The window alone, once two grabs in a row agree (Tk lays out and redraws when idle)."""
        previous: tuple[tuple[int, int, int, int], Image.Image] | None = None

        def stable() -> Image.Image | None:
            nonlocal previous
            box = self.box()
            image = self.desktop.screenshot().crop(box)
            same = (
                previous is not None
                and previous[0] == box
                and ImageChops.difference(image, previous[1]).getbbox() is None
            )
            previous = (box, image)
            return image if same else None

        image = poll_until(stable, 5, "the window to stop redrawing")
        self.desktop.artifacts_dir.mkdir(parents=True, exist_ok=True)
        image.save(self.desktop.artifacts_dir / f"{name}.png")
        return image


STAND_IN_TRAY = """
import signal, sys, time
from pathlib import Path
from tray_app.support.instance import InstanceLock
from tray_app.config.paths import AppPaths
lock = InstanceLock(AppPaths.default(Path(sys.argv[1])).lock_file)
lock.acquire()
log = Path(sys.argv[2])
signal.signal(signal.SIGHUP, lambda *_: log.open("a").write("reload\\n"))
print("ready", flush=True)
time.sleep(300)
"""


class StandInTray:
    """A process that holds the tray's instance lock, as the running app does, and counts the
    reload requests (SIGHUP) it gets."""

    def __init__(self, desktop: DesktopSession, config: Path) -> None:
        self.log = desktop.home / "stand-in-tray.log"
        self.proc = desktop.popen(
            [sys.executable, "-c", STAND_IN_TRAY, str(config), str(self.log)],
            env=dialog_env(desktop),
            name="stand-in-tray",
        )
        poll_until(lambda: "ready" in desktop.log_of(self.proc) or None, 10, "the stand-in tray")

    def reloads(self) -> int:
        return self.log.read_text().count("reload") if self.log.exists() else 0


def dialog_env(desktop: DesktopSession, **extra: str) -> dict[str, str]:
    env = desktop.env
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "LENSMOR_TRAY_DIALOG_ECHO": "1",
            # No OS keyring: the key goes to the 0600 file next to the config.
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
    )
    env.update(extra)
    return env


def config_path(desktop: DesktopSession) -> Path:
    return desktop.home / ".config" / "lensmor-tray" / "config.toml"


def write_config(desktop: DesktopSession, text: str) -> Path:
    path = config_path(desktop)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_typing_and_saving_writes_the_config_and_stores_the_key(desktop: DesktopSession) -> None:
    config = config_path(desktop)
    dialog = Dialog(desktop, config, dialog_env(desktop))
    assert dialog.wait_for("key-hint: ") == "No key is stored yet: paste one above."

    dialog.type(KEY)
    dialog.tab_to("thresholds")
    dialog.type("30%, 1,000")  # replaces "20%, 5%": Tk selects a field's text on Tab
    dialog.tab_to("poll_interval")
    dialog.type("120")
    dialog.tab_to("notifications")
    dialog.key("space")
    # The badge style from the keyboard: Down opens the read-only list, Down moves to the next
    # style, Return picks it and gives the focus back to the box (it does not save).
    dialog.tab_to("badge_style")
    dialog.key("Down")
    dialog.key("Down")
    dialog.key("Return")
    assert dialog.wait_for("focus: ") == "badge_style"
    dialog.tab_to("save")  # also a sync point: the keys above have been handled
    window = dialog.screenshot("settings-dialog")
    assert window.width > 300
    assert window.height > 200

    dialog.key("Return")
    key_file = config.parent / "api-key"
    assert dialog.wait_for("key-hint: ").startswith(
        f"Current key: {fmt.mask_key(KEY)} (in {key_file})"
    )
    dialog.wait_for("saved: ")
    status = dialog.wait_for("status: Saved. ")
    # Without a keyring the user reads where the key went before the window closes.
    assert "No OS keyring is available, so the key is stored in" in status
    dialog.screenshot("settings-dialog-saved")
    dialog.key("Return")
    assert dialog.wait_exit() == 0

    settings = load_settings(config)
    assert settings.poll_interval == 120
    assert settings.alerts.thresholds == (Threshold(30, True), Threshold(1000, False))
    assert settings.alerts.notifications is False
    assert settings.badge_style is BadgeStyle.PERCENT
    assert key_file.read_text().strip() == KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert KEY not in desktop.log_of(dialog.proc)


def test_with_a_keyring_return_saves_and_closes_at_once(desktop: DesktopSession) -> None:
    keyring_file = desktop.home / "keyring.json"
    config = write_config(desktop, 'base_url = "http://127.0.0.1:9"\n[alerts]\nlarge_spend = 777\n')
    env = dialog_env(
        desktop,
        PYTHON_KEYRING_BACKEND="tests.support.file_keyring.FileKeyring",
        TEST_KEYRING_FILE=str(keyring_file),
    )
    dialog = Dialog(desktop, config, env)
    dialog.type(KEY)
    dialog.key("Return")
    assert dialog.wait_exit() == 0

    assert f'"{KEYRING_SERVICE}/{KEYRING_USERNAME}": "{KEY}"' in keyring_file.read_text()
    assert not (config.parent / "api-key").exists()
    settings = load_settings(config)
    # What the form does not show is kept; what it shows kept its defaults.
    assert settings.base_url == "http://127.0.0.1:9"
    assert settings.alerts.large_spend == 777
    assert settings.poll_interval == 300
    assert KEY not in desktop.log_of(dialog.proc)


def test_bad_fields_are_marked_and_the_window_stays_open(desktop: DesktopSession) -> None:
    config = config_path(desktop)
    dialog = Dialog(desktop, config, dialog_env(desktop))
    dialog.type("uak_with space")
    dialog.tab_to("thresholds")
    dialog.type("abc")
    dialog.tab_to("poll_interval")
    dialog.type("10")
    dialog.key("Return")

    assert dialog.wait_for("error key: ").startswith("The key contains spaces")
    assert dialog.wait_for("error thresholds: ").startswith("'abc' is not a percentage")
    assert dialog.wait_for("error poll_interval: ") == (
        "The interval must be at least 30 seconds (not 10)"
    )
    assert dialog.wait_for("status: ") == "Not saved: correct the fields marked in red"
    assert dialog.wait_for("focus: ") == "key"  # the first bad field
    image = dialog.screenshot("settings-dialog-errors")
    # The messages are drawn in red (ERROR_COLOUR #b3261e): look for such pixels.
    red, green, blue = image.convert("RGB").split()
    reddish = ImageChops.multiply(
        red.point(lambda v: 255 if v > 150 else 0),
        ImageChops.multiply(
            green.point(lambda v: 255 if v < 80 else 0), blue.point(lambda v: 255 if v < 80 else 0)
        ),
    )
    reds = reddish.histogram()[255]
    assert reds > 200
    assert dialog.proc.poll() is None

    dialog.key("Escape")
    assert dialog.wait_exit() == 1
    assert not config.exists()
    assert not (config.parent / "api-key").exists()


@pytest.mark.parametrize("how", ["Escape", "Cancel button"])
def test_cancelling_writes_nothing(desktop: DesktopSession, how: str) -> None:
    config = config_path(desktop)
    dialog = Dialog(desktop, config, dialog_env(desktop))
    dialog.type(KEY)
    dialog.tab_to("poll_interval")
    dialog.type("600")
    if how == "Escape":
        dialog.key("Escape")
    else:
        dialog.tab_to("cancel")
        dialog.key("Return")  # presses the focused Cancel, not Save
    assert dialog.wait_exit() == 1
    assert dialog.lines()[-1] == "exit: 1"
    assert not config.parent.exists() or not any(config.parent.iterdir())


def test_a_broken_config_is_shown_and_never_overwritten(desktop: DesktopSession) -> None:
    config = write_config(desktop, "poll_interval = [oops\n")
    before = config.read_bytes()
    dialog = Dialog(desktop, config, dialog_env(desktop))
    assert "is not valid TOML" in next(
        line for line in dialog.lines() if line.startswith("config-error: ")
    )
    dialog.screenshot("settings-dialog-broken-config")
    dialog.type(KEY)
    dialog.key("Return")  # Save is disabled: Return only explains why
    assert dialog.wait_for("status: ") == (
        "Nothing can be saved until the config file is fixed (see above)"
    )
    assert dialog.proc.poll() is None
    assert not dialog._has("saved: ")

    dialog.key("Escape")
    assert dialog.wait_exit() == 2
    assert config.read_bytes() == before
    assert not (config.parent / "api-key").exists()


def test_the_test_button_asks_the_api_with_the_typed_key(desktop: DesktopSession) -> None:
    wrong = "uak_WRONGwrongWRONG0123456789"
    with SimulatedLensmorServer() as server:
        server.account.spend(5000)
        snapshot = server.account.snapshot()
        config = write_config(desktop, f'base_url = "{server.url}"\n')
        dialog = Dialog(desktop, config, dialog_env(desktop))

        dialog.type(wrong)
        dialog.tab_to("test")
        dialog.key("space")
        assert dialog.wait_for("test: ") == "Testing…"
        assert dialog.wait_for("test: ") == "Key rejected — check it and try again"

        dialog.tab_to("key", backwards=True)
        dialog.type(DEMO_KEY)  # replaces the wrong key: Tk selected it on the way in
        dialog.tab_to("test")
        dialog.key("Return")  # Return on a focused button presses that button, not Save
        assert dialog.wait_for("test: ") == "Testing…"
        expected = (
            f"OK: {fmt.credits(snapshot['totalBalance'] or 0)} of "
            f"{fmt.credits(snapshot['totalAmount'] or 0)} credits"
        )
        assert dialog.wait_for("test: ") == expected
        dialog.screenshot("settings-dialog-test-ok")
        sent = [r.header("Authorization") for r in server.account.requests]
        dialog.key("Escape")
        assert dialog.wait_exit() == 1

    assert sent == [f"Bearer {wrong}", f"Bearer {DEMO_KEY}"]
    assert not (config.parent / "api-key").exists()  # testing does not save
    log = desktop.log_of(dialog.proc)
    assert DEMO_KEY not in log
    assert wrong not in log


def test_an_empty_field_tests_the_stored_key(desktop: DesktopSession) -> None:
    with SimulatedLensmorServer() as server:
        config = write_config(desktop, f'base_url = "{server.url}"\n')
        key_file = config.parent / "api-key"
        key_file.write_text(DEMO_KEY + "\n")
        key_file.chmod(0o600)
        dialog = Dialog(desktop, config, dialog_env(desktop))
        hint = dialog.wait_for("key-hint: ")
        assert hint.startswith(f"Current key: {fmt.mask_key(DEMO_KEY)} (in {key_file})")
        dialog.tab_to("test")
        dialog.key("space")
        assert dialog.wait_for("test: ") == "Testing…"
        assert dialog.wait_for("test: ").startswith("OK: ")
        sent = [r.header("Authorization") for r in server.account.requests]
        dialog.key("Escape")
        assert dialog.wait_exit() == 1
    assert sent == [f"Bearer {DEMO_KEY}"]
    assert key_file.read_text() == DEMO_KEY + "\n"


def test_the_environment_key_is_named_as_the_one_in_use(desktop: DesktopSession) -> None:
    config = config_path(desktop)
    env = dialog_env(desktop, LENSMOR_API_KEY=KEY)
    dialog = Dialog(desktop, config, env)
    assert dialog.wait_for("key-hint: ").startswith(
        f"Current key: {fmt.mask_key(KEY)} (from LENSMOR_API_KEY)"
    )
    assert any(
        line.startswith("key-note: LENSMOR_API_KEY is set in the environment and overrides")
        for line in dialog.lines()
    )
    dialog.screenshot("settings-dialog-env-key")
    dialog.key("Escape")
    assert dialog.wait_exit() == 1
    assert KEY not in desktop.log_of(dialog.proc)


def test_a_keyring_that_hangs_does_not_freeze_the_window(desktop: DesktopSession) -> None:
    env = dialog_env(desktop, PYTHON_KEYRING_BACKEND="tests.support.file_keyring.HangingKeyring")
    dialog = Dialog(desktop, config_path(desktop), env)
    # The window answers the keyboard while the keyring read is still stuck in its thread.
    dialog.tab_to("show")
    assert not dialog._has("key-hint: ")
    # Then the read gives up (3 s) and says why instead of hanging.
    assert dialog.wait_for("key-hint: ") == "No key is stored yet: paste one above."
    assert "did not answer" in dialog.wait_for("status: ")
    dialog.key("Escape")
    assert dialog.wait_exit() == 1


def test_a_config_broken_while_open_is_kept_and_so_is_the_form(desktop: DesktopSession) -> None:
    config = write_config(desktop, "poll_interval = 60\n")
    env = dialog_env(
        desktop,
        PYTHON_KEYRING_BACKEND="tests.support.file_keyring.FileKeyring",
        TEST_KEYRING_FILE=str(desktop.home / "keyring.json"),
    )
    dialog = Dialog(desktop, config, env)
    dialog.tab_to("poll_interval")
    dialog.type("900")
    # Someone (the user, in an editor) breaks the file while the window is open.
    config.write_text("poll_interval = \n")
    dialog.key("Return")
    status = dialog.wait_for("status: Not saved: ")
    assert "is not valid TOML" in status
    assert config.read_text() == "poll_interval = \n"
    assert dialog.proc.poll() is None

    # Fixed again: the same Return now saves what was typed before, nothing retyped.
    config.write_text("poll_interval = 60\n")
    dialog.key("Return")
    assert dialog.wait_exit() == 0
    assert load_settings(config).poll_interval == 900


def test_accounts_are_added_tested_renamed_and_removed_from_the_keyboard(
    desktop: DesktopSession,
) -> None:
    """Issue 12: the Accounts list against a simulated server with two accounts (two keys)."""
    wrong = "uak_WRONGwrongWRONG0123456789"
    with SimulatedLensmorServer(accounts=simulated_demo_accounts()) as server:
        config = write_config(desktop, f'base_url = "{server.url}"\n')
        tray = StandInTray(desktop, config)
        dialog = Dialog(desktop, config, dialog_env(desktop))
        assert dialog.wait_for("accounts: ") == "default — no key"

        # Add "Work": the key is tested first; the empty placeholder account makes way.
        dialog.tab_to("account_name")
        dialog.type("Work")
        dialog.tab_to("account_key")
        dialog.type(DEMO_KEY)
        dialog.key("Return")  # in the Add fields Return adds, it does not Save
        assert dialog.wait_for("account: ") == "Testing the key of Work…"
        added = dialog.wait_for("account: ")
        work = server.accounts["Work"].snapshot()
        masked_work = fmt.mask_key(DEMO_KEY)
        assert added == (
            f"Added Work (key {masked_work} in the file): OK: "
            f"{fmt.credits(work['totalBalance'] or 0)} of {fmt.credits(work['totalAmount'] or 0)}"
            " credits"
        )
        assert dialog.wait_for("accounts: ") == f"Work — {masked_work} (file)"
        # The running tray is told at once, not only when the window closes.
        poll_until(lambda: tray.reloads() >= 1 or None, 10, "a reload request to the tray")

        # A rejected key adds nothing; the right one adds "Personal".
        dialog.tab_to("account_name", backwards=True)
        dialog.type("Personal")
        dialog.tab_to("account_key")
        dialog.type(wrong)
        dialog.tab_to("account_add")
        dialog.key("Return")
        assert dialog.wait_for("account: ") == "Testing the key of Personal…"
        assert dialog.wait_for("account: ") == "Not added: Key rejected — check it and try again"
        dialog.tab_to("account_key", backwards=True)
        dialog.type(PERSONAL_DEMO_KEY)  # replaces the wrong key: Tk selected it on the way in
        dialog.key("Return")
        assert dialog.wait_for("account: ") == "Testing the key of Personal…"
        assert dialog.wait_for("account: ").startswith("Added Personal (key ")
        masked_personal = fmt.mask_key(PERSONAL_DEMO_KEY)
        assert dialog.wait_for("accounts: ") == (
            f"Work — {masked_work} (file) | Personal — {masked_personal} (file)"
        )
        dialog.screenshot("settings-dialog-accounts")

        # Choose Personal in the list with the arrow keys, then Test and Rename… it.
        dialog.tab_to("accounts", backwards=True)
        dialog.key("Down")
        assert dialog.wait_for("selected: ") == "Personal"
        dialog.tab_to("account_test")
        dialog.key("Return")
        assert dialog.wait_for("account: ") == "Testing Personal…"
        assert dialog.wait_for("account: ").startswith("Personal: OK: ")
        dialog.tab_to("account_rename")
        dialog.key("Return")
        assert dialog.wait_for("focus: ") == "prompt_entry"
        dialog.type("work")  # the old name is selected: typing replaces it
        dialog.key("Return")
        # A taken name is refused in the prompt, which stays open with the name selected.
        assert (
            dialog.wait_for("error prompt: ")
            == "An account named 'work' exists already; choose another name"
        )
        dialog.type("Home")
        dialog.key("Return")
        assert dialog.wait_for("account: ") == "Renaming Personal…"
        assert dialog.wait_for("account: ") == "Renamed Personal to Home"
        assert dialog.wait_for("accounts: ") == (
            f"Work — {masked_work} (file) | Home — {masked_personal} (file)"
        )

        # Remove… asks first; Return on its focused Remove button confirms.
        dialog.tab_to("accounts", backwards=True)
        dialog.tab_to("account_remove")
        dialog.key("Return")
        assert dialog.wait_for("focus: ") == "prompt_ok"
        dialog.screenshot("settings-dialog-remove-account")
        dialog.key("Return")
        assert dialog.wait_for("account: ") == "Removing Home…"
        assert dialog.wait_for("account: ") == "Removed Home and forgot its key"
        assert dialog.wait_for("accounts: ") == f"Work — {masked_work} (file)"
        dialog.screenshot("settings-dialog-accounts-after")

        # The accounts were saved at once: leaving with Escape still tells the tray to reload.
        dialog.key("Escape")
        assert dialog.wait_exit() == 0
        sent = {
            name: [r.header("Authorization") for r in account.requests]
            for name, account in server.accounts.items()
        }

    settings = load_settings(config)
    assert settings.account_names == ("Work",)
    keys_dir = config.parent / "api-keys"
    assert (keys_dir / "work").read_text().strip() == DEMO_KEY
    assert stat.S_IMODE((keys_dir / "work").stat().st_mode) == 0o600
    assert sorted(p.name for p in keys_dir.iterdir()) == ["work"]  # Personal/Home forgotten
    # The simulator logs a key no account accepts on its first account (Work).
    assert sent == {
        "Work": [f"Bearer {DEMO_KEY}", f"Bearer {wrong}"],
        "Personal": [f"Bearer {PERSONAL_DEMO_KEY}"] * 2,  # added, then tested
    }
    log = desktop.log_of(dialog.proc)
    for key in (DEMO_KEY, PERSONAL_DEMO_KEY, wrong):
        assert key not in log
