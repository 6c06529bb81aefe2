"""The Settings window's logic without a display: parsing and validating the form, wording
the Test result (against the real simulated API) and saving (real files, real KeyStore)."""

from __future__ import annotations

import dataclasses
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Home
from tray_app.api.client import AuthError, BadResponse, NetworkError, RateLimited, ServerError
from tray_app.config.loading import load_settings
from tray_app.config.model import AlertSettings, ConfigError, Settings
from tray_app.core import fmt
from tray_app.core.levels import Threshold
from tray_app.demo.server import DEMO_KEY, Fault, SimulatedLensmorServer
from tray_app.keys.key_store import KeySource, KeyStore, StoredKey
from tray_app.support.i18n import language_from_environ
from tray_app.windows.settings_actions import check_key, save_form
from tray_app.windows.settings_form import (
    BADGE_STYLE_LABELS,
    ENV_OVERRIDE_NOTE,
    FormField,
    FormFields,
    badge_style_label,
    badge_style_value,
    describe_outcome,
    fields_from_settings,
    format_thresholds,
    key_hint,
    parse_form,
    parse_key,
    parse_thresholds,
)

KEY = "uak_FORMtest0123456789abcdWXYZ"


def form(**changes: object) -> FormFields:
    base = FormFields(key="", thresholds="20%, 5%", poll_interval="300", notifications=True)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# -- parsing ---------------------------------------------------------------------------------


def test_the_form_starts_from_the_settings_with_an_empty_key_field() -> None:
    settings = Settings(
        poll_interval=120,
        alerts=AlertSettings(
            thresholds=(Threshold(30, True), Threshold(1500, False)), notifications=False
        ),
    )
    fields = fields_from_settings(settings)
    assert fields == FormFields(
        key="", thresholds="30%, 1500", poll_interval="120", notifications=False
    )


def test_good_input_becomes_settings_and_keeps_what_the_form_does_not_show() -> None:
    base = Settings(
        base_url="http://127.0.0.1:9999", alerts=AlertSettings(large_spend=777, offline_minutes=5)
    )
    result = parse_form(
        form(key=f"  {KEY}\n", thresholds="20%, 5%", poll_interval=" 45 ", notifications=False),
        base,
    )
    assert result.errors == {}
    assert result.key == KEY
    assert result.settings is not None
    assert result.settings.poll_interval == 45
    assert result.settings.alerts.thresholds == (Threshold(20, True), Threshold(5, True))
    assert result.settings.alerts.notifications is False
    # Not on the form, so unchanged:
    assert result.settings.base_url == "http://127.0.0.1:9999"
    assert result.settings.alerts.large_spend == 777
    assert result.settings.alerts.offline_minutes == 5


def test_an_empty_key_field_keeps_the_stored_key() -> None:
    result = parse_form(form(key="   "))
    assert result.errors == {}
    assert result.key is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20%, 5%", (Threshold(20, True), Threshold(5, True))),
        ("20%,5%", (Threshold(20, True), Threshold(5, True))),
        (" 12.5 % , 500 ,", (Threshold(12.5, True), Threshold(500, False))),
        # The app writes 30,050: a comma before exactly three digits is a thousands separator.
        ("30%, 1,000", (Threshold(30, True), Threshold(1000, False))),
        ("10,000", (Threshold(10000, False),)),
        ("10,20", (Threshold(10, False), Threshold(20, False))),
        ("20%, 20%, 5%", (Threshold(20, True), Threshold(5, True))),
    ],
)
def test_thresholds_text(text: str, expected: tuple[Threshold, ...]) -> None:
    result = parse_form(form(thresholds=text))
    assert result.errors == {}
    assert result.settings is not None
    assert result.settings.alerts.thresholds == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "'abc' is not a percentage (20%) or credits (500)"),
        ("20%, lots", "'lots' is not a percentage (20%) or credits (500)"),
        ("-5%", "'-5%' is not a percentage"),
        ("150%", "'150%': a percentage threshold must be between 0% and 100%"),
        ("0%", "'0%': a percentage threshold must be between 0% and 100%"),
        ("", "Enter at least one threshold, e.g. 20%, 5%"),
        (" , ", "Enter at least one threshold"),
    ],
)
def test_bad_thresholds_are_named(text: str, message: str) -> None:
    result = parse_form(form(thresholds=text))
    assert result.settings is None
    assert set(result.errors) == {FormField.THRESHOLDS}
    assert result.errors[FormField.THRESHOLDS].startswith(message)
    assert "\n" not in result.errors[FormField.THRESHOLDS]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10", "The interval must be at least 30 seconds (not 10)"),
        ("29", "The interval must be at least 30 seconds (not 29)"),
        ("abc", "'abc' is not a whole number of seconds"),
        ("1.5", "'1.5' is not a whole number of seconds"),
        ("", "Enter the interval in seconds (at least 30)"),
        ("86401", "The interval must be at most 86400 seconds (one day)"),
    ],
)
def test_bad_intervals_name_the_allowed_range(text: str, message: str) -> None:
    result = parse_form(form(poll_interval=text))
    assert result.settings is None
    assert result.errors == {FormField.POLL_INTERVAL: result.errors[FormField.POLL_INTERVAL]}
    assert result.errors[FormField.POLL_INTERVAL].startswith(message)


