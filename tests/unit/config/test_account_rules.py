"""The one rename rule (config/account_rules.account_to_rename) on its own, and that the two
ways to rename an account agree on it: `lensmor-tray account rename OLD NEW` applies it to
NEW as typed (keys/account_files.rename_account, under the config lock), the Settings window
to the text of its prompt with the spaces around it trimmed (windows/accounts_form
.plan_rename), and applies it again under the lock when the rename runs."""

from __future__ import annotations

import pytest

from tray_app.config.account_rules import account_to_rename
from tray_app.config.model import AccountConfig, ConfigError, Settings
from tray_app.core.language import ENGLISH
from tray_app.windows.accounts_form import AccountField, plan_rename

#: "PERSONAL" in full-width letters: the same name to people and to name_key (NFKC).
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "PERSONAL")
TWO = Settings(accounts=(AccountConfig("Work"), AccountConfig("Personal")), badge_account="Work")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Work", "Office"),
        ("work", "Office"),  # OLD in another case names the account
        ("Work", "WORK"),  # a change of case only is a rename
        ("Work", "Persönlich"),
    ],
)
def test_a_free_name_is_accepted(old: str, new: str) -> None:
    assert account_to_rename(TWO, old, new) == AccountConfig("Work")


@pytest.mark.parametrize("old", ["Work", "work", "WORK"])
def test_the_name_it_has_already_is_nothing_to_do(old: str) -> None:
    assert account_to_rename(TWO, old, "Work") is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # Another account's name, in any case or Unicode spelling (full-width letters).
        ("Work", "personal", "an account named 'personal' exists already; choose another"),
        ("Work", FULL_WIDTH, f"an account named {FULL_WIDTH!r} exists already"),
        ("Work", "", "the new name is empty"),
        ("Work", " ", "the new name is empty"),
        ("Work", " Office", "the new name ' Office' starts or ends with spaces"),
        ("Work", "Office ", "the new name 'Office ' starts or ends with spaces"),
        ("Work", "api-key", "the new name 'api-key' is reserved"),
        ("Work", "a" * 41, "the new name 'aaaa"),
        ("Work", "Tab\there", "the new name 'Tab\\there' contains control characters"),
        ("Home", "Office", "no account named 'Home'"),
    ],
)
def test_a_bad_rename_is_refused_in_one_line(old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        account_to_rename(TWO, old, new, ENGLISH)
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "new",
    ["Office", "WORK", "Work", "personal", FULL_WIDTH, "", "api-key", "a" * 41, "Tab\there"],
)
def test_the_window_and_the_cli_accept_the_same_names(new: str) -> None:
    try:
        cli_accepts = account_to_rename(TWO, "Work", new) is not None
    except ConfigError:
        cli_accepts = False
    assert (plan_rename(TWO, "Work", new).plan is not None) is cli_accepts


def test_the_window_trims_the_spaces_around_the_name_the_cli_refuses() -> None:
    # The one difference: the window's prompt is a text field where a trailing space cannot
    # be seen, so it trims; the CLI takes the name exactly as quoted and refuses the spaces.
    with pytest.raises(ConfigError, match="starts or ends with spaces"):
        account_to_rename(TWO, "Work", " Office ")
    plan = plan_rename(TWO, "Work", " Office ").plan
    assert plan is not None
    assert (plan.old_name, plan.name) == ("Work", "Office")
    # Trimmed, the rule decides as for the CLI: the name an account has is still refused.
    assert (
        plan_rename(TWO, "Work", " personal ")
        .errors[AccountField.NAME]
        .startswith("An account named 'personal' exists already")
    )
