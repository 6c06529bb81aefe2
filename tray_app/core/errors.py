"""Errors in words for people: each problem worded once, for every place that shows it (pure).

The words are marked with `N_` for the catalogs: the tray's menu, title and notifications
translate them where they use them (`lang.gettext(LABEL[p])`); `advice`, `one_line` and
`labelled` take the `lang` to write in (the CLI's one-line errors, the dialog's Test result).
Details from the client (an HTTP status, "did not answer in time") stay as given.

The CLI's one-line errors, the settings dialog's Test result, the tray menu and title, and the
notifications all word a failed request from these pieces, so one problem reads the same
everywhere (they used to word it in five places, five ways):

    LABEL    a short name, for the menu ("Cannot reach Lensmor since 14:02") and the dialog
    CAUSE    a clause for a sentence ("No balance for 2 h: the Lensmor API cannot be reached")
    advice() what to do about it ("check your connection and try again")

Details from the server or the client (an HTTP status, "did not answer in time") come in as
text; nothing here sees an exception (the client maps them to a `Problem`).
"""

from __future__ import annotations

from tray_app.core import fmt
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.core.state import Problem

#: How to get a new key: the same steps wherever a missing or rejected key is reported.
NEW_KEY_STEPS = N_("create a new key in the Lensmor app (Settings -> API Keys)")

LABEL: dict[Problem, str] = {
    Problem.NO_KEY: N_("No API key"),
    Problem.KEY_REJECTED: N_("Key rejected"),
    Problem.OFFLINE: N_("Cannot reach Lensmor"),
    Problem.SERVER: N_("Lensmor server error"),
    Problem.RATE_LIMITED: N_("Rate limited"),
    Problem.BAD_RESPONSE: N_("Unexpected answer from Lensmor"),
}

CAUSE: dict[Problem, str] = {
    Problem.NO_KEY: N_("no API key is set"),
    Problem.KEY_REJECTED: N_("the Lensmor API refused the API key"),
    Problem.OFFLINE: N_("the Lensmor API cannot be reached"),
    Problem.SERVER: N_("the Lensmor API answers with server errors"),
    Problem.RATE_LIMITED: N_("the Lensmor API keeps asking to slow down (rate limit)"),
    Problem.BAD_RESPONSE: N_("the Lensmor API sends answers that are not a balance"),
}

_ADVICE: dict[Problem, str] = {
    Problem.NO_KEY: NEW_KEY_STEPS,
    Problem.KEY_REJECTED: NEW_KEY_STEPS,
    Problem.OFFLINE: N_("check your connection and try again"),
    Problem.SERVER: N_("try again later"),
    Problem.RATE_LIMITED: N_("try again later"),
    Problem.BAD_RESPONSE: N_("if it persists, report it to Lensmor support"),
}


def advice(problem: Problem, retry_after: float | None = None, lang: Language = ENGLISH) -> str:
    """What the person can do, as a clause ("try again in 2 min")."""
    if problem is Problem.RATE_LIMITED and retry_after is not None:
        return lang.gettext("try again in {duration}").format(
            duration=fmt.duration(retry_after, lang)
        )
    return lang.gettext(_ADVICE[problem])


def one_line(
    problem: Problem,
    detail: str | None = None,
    retry_after: float | None = None,
    lang: Language = ENGLISH,
) -> str:
    """ "<what happened>; <what to do>": the detail when there is one, else the cause."""
    return lang.gettext("{what}; {advice}").format(
        what=detail or lang.gettext(CAUSE[problem]), advice=advice(problem, retry_after, lang)
    )


def labelled(
    problem: Problem,
    detail: str | None = None,
    retry_after: float | None = None,
    lang: Language = ENGLISH,
) -> str:
    """ "<label>: <detail>; <what to do>" (the dialog's Test result)."""
    _ = lang.gettext
    what = advice(problem, retry_after, lang)
    if detail:
        return _("{label}: {detail}; {advice}").format(
            label=_(LABEL[problem]), detail=detail, advice=what
        )
    return _("{what}; {advice}").format(what=_(LABEL[problem]), advice=what)


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
