"""Bad settings files and bad command lines (issue 6, "Bad input").

Settings: a named corpus of broken config files, then generated TOML documents (tomli_w) of
arbitrary keys and values. `load_settings` returns Settings or raises ConfigError with one line
naming the file and the offending key; never another exception, and the file is never rewritten.

Command lines: a named corpus of bad argument lists run through the real `lensmor-tray` in a
child process (exit 2, one error line, no traceback), then generated argument lists through
`build_parser().parse_args` in-process (a Namespace, or SystemExit 0/2; nothing else).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Home, make_home, run_cli
from tests.support.rig import RecordingNotifier, RecordingTray
from tray_app.api.client import LensmorClient
from tray_app.cli.parser import build_parser
from tray_app.config.config_file import save_settings
from tray_app.config.loading import load_settings
from tray_app.config.model import ConfigError, Settings
from tray_app.config.urls import validate_base_url
from tray_app.core.balance import Balance
from tray_app.core.levels import Threshold
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer
from tray_app.history.store import HistoryStore
from tray_app.runtime.monitor import Monitor
from tray_app.runtime.scheduler import PollScheduler

#: Every property test here: the same examples on every run and on CI (derandomize, no example
#: database), no per-example deadline, and no health check failing a slow CI machine.
REPRODUCIBLE = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
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


def write_private(path: Path, content: bytes) -> Path:
    # 0600 like the app's own files, so load_settings has no permission warning to log.
    path.write_bytes(content)
    path.chmod(0o600)
    return path


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


# --- settings files: generated documents --------------------------------------------------

ALERT_KEYS = ("thresholds", "expiring_hours", "large_spend", "offline_minutes", "notifications")
# Any key, control characters included (an unknown key is quoted in the error line).
keys = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
toml_scalars = st.one_of(
    st.booleans(),
    # TOML integers are 64-bit; longer ones are the corpus' INT_BEYOND_FLOAT/LONG_INT_TOML.
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),  # nan and inf included: TOML has them
    st.text(max_size=20),
    st.datetimes(timezones=st.none() | st.just(dt.timezone.utc)),
    st.dates(),
    st.times(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)
urls = st.sampled_from(
    [
        "https://platform.lensmor.com", "https://platform.lensmor.com/", "http://127.0.0.1:8080",
        "http://localhost", "http://[::1]:9", "https://[::1]/api", "https://x:99999",
        "https://x:0", "ftp://x", "http://example.com", "https://u:p@x", "", "https://",
        "https://x/?q=1", "https://x#f", "https://x:port", "HTTPS://X.COM", "https://x/a b",
    ]
) | st.text(max_size=30)  # fmt: skip
threshold_items = st.one_of(
    st.from_regex(r"\s?[0-9]{1,3}(\.[0-9]{1,9})?\s?%?\s?", fullmatch=True),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),  # nan and inf included
    st.text(max_size=8),
    st.booleans(),
)
alert_values = {
    "thresholds": st.lists(threshold_items, max_size=4) | toml_scalars,
    "expiring_hours": st.floats() | st.integers(-(2**63), 2**63 - 1) | toml_scalars,
    "large_spend": st.floats() | st.integers(-(2**63), 2**63 - 1) | toml_scalars,
    "offline_minutes": st.floats() | st.integers(-(2**63), 2**63 - 1) | toml_scalars,
    "notifications": st.booleans() | toml_scalars,
}
alerts_tables = st.fixed_dictionaries({}, optional=alert_values) | st.dictionaries(
    st.sampled_from(ALERT_KEYS) | keys, toml_values, max_size=3
)
random_documents = st.builds(
    lambda known, extra: {**known, **extra},
    st.fixed_dictionaries(
        {},
        optional={
            "base_url": urls | toml_scalars,
            "poll_interval": st.integers(-(2**63), 2**63 - 1) | toml_scalars,
            "alerts": alerts_tables | toml_values,
        },
    ),
    st.dictionaries(keys, toml_values, max_size=2) | st.just({}),
)


#: Documents that mostly load: what a user or the settings window plausibly writes.
plausible_documents = st.fixed_dictionaries(
    {},
    optional={
        "base_url": st.sampled_from(["https://platform.lensmor.com", "http://127.0.0.1:8080/"]),
        "poll_interval": st.integers(30, 10**6),
        "alerts": st.fixed_dictionaries(
            {},
            optional={
                "thresholds": st.lists(
                    st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,9})?%", fullmatch=True)
                    | st.floats(0, 1e9)
                    | st.integers(0, 10**9),
                    min_size=1,
                    max_size=3,
                ),
                "expiring_hours": st.floats(0, 1e6) | st.integers(0, 10**6),
                "large_spend": st.floats(0, 1e9) | st.integers(0, 10**9),
                "offline_minutes": st.floats(0, 1e6) | st.integers(0, 10**6),
                "notifications": st.booleans(),
            },
        ),
    },
)


@st.composite
def near_valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A plausible document with one key set to any TOML value (or one unknown key added)."""
    doc = draw(plausible_documents)
    alerts = dict(doc.get("alerts", {}))
    where = draw(st.sampled_from(["base_url", "poll_interval", "alerts", "new", *ALERT_KEYS]))
    if where in ALERT_KEYS:
        alerts[where] = draw(alert_values[where] | toml_values)
        doc["alerts"] = alerts
    elif where == "new":
        key = draw(keys)
        if draw(st.booleans()):
            alerts[key] = draw(toml_values)
            doc["alerts"] = alerts
        else:
            doc[key] = draw(toml_values)
    else:
        doc[where] = draw(toml_values)
    return doc


