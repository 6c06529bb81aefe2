"""Bad settings files (issue 6, "Bad input"): generated TOML documents (tomli_w) of arbitrary
keys and values. `load_settings` returns Settings that obey the documented rules or raises
ConfigError with one line naming the file and a key of the document; never another exception,
and the file is never rewritten. Accepted settings survive a save and reload, and any
accepted poll interval can be scheduled. The named corpus is in test_bad_settings_corpus.py.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.scenarios.bad_input_rig import REPRODUCIBLE, write_private
from tests.support.rig import RecordingNotifier, RecordingTray
from tray_app.api.client import LensmorClient
from tray_app.config.config_file import save_settings
from tray_app.config.loading import load_settings
from tray_app.config.model import ConfigError, Settings
from tray_app.config.urls import validate_base_url
from tray_app.core.levels import Threshold
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer
from tray_app.history.store import HistoryStore
from tray_app.runtime.monitor import Monitor
from tray_app.runtime.scheduler import PollScheduler

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
