"""`[[hooks]]` in config.toml: what parses, each mistake as one line naming the table and the
key, and a config with hooks written afresh (or edited) keeps them."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from tray_app.config.config_toml import edit_config_text, fresh_config_text
from tray_app.config.model import ConfigError, HookConfig
from tray_app.config.parse import parse_settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def _parse(text: str) -> tuple[HookConfig, ...]:
    return parse_settings(tomllib.loads(text)).hooks


def test_a_hook_with_every_key() -> None:
    [hook] = _parse(
        '[[hooks]]\non = ["low", "empty", "low"]\ncommand = ["curl", "-d", "@-", "http://x"]\n'
        'account = "Work"\ntimeout = 2.5\n'
    )
    assert hook == HookConfig(("low", "empty"), ("curl", "-d", "@-", "http://x"), "Work", 2.5)


def test_defaults_and_which_events_and_accounts_a_hook_wants() -> None:
    every, one = _parse(
        '[[hooks]]\non = ["*"]\ncommand = ["a"]\n\n'
        '[[hooks]]\non = "renewed"\ncommand = ["b"]\naccount = "Work"\n'
    )
    assert every.timeout == 10
    assert every.wants("recovered", "anyone")
    assert one.wants("renewed", "work")  # account names ignore case, as everywhere
    assert not one.wants("renewed", "Home")
    assert not one.wants("low", "Work")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hooks = 3", "hooks must be [[hooks]] tables"),
        ('[[hooks]]\ncommand = ["a"]', "hooks[0].on is missing"),
        ('[[hooks]]\non = ["low"]', "hooks[0].command is missing"),
        ('[[hooks]]\non = []\ncommand = ["a"]', "hooks[0].on must be a list of events"),
        ('[[hooks]]\non = ["lowish"]\ncommand = ["a"]', "unknown event 'lowish'; use low,"),
        ('[[hooks]]\non = ["low"]\ncommand = "curl -d @- x"', "not a shell string"),
        ('[[hooks]]\non = ["low"]\ncommand = []', "command must be a non-empty list"),
        ('[[hooks]]\non = ["low"]\ncommand = [" "]', "command[0] is empty"),
        ('[[hooks]]\non = ["low"]\ncommand = ["a", 1]', "command must be a non-empty list"),
        ('[[hooks]]\non = ["low"]\ncommand = ["a"]\ntimeout = 0', "from 1 to 300, got 0"),
        ('[[hooks]]\non = ["low"]\ncommand = ["a"]\ntimeout = 301', "got 301"),
        ('[[hooks]]\non = ["low"]\ncommand = ["a"]\ntimeout = true', "got True"),
        ('[[hooks]]\non = ["low"]\ncommand = ["a"]\naccount = ""', "hooks[0].account is empty"),
        ('[[hooks]]\non = ["low"]\ncommand = ["a"]\nshell = true', "unknown key 'shell'"),
    ],
)
def test_mistakes_are_one_line_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _parse(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_hooks_survive_a_config_written_afresh_and_an_edit() -> None:
    text = (
        'badge_account = "W"\n\n[[hooks]]\non = ["low"]\ncommand = ["curl", "x"]\ntimeout = 5\n'
        '\n[[accounts]]\nname = "W"\n'
    )
    settings = parse_settings(tomllib.loads(text))
    fresh = fresh_config_text(settings)
    assert parse_settings(tomllib.loads(fresh)) == settings
    changed = dataclasses.replace(settings, poll_interval=60)
    edited = edit_config_text(text, settings, changed)
    assert parse_settings(tomllib.loads(edited)) == changed
    assert '[[hooks]]\non = ["low"]' in edited  # the user's table, as written