documents = st.one_of(near_valid_documents(), plausible_documents, random_documents)


def offending_keys(doc: dict[str, Any]) -> list[str]:
    """Every key a message about `doc` may name: top-level keys and alerts.<key>."""
    found = [str(k) for k in doc] + [repr(k) for k in doc]
    alerts = doc.get("alerts")
    if isinstance(alerts, dict):
        found += [f"alerts.{k}" for k in alerts]
    return found


def assert_obeys_the_documented_rules(s: Settings) -> None:
    assert validate_base_url(s.base_url) == s.base_url
    assert isinstance(s.poll_interval, int)
    assert not isinstance(s.poll_interval, bool)
    assert s.poll_interval >= 30
    a = s.alerts
    for number in (a.expiring_hours, a.large_spend, a.offline_minutes):
        assert math.isfinite(number)
        assert number >= 0
    assert isinstance(a.notifications, bool)
    assert a.thresholds
    for t in a.thresholds:
        assert isinstance(t, Threshold)
        assert math.isfinite(t.value)
        assert t.value >= 0
        assert not t.is_percent or 0 < t.value < 100


def test_generated_config_documents_give_settings_or_one_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"

    @settings(REPRODUCIBLE, max_examples=1500)
    @given(doc=documents)
    def check(doc: dict[str, Any]) -> None:
        text = tomli_w.dumps(doc).encode("utf-8")
        write_private(path, text)
        try:
            loaded = load_settings(path)
        except ConfigError as exc:
            message = str(exc)
            assert "\n" not in message, message
            assert str(path) in message
            if doc:  # valid TOML: the message names a key of the document
                assert any(key in message for key in offending_keys(doc)), message
        else:
            assert_obeys_the_documented_rules(loaded)
        assert path.read_bytes() == text

    check()


def test_accepted_settings_survive_a_save_and_reload(tmp_path: Path) -> None:
    source, saved = tmp_path / "source.toml", tmp_path / "saved.toml"

    @settings(REPRODUCIBLE, max_examples=300, report_multiple_bugs=False)
    @given(doc=plausible_documents | near_valid_documents())
    def check(doc: dict[str, Any]) -> None:
        write_private(source, tomli_w.dumps(doc).encode("utf-8"))
        try:
            loaded = load_settings(source)
        except ConfigError:
            return
        saved.unlink(missing_ok=True)
        save_settings(saved, loaded)
        try:
            again = load_settings(saved)
        except ConfigError as exc:
            raise AssertionError(f"the saved file does not load: {exc}") from None
        assert again == loaded

    check()