@pytest.mark.parametrize("edge", ["30", "86400"])
def test_the_interval_limits_themselves_are_allowed(edge: str) -> None:
    result = parse_form(form(poll_interval=edge))
    assert result.settings is not None
    assert result.settings.poll_interval == int(edge)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("uak_two words", "The key contains spaces"),
        ("Bearer uak_abc", "The key contains spaces"),
        ("uak_é", "The key contains spaces or characters"),
        ("uak_" + "x" * 600, "The key is longer than 512 characters"),
    ],
)
def test_a_key_that_cannot_be_sent_is_refused_without_echoing_it(key: str, message: str) -> None:
    result = parse_form(form(key=key))
    assert result.settings is None
    assert result.key is None
    assert result.errors[FormField.KEY].startswith(message)
    assert key not in result.errors[FormField.KEY]


def test_every_bad_field_is_reported_at_once() -> None:
    result = parse_form(
        form(key="a b", thresholds="abc", poll_interval="10", badge_style="sparkly")
    )
    assert result.settings is None
    assert set(result.errors) == set(FormField)
    assert result.errors[FormField.BADGE_STYLE] == (
        "Badge style must be one of number, percent, gauge, monochrome, got 'sparkly'"
    )


def test_the_fields_repr_hides_the_key() -> None:
    assert KEY not in repr(form(key=KEY))


_percent = st.integers(1, 999).map(lambda tenths: Threshold(tenths / 10, True))
_credits = st.integers(0, 10**9).map(lambda n: Threshold(float(n), False))
# Fractions of a credit too: six significant digits (what `:g` kept) are not enough for them.
_fractional_credits = st.integers(0, 10**10).map(lambda tenths: Threshold(tenths / 10, False))


@pytest.mark.parametrize(
    ("threshold", "shown"),
    [
        (Threshold(1234567.5, False), "1234567.5"),  # was "1.23457e+06", then refused
        (Threshold(123456.5, False), "123456.5"),  # was "123456", then saved as that
        (Threshold(12.25, True), "12.25%"),
        (Threshold(1e12, False), "1000000000000"),
    ],
)
def test_thresholds_are_shown_with_all_their_digits(threshold: Threshold, shown: str) -> None:
    settings = Settings(alerts=AlertSettings(thresholds=(threshold,)))
    assert format_thresholds([threshold]) == shown
    assert parse_form(fields_from_settings(settings), settings).settings == settings


@given(
    st.lists(
        st.one_of(_percent, _credits, _fractional_credits), min_size=1, max_size=5, unique=True
    )
)
def test_what_the_form_shows_reads_back_as_the_same_thresholds(
    thresholds: list[Threshold],
) -> None:
    settings = Settings(alerts=AlertSettings(thresholds=tuple(thresholds)))
    text = format_thresholds(thresholds)
    assert "e+" not in text  # never 1e+06 for a million credits
    result = parse_form(fields_from_settings(settings), settings)
    assert result.settings == settings


# -- the key hint ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "location", "where"),
    [
        (KeySource.KEYRING, "service 'lensmor-tray'", "(in the OS keyring)"),
        (KeySource.FILE, "/home/u/.config/lensmor-tray/api-key", "(in /home/u/.config/"),
        (KeySource.ENVIRONMENT, "LENSMOR_API_KEY", "(from LENSMOR_API_KEY)"),
    ],
)
def test_the_hint_shows_the_current_key_masked_and_where_it_lives(
    source: KeySource, location: str, where: str
) -> None:
    hint = key_hint(StoredKey(KEY, source, location))
    assert hint.startswith(f"Current key: {fmt.mask_key(KEY)} {where}")
    assert "Leave the field empty to keep it" in hint
    assert KEY not in hint
    assert KEY[4:12] not in hint


def test_the_hint_without_a_key_asks_for_one() -> None:
    assert key_hint(None) == "No key is stored yet: paste one above."


