"""`[integrations]` feed files: validated config keys, and files the monitor rewrites atomically
after each poll against the simulated API; a failing path is logged, never fatal."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Home, run_cli
from tests.support.rig import Rig
from tray_app.config.config_toml import settings_to_toml
from tray_app.config.model import ConfigError, IntegrationSettings
from tray_app.config.parse import parse_settings
from tray_app.runtime.feeds import FeedWriter


def test_integration_paths_are_read_and_tilde_expanded(tmp_path: Path) -> None:
    settings = parse_settings(
        {"integrations": {"prometheus_textfile": f"{tmp_path}/l.prom", "waybar_file": "~/w.json"}}
    )
    assert settings.integrations.prometheus_textfile == tmp_path / "l.prom"
    assert settings.integrations.waybar_file == Path.home() / "w.json"
    # Saved by the settings dialog unchanged, and read back the same.
    assert parse_settings(settings_to_toml(settings)) == settings
    assert "integrations" not in settings_to_toml(parse_settings({}))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"waybar_file": "relative/w.json"}, "integrations.waybar_file must be an absolute path"),
        ({"waybar_file": 3}, "integrations.waybar_file must be a file path in quotes"),
        (
            {"waybar_file": "/var/lib/feeds/"},
            "integrations.waybar_file must name a file, not a folder",
        ),
        (
            {"prometheus_textfile": "/var/lib/feeds/l.txt"},
            "integrations.prometheus_textfile must end in .prom",
        ),
        ({"statsd": "/var/lib/feeds/x"}, "unknown key 'integrations.statsd'"),
    ],
)
def test_bad_integration_values_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_settings({"integrations": table})


def test_a_bad_integration_is_one_line_from_the_cli(home: Home) -> None:
    home.write_config('[integrations]\nwaybar_file = "w.json"\n')
    result = run_cli(home, "status", "--cached")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "integrations.waybar_file" in result.err


def test_the_monitor_rewrites_the_feed_files_after_each_poll(rig: Rig, tmp_path: Path) -> None:
    prom, waybar = tmp_path / "lensmor.prom", tmp_path / "waybar.json"
    rig.settings = replace(rig.settings, integrations=IntegrationSettings(prom, waybar))
    rig.feed = FeedWriter()  # what app/tray_app.py passes
    rig.start()
    rig.poll()
    first = json.loads(waybar.read_text())
    assert first["class"] == "ok"
    rig.account.spend(27_000)  # 3,000 of 30,000 left: 10 %, low
    rig.clock.now += 300
    rig.poll()
    assert json.loads(waybar.read_text())["class"] == "low"
    families = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    values = {
        (s.labels["kind"], s.labels["quantity"]): s.value
        for s in families["lensmor_credits"].samples
    }
    assert values[("total", "balance")] == 3000
    assert (
        families["lensmor_credits_last_success_timestamp_seconds"].samples[0].value == rig.clock.now
    )
    assert oct(prom.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_an_unwritable_feed_path_is_logged_once_and_polling_goes_on(
    rig: Rig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no such folder" / "w.json"
    rig.settings = replace(rig.settings, integrations=IntegrationSettings(None, missing))
    rig.feed = FeedWriter()
    rig.start()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            report = rig.poll()
            rig.clock.now += 300
    assert report.state.balance is not None
    assert report.state.problem is None
    warnings = [r for r in caplog.records if "feed file" in r.getMessage()]
    assert len(warnings) == 1
    assert str(missing) in warnings[0].getMessage()
    missing.parent.mkdir()
    rig.poll()
    assert json.loads(missing.read_text())["class"] == "ok"


def test_several_accounts_share_the_feed_files_without_overwriting_each_other(
    tmp_path: Path,
) -> None:
    from tray_app.config.model import Settings
    from tray_app.core.balance import Balance
    from tray_app.core.state import MonitorState, PollResult, advance

    prom, waybar = tmp_path / "lensmor.prom", tmp_path / "waybar.json"
    settings = Settings(integrations=IntegrationSettings(prom, waybar))
    writer = FeedWriter(["Work", "Home"])

    def state(left: int) -> MonitorState:
        b = Balance(10_000, left, 10_000, left, 0, 0, None)
        return advance(MonitorState(), PollResult(1_767_225_600.0, balance=b))

    # Each account's monitor publishes through its own port, from its own poll thread.
    writer.for_account("Home").publish(state(8_000), settings, 1_767_225_600.0)
    writer.for_account("Work").publish(state(400), settings, 1_767_225_601.0)
    totals = {
        sample.labels["account"]: sample.value
        for family in text_string_to_metric_families(prom.read_text())
        for sample in family.samples
        if family.name == "lensmor_credits"
        and sample.labels.get("kind") == "total"
        and sample.labels.get("quantity") == "balance"
    }
    assert totals == {"Work": 400.0, "Home": 8_000.0}
    line = json.loads(waybar.read_text())
    assert line["class"] == "critical"  # the worst account leads the one-line bar
    assert "Home" in line["tooltip"]
    assert "Work" in line["tooltip"]
