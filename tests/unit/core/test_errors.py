"""core.errors: every problem has one wording, used the same way by every surface."""

from __future__ import annotations

import pytest

from tray_app.api.client import AuthError, BadResponse, NetworkError, RateLimited, ServerError
from tray_app.cli.fetch import api_error_to_cli
from tray_app.config.model import AlertSettings
from tray_app.core import errors
from tray_app.core.alerts import AlertState, evaluate
from tray_app.core.state import Problem
from tray_app.windows.settings_form import describe_outcome


@pytest.mark.parametrize("problem", list(Problem))
def test_every_problem_has_a_label_a_cause_and_advice_on_one_line(problem: Problem) -> None:
    for text in (errors.LABEL[problem], errors.CAUSE[problem], errors.advice(problem)):
        assert text.strip() == text
        assert text
        assert "\n" not in text
    assert errors.one_line(problem).startswith(errors.CAUSE[problem] + "; ")


@pytest.mark.parametrize(
    ("error", "problem"),
    [
        (NetworkError("x answered too slowly"), Problem.OFFLINE),
        (ServerError("the Lensmor API had a server error (HTTP 502)", status=502), Problem.SERVER),
        (BadResponse("not JSON"), Problem.BAD_RESPONSE),
    ],
)
def test_the_cli_and_the_dialog_give_the_same_advice(error: Exception, problem: Problem) -> None:
    advice = errors.advice(problem)
    assert str(api_error_to_cli(error)).endswith(f"; {advice}")  # type: ignore[arg-type]
    assert describe_outcome(error).text.endswith(f"; {advice}")  # type: ignore[arg-type]


def test_a_rejected_key_gets_the_same_steps_in_the_cli_and_the_notification() -> None:
    cli = api_error_to_cli(AuthError("Invalid API key", status=401, error_key="INVALID_API_KEY"))
    _, alerts = evaluate(AlertState(), Problem.KEY_REJECTED, AlertSettings(), 1000.0, None)
    assert errors.NEW_KEY_STEPS in str(cli)
    assert errors.capitalised(errors.NEW_KEY_STEPS) in alerts[0].body
    waited = api_error_to_cli(RateLimited("slow down", retry_after=120))
    assert str(waited).endswith("; try again in 2 min")