# -- the Test button -------------------------------------------------------------------------


def test_a_good_key_reports_the_balance_the_api_sent() -> None:
    with SimulatedLensmorServer() as server:
        server.account.spend(4321)
        snapshot = server.account.snapshot()
        outcome = check_key(server.url, DEMO_KEY)
        sent = [r.header("Authorization") for r in server.account.requests]
    assert outcome.ok
    assert outcome.text == (
        f"OK: {fmt.credits(snapshot['totalBalance'] or 0)} of "
        f"{fmt.credits(snapshot['totalAmount'] or 0)} credits"
    )
    assert len(sent) == 1


def test_a_rejected_key_says_so_in_words() -> None:
    with SimulatedLensmorServer() as server:
        outcome = check_key(server.url, KEY)
    assert outcome == (False, "Key rejected — check it and try again")


def test_rate_limited_says_when_to_try_again() -> None:
    with SimulatedLensmorServer() as server:
        server.account.inject(Fault.status(429, headers={"Retry-After": "120"}))
        outcome = check_key(server.url, DEMO_KEY)
    assert outcome == (False, "Rate limited; try again in 2 min")


def test_a_server_error_is_named() -> None:
    with SimulatedLensmorServer() as server:
        server.account.inject(Fault.status(503))
        outcome = check_key(server.url, DEMO_KEY)
    assert outcome == (False, "Lensmor server error: HTTP 503; try again later")


def test_an_unreachable_server_says_cannot_reach() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on that port any more: the connection is refused at once.
    outcome = check_key(f"http://127.0.0.1:{port}", DEMO_KEY)
    assert not outcome.ok
    assert outcome.text.startswith("Cannot reach Lensmor: ")
    assert "connection refused" in outcome.text


def test_an_unreachable_server_is_worded_in_the_windows_language() -> None:
    german = language_from_environ({"LANG": "de_DE.UTF-8"})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = check_key(f"http://127.0.0.1:{port}", DEMO_KEY, german)
    assert not outcome.ok
    # The client's own detail too, not only the label before it.
    refused = german.gettext("connection refused")
    assert refused != "connection refused"
    assert refused in outcome.text
    assert "cannot reach" not in outcome.text


def test_a_bad_base_url_is_reported_not_raised() -> None:
    outcome = check_key("http://example.com", DEMO_KEY)
    assert not outcome.ok
    assert "plain http to a non-loopback host" in outcome.text


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (AuthError("nope", status=401, error_key="INVALID_API_KEY"), "Key rejected — check it"),
        (NetworkError("https://x did not answer in time"), "Cannot reach Lensmor: https://x did"),
        (RateLimited("slow down", retry_after=30), "Rate limited; try again in 30 s"),
        (ServerError("boom", status=502), "Lensmor server error: HTTP 502; try again later"),
        (BadResponse("not JSON", trace_id="t-1"), "Unexpected answer from Lensmor: not JSON"),
        (ConfigError("LENSMOR_BASE_URL: bad"), "LENSMOR_BASE_URL: bad"),
    ],
)
def test_each_error_kind_is_one_line_of_words(
    error: AuthError | NetworkError | ConfigError, text: str
) -> None:
    outcome = describe_outcome(error)
    assert not outcome.ok
    assert outcome.text.startswith(text)
    assert "\n" not in outcome.text


# -- Save ------------------------------------------------------------------------------------


def file_store(tmp_path: Path, environ: dict[str, str] | None = None) -> KeyStore:
    return KeyStore(tmp_path / "api-key", environ=environ or {}, use_keyring=False)


def test_save_writes_the_config_and_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    result = parse_form(form(key=KEY, thresholds="30%, 1,000", poll_interval="90"))
    assert result.settings is not None
    store = file_store(tmp_path)
    outcome = save_form(config, result.settings, result.key, store)
    assert outcome.saved
    assert outcome.error is None
    assert load_settings(config) == result.settings
    assert (tmp_path / "api-key").read_text().strip() == KEY
    assert stat.S_IMODE((tmp_path / "api-key").stat().st_mode) == 0o600
    # Without a keyring the user is told the key went to a file.
    assert any(
        w.startswith("No OS keyring is available, so the key is stored in")
        for w in outcome.warnings
    )
    assert all(KEY not in w for w in outcome.warnings)


