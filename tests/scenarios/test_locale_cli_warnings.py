"""The last English lines of a German session (issue 23), each in a child process under
LANG=de_DE.UTF-8: the warnings about files others can read, the key store's failures, a
threshold out of range, a bad autostart override, a saved state that cannot be read, and what
the tray says at start without a display. The log file stays English."""

from __future__ import annotations

from tests.conftest import Home, run_cli
from tests.scenarios.reload_rig import tray_process
from tray_app.config.paths import AppPaths
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer

GERMAN = {"LANG": "de_DE.UTF-8"}
KEY = "uak_" + "k" * 40


def key_file(home: Home) -> AppPaths:
    return AppPaths(home.config_file, home.data_dir, home.root / "log")


def test_a_config_readable_by_others_is_warned_about_in_german(home: Home) -> None:
    home.write_config("poll_interval = 300\n")
    home.config_file.chmod(0o644)
    result = run_cli(home, "account", "list", env=GERMAN)
    assert result.code == 0, result.err
    assert (
        f"lensmor-tray: Warnung: die Konfigurationsdatei {home.config_file} ist für andere "
        f"Benutzer lesbar; führen Sie `chmod 600 {home.config_file}` aus\n"
    ) in result.err
    assert "readable by other users" not in result.err


def test_the_key_files_warnings_and_source_are_german(home: Home) -> None:
    saved = run_cli(home, "key", "set", input_text=KEY + "\n", env=GERMAN)
    assert saved.code == 0, saved.err
    # The keyring fails in tests (conftest): the file it went to, named in German.
    assert "gespeichert in Datei" in saved.out, saved.out
    assert "Schlüsselbund des Systems ist verfügbar" in saved.err, saved.err
    path = key_file(home).key_file
    path.chmod(0o644)
    shown = run_cli(home, "key", "show", env=GERMAN)
    assert shown.code == 0, shown.err
    assert f"(aus Datei: {path})" in shown.out, shown.out
    assert (
        f"Warnung: die Schlüsseldatei {path} ist für andere Benutzer lesbar; "
        f"führen Sie `chmod 600 {path}` aus"
    ) in shown.err
    assert "readable by other users" not in shown.err


def test_doctor_says_the_key_files_warning_in_german(home: Home) -> None:
    path = key_file(home).key_file
    path.parent.mkdir(parents=True)
    path.write_text(DEMO_KEY + "\n")
    path.chmod(0o644)
    with SimulatedLensmorServer() as server:
        result = run_cli(home, "doctor", env={**GERMAN, "LENSMOR_BASE_URL": server.url})
    assert (
        f"→ die Schlüsseldatei {path} ist für andere Benutzer lesbar; führen Sie "
        f"`chmod 600 {path}` aus"
    ) in result.out, result.out
    assert "readable by other users" not in result.out + result.err


def test_a_key_that_cannot_be_stored_is_said_in_german(home: Home) -> None:
    key_file(home).key_file.mkdir(parents=True)
    result = run_cli(home, "key", "set", input_text=KEY + "\n", env=GERMAN)
    assert result.code == 2
    assert result.err == (
        "lensmor-tray: der Schlüssel wurde nicht gespeichert: die Schlüsseldatei "
        f"{key_file(home).key_file} ist ein Ordner; verschieben Sie ihn und speichern Sie den "
        "Schlüssel dann erneut\n"
    )
    cleared = run_cli(home, "key", "clear", env=GERMAN)
    assert "ist ein Ordner; er wurde unverändert gelassen" in cleared.err, cleared.err


def test_a_threshold_out_of_range_is_a_german_config_error(home: Home) -> None:
    home.write_config('[alerts]\nthresholds = ["150%"]\n')
    result = run_cli(home, "status", env=GERMAN)
    assert result.code == 2
    assert result.err == (
        f"lensmor-tray: Konfigurationsfehler: {home.config_file}: alerts.thresholds: '150%': "
        "eine Prozent-Schwelle muss zwischen 0% und 100% liegen\n"
    )
    home.write_config("[alerts]\nthresholds = [1e20]\n")
    too_many = run_cli(home, "status", env=GERMAN)
    # The maximum in German digits, too.
    assert "von 0 bis 1.000.000.000.000.000 sein, nicht 1e+20" in too_many.err, too_many.err


def test_a_bad_autostart_override_is_a_german_config_error(home: Home) -> None:
    env = {**GERMAN, "LENSMOR_TRAY_AUTOSTART_BACKEND": "beos"}
    result = run_cli(home, "autostart", "status", env=env)
    assert result.code == 2
    assert result.err == (
        "lensmor-tray: Konfigurationsfehler: LENSMOR_TRAY_AUTOSTART_BACKEND='beos': erwartet "
        "wird einer von linux, macos, windows\n"
    )


def test_a_saved_state_that_cannot_be_read_is_said_in_german(home: Home) -> None:
    home.data_dir.mkdir(parents=True)
    db = home.data_dir / "history.sqlite3"
    db.write_bytes(b"this is not a database at all" * 100)
    result = run_cli(home, "status", "--cached", env=GERMAN)
    assert result.code == 4
    assert result.err.startswith(
        f"lensmor-tray: der gespeicherte Zustand in {db} kann nicht gelesen werden: "
    ), result.err
    assert result.err.count("\n") == 1


def test_the_tray_says_there_is_no_display_in_german_and_logs_it_in_english(home: Home) -> None:
    home.env.update(GERMAN)
    with tray_process(home) as tray:
        tray.wait_started()
        log = tray.log()
        err = tray.stop()
    assert "lensmor-tray: keine grafische Sitzung (DISPLAY ist nicht gesetzt)\n" in err
    assert "no graphical session" not in err
    assert "WARNING tray_app.app.tray_app: no graphical session (DISPLAY is not set)" in log


def test_status_cached_before_the_app_ever_ran_says_so_in_german(home: Home) -> None:
    result = run_cli(home, "status", "--cached", "--format", "waybar", env=GERMAN)
    assert result.code == 1
    assert result.err == (
        "lensmor-tray: noch kein gespeicherter Stand: starten Sie die Tray-App (`lensmor-tray`); "
        "`status --cached` zeigt, was sie zuletzt abgerufen hat\n"
    )