def test_any_accepted_poll_interval_can_be_scheduled(tmp_path: Path) -> None:
    huge = write_private(tmp_path / "huge.toml", b"poll_interval = 10000000000000\n")
    with pytest.raises(ConfigError, match="poll_interval must be from 30 to 86400"):
        load_settings(huge)  # too large to mean anything (and to schedule)
    path = write_private(tmp_path / "config.toml", b"poll_interval = 86400\n")
    loaded = load_settings(path)  # the largest accepted interval
    with SimulatedLensmorServer() as server:
        server.account.set_balance(resetAt=None)  # gift-only: nothing cuts the interval short
        with HistoryStore.open(tmp_path / "history.sqlite3") as store:
            monitor = Monitor(
                source=LensmorClient(server.url, DEMO_KEY),
                store=store,
                notifier=RecordingNotifier(),
                tray=RecordingTray(),
                settings=loaded,
            )
            scheduler = PollScheduler()
            polls = scheduler.add("default", monitor)
            scheduler.start(first_delay=3600)
            try:
                polls.refresh_now(wait=True)
                assert polls.next_poll_at is not None
            finally:
                scheduler.stop()
                monitor.close()


# --- command lines: the named corpus ------------------------------------------------------


@dataclass(frozen=True)
class BadArgs:
    name: str
    args: tuple[str, ...]
    #: Words the error line must contain.
    words: str
    code: int = 2


ARGS: tuple[BadArgs, ...] = (
    BadArgs("unknown_command", ("frobnicate",), "invalid choice"),
    BadArgs("empty_command", ("",), "invalid choice"),
    BadArgs("upper_case_command", ("STATUS",), "invalid choice"),
    BadArgs("non_utf8_command", ("\udcff",), "invalid choice"),
    BadArgs("unknown_option", ("status", "--bogus"), "unrecognized arguments"),
    BadArgs("extra_positional", ("status", "now"), "unrecognized arguments"),
    BadArgs("config_without_a_value", ("--config",), "expected one argument"),
    BadArgs("verbose_with_a_value", ("--verbose=yes",), "ignored explicit argument"),
    BadArgs("json_with_a_value", ("status", "--json=1"), "ignored explicit argument"),
    BadArgs("ambiguous_abbreviation", ("--ver",), "ambiguous option"),
    BadArgs("key_without_an_action", ("key",), "required"),
    BadArgs("key_unknown_action", ("key", "rotate"), "invalid choice"),
    BadArgs("key_set_with_the_key_as_an_argument", ("key", "set", "uak_x"), "unrecognized"),
    BadArgs("autostart_without_an_action", ("autostart",), "required"),
    BadArgs("autostart_unknown_action", ("autostart", "maybe"), "invalid choice"),
    BadArgs("days_not_a_number", ("history", "--days", "abc"), "invalid int value"),
    BadArgs("days_a_fraction", ("history", "--days", "1.5"), "invalid int value"),
    BadArgs("days_zero", ("history", "--days", "0"), "--days must be from 1 to 3660"),
    BadArgs("days_negative", ("history", "--days", "-5"), "--days must be from 1 to 3660"),
    BadArgs("days_without_a_value", ("history", "--days"), "expected one argument"),
    BadArgs("days_of_5000_digits", ("history", "--days", "9" * 5000), "invalid int value"),
    BadArgs("config_file_missing", ("--config", "/nonexistent/c.toml", "status"), "not exist"),
    BadArgs("config_is_a_directory", ("--config", ".", "status"), "cannot read config"),
    BadArgs("config_empty_path", ("--config", "", "status"), "cannot read config"),
    BadArgs(
        "config_name_too_long",
        ("--config", "c" * 5000, "status"),
        "config",
    ),
    BadArgs(
        "days_beyond_the_calendar",
        ("history", "--days", "10000000"),
        "--days",
    ),
)


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """One HOME for the whole corpus (nothing here writes to it), with a history to read."""
    home = make_home(tmp_path_factory.mktemp("cli") / "home")
    home.data_dir.mkdir(parents=True)
    balance = Balance(1000, 500, 1000, 500, 0, 0, None)
    with HistoryStore.open(home.data_dir / "history.sqlite3") as store:
        store.record_balance(time.time() - 3600, balance)
    return home


