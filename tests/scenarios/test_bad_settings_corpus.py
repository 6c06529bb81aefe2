"""Bad settings files (issue 6, "Bad input"): a named corpus of broken config files.

`load_settings` raises ConfigError with one line naming the file and the offending key, never
another exception, and the file is never rewritten; the CLI reports it in one line and exits 2.
Generated TOML documents are in test_bad_settings_generated.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Home, run_cli
from tests.scenarios.bad_input_rig import write_private
from tray_app.config.config_file import save_settings
from tray_app.config.loading import load_settings
from tray_app.config.model import ConfigError, Settings
from tray_app.demo.server import DEMO_KEY

FILE = "<the file>"  # a message that must name the file, not a key


# --- settings files: the named corpus -----------------------------------------------------


@dataclass(frozen=True)
class BadConfig:
    name: str
    content: bytes
    #: What the one-line message must name besides the file: a key, or FILE for the file alone.
    names: str


def _cfg(name: str, text: str, names: str) -> BadConfig:
    return BadConfig(name, text.encode("utf-8"), names)


CONFIGS: tuple[BadConfig, ...] = (
    # Not TOML at all, or not UTF-8.
    _cfg("not_toml_at_all", "this is [not toml", FILE),
    BadConfig("binary_garbage", bytes(range(256)), FILE),
    BadConfig("utf16_encoded", "poll_interval = 60\n".encode("utf-16"), FILE),
    BadConfig("nul_byte", b"poll_interval = 60\x00\n", FILE),
    _cfg("duplicate_key", "poll_interval = 60\npoll_interval = 90\n", FILE),
    _cfg("table_defined_twice", "[alerts]\nnotifications = true\n[alerts]\n", FILE),
    _cfg("unterminated_string", 'base_url = "https://platform.lensmor.com\n', FILE),
    _cfg("html_saved_as_config", "<html><body>config</body></html>\n", FILE),
    _cfg("json_saved_as_config", '{"poll_interval": 60}\n', FILE),
    # Unknown keys and wrong structure.
    _cfg("unknown_top_level_key", "colour = 1\n", "colour"),
    _cfg("misspelt_key", "poll_intervall = 60\n", "poll_intervall"),
    _cfg("unknown_alert_key", "[alerts]\nsound = true\n", "alerts.sound"),
    _cfg("alerts_not_a_table", "alerts = 3\n", "alerts"),
    _cfg("alerts_array_of_tables", "[[alerts]]\nnotifications = true\n", "alerts"),
    _cfg("poll_interval_as_a_table", "[poll_interval]\nseconds = 60\n", "poll_interval"),
    # poll_interval
    _cfg("poll_interval_string", 'poll_interval = "5m"\n', "poll_interval"),
    _cfg("poll_interval_float", "poll_interval = 60.5\n", "poll_interval"),
    _cfg("poll_interval_too_small", "poll_interval = 29\n", "poll_interval"),
    _cfg("poll_interval_negative", "poll_interval = -300\n", "poll_interval"),
    _cfg("poll_interval_boolean", "poll_interval = true\n", "poll_interval"),
    _cfg("poll_interval_datetime", "poll_interval = 1979-05-27T07:32:00Z\n", "poll_interval"),
    _cfg("poll_interval_infinite", "poll_interval = inf\n", "poll_interval"),
    # base_url
    _cfg("base_url_number", "base_url = 5\n", "base_url"),
    _cfg("base_url_ftp", 'base_url = "ftp://platform.lensmor.com"\n', "base_url"),
    _cfg("base_url_plain_http_remote", 'base_url = "http://platform.lensmor.com"\n', "base_url"),
    _cfg("base_url_with_password", 'base_url = "https://me:pw@platform.lensmor.com"\n', "base_url"),
    _cfg("base_url_port_out_of_range", 'base_url = "https://lensmor.com:99999"\n', "base_url"),
    _cfg("base_url_empty", 'base_url = ""\n', "base_url"),
    _cfg("base_url_with_query", 'base_url = "https://lensmor.com/?key=1"\n', "base_url"),
    _cfg("base_url_list", 'base_url = ["https://lensmor.com"]\n', "base_url"),
    # alerts
    _cfg("thresholds_empty", "[alerts]\nthresholds = []\n", "alerts.thresholds"),
    _cfg("thresholds_not_a_list", '[alerts]\nthresholds = "20%"\n', "alerts.thresholds"),
    _cfg("thresholds_nested_list", "[alerts]\nthresholds = [[20]]\n", "alerts.thresholds"),
    _cfg("thresholds_150_percent", '[alerts]\nthresholds = ["150%"]\n', "alerts.thresholds"),
    _cfg("thresholds_zero_percent", '[alerts]\nthresholds = ["0%"]\n', "alerts.thresholds"),
    _cfg("thresholds_negative", "[alerts]\nthresholds = [-5]\n", "alerts.thresholds"),
    _cfg("thresholds_boolean", "[alerts]\nthresholds = [true]\n", "alerts.thresholds"),
    _cfg("thresholds_inline_table", "[alerts]\nthresholds = [{a = 1}]\n", "alerts.thresholds"),
    _cfg("thresholds_words", '[alerts]\nthresholds = ["lots"]\n', "alerts.thresholds"),
    _cfg("expiring_hours_infinite", "[alerts]\nexpiring_hours = inf\n", "alerts.expiring_hours"),
    _cfg("large_spend_nan", "[alerts]\nlarge_spend = nan\n", "alerts.large_spend"),
    _cfg("offline_minutes_negative", "[alerts]\noffline_minutes = -1\n", "alerts.offline_minutes"),
    _cfg("notifications_string", '[alerts]\nnotifications = "yes"\n', "alerts.notifications"),
    _cfg("notifications_number", "[alerts]\nnotifications = 1\n", "alerts.notifications"),
    # Hostile files.
    _cfg(
        "thresholds_nan",
        "[alerts]\nthresholds = [nan]\n",
        "alerts.thresholds",
    ),
    _cfg(
        "thresholds_infinite",
        "[alerts]\nthresholds = [inf]\n",
        "alerts.thresholds",
    ),
    _cfg(
        "thresholds_400_digit_string",
        f'[alerts]\nthresholds = ["{"9" * 400}"]\n',
        "alerts.thresholds",
    ),
    _cfg(
        "unknown_alert_key_with_a_newline",
        '[alerts]\n"sound\\nlensmor-tray: all fine" = 1\n',
        "alerts.sound",
    ),
    _cfg(
        "deeply_nested_arrays",
        "poll_interval = " + "[" * 5000 + "]" * 5000 + "\n",
        FILE,  # the parser gives up before it can say which key
    ),
    _cfg(
        "deeply_nested_inline_tables",
        "alerts = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
        FILE,
    ),
    _cfg("integer_of_5000_digits", "poll_interval = " + "9" * 5000 + "\n", FILE),
    _cfg(
        "large_spend_beyond_float_range",
        "[alerts]\nlarge_spend = " + "9" * 400 + "\n",
        "alerts.large_spend",
    ),
    _cfg(
        "threshold_beyond_float_range",
        "[alerts]\nthresholds = [" + "9" * 400 + "]\n",
        "alerts.thresholds",
    ),
)


def config_error(path: Path) -> ConfigError:
    """The ConfigError load_settings raises for `path` (an AssertionError if it accepts it)."""
    try:
        accepted = load_settings(path)
    except ConfigError as exc:
        return exc
    raise AssertionError(f"accepted: {accepted}")


def assert_one_line_naming(message: str, path: Path, names: str) -> None:
    assert "\n" not in message, message
    assert "Traceback" not in message
    assert str(path) in message
    if names != FILE:
        assert names in message, message


@pytest.mark.parametrize(
    "bad",
    [pytest.param(c, id=c.name) for c in CONFIGS],
)
def test_a_broken_config_is_one_config_error_naming_the_key_and_left_untouched(
    tmp_path: Path, bad: BadConfig
) -> None:
    path = write_private(tmp_path / "config.toml", bad.content)
    error = config_error(path)
    assert_one_line_naming(str(error), path, bad.names)
    assert path.read_bytes() == bad.content
    # The app never replaces a file it cannot read: the user's text is not silently lost.
    with pytest.raises(ConfigError):
        save_settings(path, Settings(poll_interval=600))
    assert path.read_bytes() == bad.content


def test_the_settings_corpus_is_named_and_large_enough() -> None:
    names = [c.name for c in CONFIGS]
    assert len(names) >= 20
    assert len(set(names)) == len(names)


def test_a_config_path_that_is_a_directory_or_a_loop_is_a_config_error(tmp_path: Path) -> None:
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    for path in (tmp_path, loop):
        error = config_error(path)
        assert "cannot read config" in str(error)
        assert_one_line_naming(str(error), path, FILE)


@pytest.mark.parametrize(
    "name",
    [
        "not_toml_at_all",
        "unknown_top_level_key",
        "thresholds_150_percent",
        "base_url_plain_http_remote",
        "deeply_nested_arrays",
    ],
)  # fmt: skip
def test_the_cli_reports_a_broken_config_in_one_line_and_exits_2(home: Home, name: str) -> None:
    bad = next(c for c in CONFIGS if c.name == name)
    home.write_config("")
    path = write_private(home.config_file, bad.content)
    result = run_cli(home, "status", env={"LENSMOR_API_KEY": DEMO_KEY})
    assert "Traceback" not in result.err
    assert result.code == 2, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert lines[0].startswith("lensmor-tray: config error: ")
    assert path.read_bytes() == bad.content
