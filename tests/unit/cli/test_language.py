"""The CLI's own words in the user's language (issue 15): one-line errors and the `history`
report under LANG=de_DE.UTF-8 and fr_FR.UTF-8, in a child process against a real history
file and the simulated Lensmor server; JSON stays English and locale-free.

Cost: six short CLI child processes (about 0.5 s each on a quiet machine)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import Home, run_cli
from tests.project.test_catalogs import NNBSP
from tray_app.cli.history_report import history_report
from tray_app.core import fmt
from tray_app.core.balance import Balance
from tray_app.demo.server import SimulatedLensmorServer
from tray_app.history.retention import HOUR
from tray_app.history.store import HistoryStore
from tray_app.support.i18n import language_from_environ

GERMAN = {"LANG": "de_DE.UTF-8", "TZ": "UTC"}
FRENCH = {"LANG": "fr_FR.UTF-8", "TZ": "UTC"}
UTC = dt.timezone.utc
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z (a Thursday)


@pytest.mark.parametrize(
    ("env", "missing_key", "bad_days"),
    [
        (
            GERMAN,
            "lensmor-tray: kein API-Schlüssel eingerichtet; führen Sie `lensmor-tray key set` aus",
            "lensmor-tray: --days muss zwischen 1 und 3660 liegen",
        ),
        (
            FRENCH,
            "lensmor-tray: aucune clé d\u2019API n\u2019est définie\u00a0;"
            " lancez `lensmor-tray key set`",
            "lensmor-tray: --days doit être compris entre 1 et 3660",
        ),
    ],
)
def test_one_line_errors_speak_the_language_of_lang(
    home: Home, env: dict[str, str], missing_key: str, bad_days: str
) -> None:
    no_key = run_cli(home, "status", env=env)
    assert no_key.code == 3
    assert no_key.err.startswith(missing_key), no_key.err
    assert len(no_key.err.strip().splitlines()) == 1
    days = run_cli(home, "history", "--days", "0", env=env)
    assert (days.code, days.err.strip()) == (2, bad_days)


def test_a_rejected_key_is_told_in_german_with_what_to_do(home: Home) -> None:
    with SimulatedLensmorServer() as server:
        env = {**GERMAN, "LENSMOR_BASE_URL": server.url, "LENSMOR_API_KEY": "uak_" + "x" * 28}
        result = run_cli(home, "status", env=env)
    assert result.code == 3
    # The advice comes from core.errors, in the same language as the sentence around it.
    assert result.err.startswith("lensmor-tray: der API-Schlüssel wurde abgelehnt (")
    assert result.err.rstrip().endswith(
        "; in der Lensmor-App (Settings -> API Keys) einen neuen Schlüssel erstellen"
        " und dann `lensmor-tray key set` ausführen"
    )
    assert "uak_xxxx" not in result.err


def record_two_days(path: Path) -> None:
    def bal(total: int) -> Balance:
        return Balance(35_050, total, 35_000, total - 50, 50, 50, None)

    with HistoryStore.open(path) as store:
        store.record_balances(
            [
                (T0 + 9 * HOUR, bal(32_100)),
                (T0 + 10 * HOUR, bal(30_100)),  # 1 Jan 10:00, an event unlock
                (T0 + 86400 + 14 * HOUR, bal(30_050)),  # 2 Jan 14:00
            ]
        )


def test_history_text_in_german_and_french(home: Home) -> None:
    record_two_days(home.data_dir / "history.sqlite3")
    german = run_cli(home, "history", "--days", "3", env=GERMAN)
    assert german.code == 0, german.err
    lines = german.out.splitlines()
    assert lines[0] == "Letzte Änderungen des Guthabens"
    assert "Täglicher Verbrauch (letzte 3 Tage)" in lines
    # Dates, weekdays and numbers in German: "2. Jan.", "-2.000", "30.100".
    assert any(line.split()[:4] == ["1.", "Jan.", "10:00", "-2.000"] for line in lines), lines
    assert "30.100" in german.out
    # The daily rows are the last three days before now: the weekday and date in German.
    today = dt.datetime.now(UTC).date()
    de = language_from_environ(GERMAN)
    assert any(line.strip().startswith(fmt.day_with_weekday(today, de)) for line in lines)
    assert fmt.day_with_weekday(today, de).startswith(
        ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So.")
    )
    assert german.out.rstrip().splitlines()[-1] == "Verbrauch über 3 Tage: 0 Credits"
    french = run_cli(home, "history", "--days", "3", env=FRENCH)
    assert french.code == 0, french.err
    assert french.out.startswith("Dernières variations du solde\n")
    assert f"-2{NNBSP}000" in french.out
    assert "Consommation quotidienne (3 derniers jours)" in french.out
    assert french.out.rstrip().endswith("Consommation sur 3 jours\u00a0: 0 crédits")
    # JSON stays English and plain: scripts read it.
    as_json = json.loads(run_cli(home, "history", "--json", env=GERMAN).out)
    assert as_json["changes"][0]["balance"] == 30_050
    assert as_json["daily"][0]["date"].startswith("20")


def test_the_report_columns_line_up_in_every_language(tmp_path: Path) -> None:
    record_two_days(tmp_path / "history.sqlite3")
    now = T0 + 86400 + 18 * HOUR
    for tag in ("en", "de_DE", "fr_FR", "ja_JP"):
        lang = language_from_environ({"LANG": f"{tag}.UTF-8"})
        with HistoryStore.open(tmp_path / "history.sqlite3") as store:
            text = history_report(store, now, UTC, days=3, lang=lang)
        lines = text.splitlines()
        changes = [line for line in lines if "->" in line]
        # The arrows line up: the dates are padded to one width (in display columns).
        columns = {fmt.display_width(line[: line.index("->")]) for line in changes}
        assert len(columns) == 1, (tag, changes)


def test_the_history_chart_in_german(tmp_path: Path) -> None:
    # The known fortnight of tests/unit/history/test_export.py, in German: labels in one column,
    # German dates and numbers, event names and the forecast in words.
    from tests.support.usage_history import KNOWN_NOW, known_history
    from tray_app.history.export import chart_text
    from tray_app.history.usage_data import load_series

    de = language_from_environ(GERMAN)
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        store.record_balances(known_history())
        text = chart_text(load_series(store, KNOWN_NOW, 14, UTC), tz=UTC, lang=de)
    lines = text.splitlines()
    assert lines[0] == ("Letzte 14 Tage, 31.10.2026 bis 13.11.2026 (eine Spalte pro Tag)")
    assert lines[2] == "Guthaben     ▅▄▄▅▄▄▄▄▄▄▆██  jetzt 1.680, höchstens 1.700"
    assert lines[3] == "Verbraucht    ▄  █       ▁  gesamt 470, Spitze pro Tag 300"
    assert lines[4] == ("Ereignisse  Geschenk 4. Nov., Erneuerung 11. Nov., Aufladung 12. Nov.")
    assert lines[5].startswith("Prognose    bei diesem Verbrauch reichen sie bis zur Erneuerung")


def test_the_settings_test_result_and_form_messages_in_french() -> None:
    # What the Settings window shows under its Test button and under a bad field.
    from tray_app.api.client import AuthError, RateLimited
    from tray_app.windows.settings_form import FormFields, describe_outcome, parse_form

    fr = language_from_environ(FRENCH)
    rejected = describe_outcome(AuthError("nope", status=401, error_key="INVALID_API_KEY"), fr)
    assert rejected.text == "Clé refusée — vérifiez-la et réessayez"
    waited = describe_outcome(RateLimited("slow down", retry_after=30), fr)
    assert waited.text == f"Limite de requêtes atteinte\u00a0; réessayez dans 30{NNBSP}s"
    result = parse_form(FormFields(thresholds="20%", poll_interval="10"), None, fr)
    assert list(result.errors.values()) == [
        "L\u2019intervalle doit être d\u2019au moins 30 secondes (et non 10)"
    ]