@pytest.mark.parametrize("bad", [pytest.param(a, id=a.name) for a in ARGS])
def test_bad_arguments_exit_2_with_one_error_line_and_no_traceback(
    cli_home: Home, bad: BadArgs
) -> None:
    result = run_cli(cli_home, *bad.args, timeout=30)
    assert "Traceback" not in result.err, result.err[-2000:]
    assert result.code == bad.code, result.err
    assert result.out == ""
    lines = [line for line in result.err.splitlines() if line.strip()]
    # argparse puts its one-line usage synopsis before the error line; nothing else may come.
    assert 1 <= len(lines) <= 2, result.err
    if len(lines) == 2:
        assert lines[0].startswith("usage: lensmor-tray")
    assert lines[-1].startswith("lensmor-tray")
    assert bad.words in lines[-1]


def test_the_args_corpus_is_named_and_large_enough() -> None:
    names = [a.name for a in ARGS]
    assert len(names) >= 20
    assert len(set(names)) == len(names)


# --- command lines: generated argument lists ----------------------------------------------

#: Every command `--help` lists (a command added to the CLI must be added here too: the test
#: generates free text as well, which found "refresh" missing here).
COMMANDS = {
    None, "status", "refresh", "doctor", "key", "paths", "run", "demo", "settings", "autostart",
    "history", "account", "usage",
}  # fmt: skip
tokens = st.one_of(
    st.sampled_from(
        ["status", "key", "set", "show", "clear", "paths", "run", "demo", "settings",
         "autostart", "enable", "disable", "history", "--json", "--days", "--config", "-v",
         "--verbose", "--autostart", "--demo-without-key", "-h", "--help", "--version", "--",
         "-", "--v", "--con", "-5", "0", "1e3", "=", "--days=", "--config=", "-vv", "refresh",
         "doctor", "account", "add", "list", "remove", "rename", "usage", "--account", "-Ops",
         "--account=-Ops", "--base-url", "--cached", "--format", "waybar"]
    ),
    st.text(max_size=12),
)  # fmt: skip


@contextlib.contextmanager
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def test_the_generated_argument_lists_know_every_command() -> None:
    [commands] = [
        action.choices
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    ]
    assert set(commands) == COMMANDS - {None}


def test_generated_argument_lists_parse_or_exit_0_or_2() -> None:
    @settings(REPRODUCIBLE, max_examples=1000)
    @given(argv=st.lists(tokens, max_size=6))
    def check(argv: list[str]) -> None:
        parser = build_parser()
        code: int | str | None = None
        with captured() as (out, err):
            try:
                args = parser.parse_args(argv)
            except SystemExit as exc:
                code = exc.code
        if code is not None:
            assert code in (0, 2), code
            if code == 2:
                assert "error:" in err.getvalue()
            else:
                assert out.getvalue()  # help or version text
            return
        assert "Traceback" not in err.getvalue()
        assert args.command in COMMANDS
        assert args.config is None or isinstance(args.config, os.PathLike)
        if args.command == "history":
            assert isinstance(args.days, int)
        if args.command == "autostart":
            assert args.action in ("enable", "disable", "status")
        if args.command == "key":
            assert args.key_command in ("set", "show", "clear")

    check()