def test_save_without_a_new_key_leaves_the_stored_key_alone(tmp_path: Path) -> None:
    (tmp_path / "api-key").write_text("uak_oldKEYoldKEYoldKEY\n")
    config = tmp_path / "config.toml"
    outcome = save_form(config, Settings(poll_interval=600), None, file_store(tmp_path))
    assert outcome == dataclasses.replace(outcome, saved=True, error=None, warnings=())
    assert load_settings(config).poll_interval == 600
    assert (tmp_path / "api-key").read_text() == "uak_oldKEYoldKEYoldKEY\n"


def test_save_refuses_to_overwrite_a_broken_config_and_stores_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("poll_interval = [oops\n")
    before = config.read_bytes()
    outcome = save_form(config, Settings(), KEY, file_store(tmp_path))
    assert not outcome.saved
    assert outcome.error is not None
    assert outcome.error.startswith("Not saved: config ")
    assert "is not valid TOML" in outcome.error
    assert config.read_bytes() == before
    assert not (tmp_path / "api-key").exists()


def test_save_warns_that_the_environment_key_still_wins(tmp_path: Path) -> None:
    store = file_store(tmp_path, {"LENSMOR_API_KEY": "uak_fromENVfromENVfromENV"})
    outcome = save_form(tmp_path / "config.toml", Settings(), KEY, store)
    assert outcome.saved
    assert ENV_OVERRIDE_NOTE in outcome.warnings
    assert (tmp_path / "api-key").read_text().strip() == KEY


def test_a_config_that_cannot_be_written_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    outcome = save_form(blocker / "config.toml", Settings(), None, file_store(tmp_path))
    assert not outcome.saved
    assert outcome.error is not None
    assert outcome.error.startswith(f"Not saved: cannot write {blocker / 'config.toml'}")


# -- no display ------------------------------------------------------------------------------


def test_without_a_display_the_window_says_so_and_exits_2(home: Home) -> None:
    env = {name: value for name, value in home.env.items() if name != "DISPLAY"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tray_app.windows.settings_dialog",
            "--config",
            str(home.config_file),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=home.root,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("lensmor-tray: cannot open the Settings window: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not home.config_file.exists()


@pytest.mark.parametrize("tag", ["en", "de_DE", "fr_FR", "es_ES", "ja_JP"])
def test_badge_styles_are_shown_in_words_and_saved_by_name(tag: str) -> None:
    from tray_app.core.badge import BadgeStyle
    from tray_app.support.i18n import language_for

    lang = language_for(tag)
    labels = [badge_style_label(style.value, lang) for style in BadgeStyle]
    assert len(set(labels)) == len(BadgeStyle) == len(BADGE_STYLE_LABELS)
    for style, label in zip(BadgeStyle, labels, strict=True):
        assert label != style.value  # words, not "percent"
        assert badge_style_value(label, lang) == style.value
        result = parse_form(form(key="", badge_style=badge_style_value(label, lang)), lang=lang)
        assert result.settings is not None
        assert result.settings.badge_style is style
    if tag != "en":  # translated: not the English words
        assert labels != [badge_style_label(s.value) for s in BadgeStyle]
    # Something else is passed on as it is, and parse_form names the choices.
    assert badge_style_value("sparkles", lang) == "sparkles"
    assert FormField.BADGE_STYLE in parse_form(form(badge_style="sparkles")).errors


def test_a_bad_key_and_a_broken_config_are_worded_in_the_windows_language(
    tmp_path: Path,
) -> None:
    german = language_from_environ({"LANG": "de_DE.UTF-8"})
    assert parse_key("uak with spaces", german) == (
        None,
        "Der Schlüssel enthält Leerzeichen oder Zeichen, die nicht Teil eines Schlüssels sein "
        "können",
    )
    config = tmp_path / "config.toml"
    config.write_text("poll_interval = 'soon'\n")
    outcome = save_form(config, Settings(), None, file_store(tmp_path), lang=german)
    assert outcome.error is not None
    assert outcome.error.startswith("Nicht gespeichert: ")
    assert outcome.error == "Nicht gespeichert: " + _config_error(config).text(german)
    assert "must be" not in outcome.error  # the config's detail in German too
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    unwritable = save_form(
        blocker / "config.toml", Settings(), None, file_store(tmp_path), lang=german
    )
    assert unwritable.error is not None
    assert unwritable.error.startswith(f"Nicht gespeichert: {blocker / 'config.toml'} kann nicht")


def _config_error(config: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    return caught.value


def test_a_threshold_out_of_range_is_said_in_the_windows_language() -> None:
    german = language_from_environ({"LANG": "de_DE.UTF-8"})
    assert parse_thresholds("20%, 150%", german) == (
        (),
        "'150%': eine Prozent-Schwelle muss zwischen 0% und 100% liegen",
    )
