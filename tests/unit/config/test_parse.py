"""Settings: TOML loading, validation messages, the http/https rule, atomic private saves."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.conftest import Home
from tray_app.config.config_file import save_settings
from tray_app.config.loading import load_settings
from tray_app.config.model import ConfigError, Settings
from tray_app.config.paths import AppPaths
from tray_app.config.urls import effective_base_url, validate_base_url
from tray_app.core.levels import Threshold


def test_missing_file_gives_the_documented_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "none.toml")
    assert settings.base_url == "https://platform.lensmor.com"
    assert settings.poll_interval == 300
    assert settings.alerts.thresholds == (Threshold(20, True), Threshold(5, True))
    assert settings.alerts.expiring_hours == 48
    assert settings.alerts.large_spend == 0  # off: unusual spend is relative to the user


def test_a_full_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'base_url = "http://127.0.0.1:8080/"\npoll_interval = 45\n'
        '[alerts]\nthresholds = ["50%", 300]\nnotifications = false\n'
    )
    settings = load_settings(path)
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.poll_interval == 45
    assert settings.alerts.thresholds == (Threshold(50, True), Threshold(300, False))
    assert settings.alerts.notifications is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "colour = 1",
            "unknown key 'colour'; allowed: accounts, alerts, badge_account, badge_style, "
            "base_url, hooks, integrations, poll_interval",
        ),
        ("poll_interval = 10", "poll_interval must be from 30 to 86400 seconds, got 10"),
        ('poll_interval = "5m"', "poll_interval must be a whole number of seconds"),
        ("poll_interval = true", "poll_interval must be a whole number of seconds"),
        ("[alerts]\nsound = 1", "unknown key 'alerts.sound'; allowed:"),
        ('[alerts]\nthresholds = ["lots"]', "alerts.thresholds: 'lots' is not a threshold"),
        ("[alerts]\nthresholds = []", "alerts.thresholds must be a non-empty list"),
        ('[alerts]\nthresholds = ["150%"]', "between 0% and 100%"),
        ("[alerts]\nlarge_spend = -1", "alerts.large_spend must be a number of credits from 0 to"),
        ("[alerts]\nnotifications = 1", "alerts.notifications must be true or false"),
        ("alerts = 3", "alerts must be a table"),
        ('base_url = "http://example.com"', "plain http to a non-loopback host"),
        ('base_url = "ftp://x"', "is not an http(s) URL"),
        ("base_url = 5", "base_url must be a string URL"),
        ("this is [not toml", "is not valid TOML"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://platform.lensmor.com",
        "https://proxy.example.com:8443/lensmor",
        "http://127.0.0.1:9000",
        "http://127.8.9.10",
        "http://[::1]:9000",
        "http://localhost:9000",
        "http://LOCALHOST",
    ],
)
def test_https_anywhere_and_http_only_on_loopback(url: str) -> None:
    assert validate_base_url(url + "/") == url


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://10.0.0.1",
        "http://192.168.1.2:80",
        "http://localhost.evil.com",
        "http://[::2]",
        "https://user:pw@platform.lensmor.com",
        "https://platform.lensmor.com/?key=1",
        "https://platform.lensmor.com:99999",
        "not a url",
    ],
)
def test_unsafe_or_broken_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        validate_base_url(url)


def test_environment_overrides_the_config_and_is_validated() -> None:
    settings = Settings()
    assert effective_base_url(settings, {}) == settings.base_url
    assert effective_base_url(settings, {"LENSMOR_BASE_URL": "http://127.0.0.1:1"}) == (
        "http://127.0.0.1:1"
    )
    with pytest.raises(ConfigError, match="LENSMOR_BASE_URL"):
        effective_base_url(settings, {"LENSMOR_BASE_URL": "http://example.com"})


def test_save_round_trips_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    original = load_settings(tmp_path / "missing")
    changed = Settings(base_url="http://127.0.0.1:5", poll_interval=60, alerts=original.alerts)
    save_settings(path, changed)
    assert load_settings(path) == changed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # No temporary files left behind; the (empty) config lock stays: removing a lock file
    # after use would let a waiting writer lock a file that is gone (config_file.py).
    assert sorted(path.parent.iterdir()) == [path.parent / ".config.toml.lock", path]


def test_a_broken_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("broken = [")
    with pytest.raises(ConfigError):
        save_settings(path, Settings())
    assert path.read_text() == "broken = ["


def test_paths_follow_xdg(isolated_home: Home) -> None:
    paths = AppPaths.default()
    assert paths.config_file == isolated_home.config_file
    assert paths.data_dir == isolated_home.data_dir
    assert paths.key_file == isolated_home.config_dir / "api-key"
    assert not isolated_home.config_dir.exists()  # building paths creates nothing
