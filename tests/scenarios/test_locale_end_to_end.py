"""The user's language end to end: the template holds every message marked in the source, and
the `status` command and the tray view speak German and French under LANG=de_DE.UTF-8 and
fr_FR.UTF-8 (a child process for the CLI, against the simulated Lensmor server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from tests.conftest import REPO, Home, run_cli
from tests.project.test_catalogs import NNBSP, ids, template
from tray_app.core.balance import parse_balance
from tray_app.core.state import MonitorState
from tray_app.core.view import present
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer
from tray_app.support.i18n import language_from_environ


def test_the_template_holds_every_message_marked_in_the_source() -> None:
    # `make catalogs` was run after the last change of a message.
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO / "tray_app"), method_map=[("**.py", "python")], keywords=keywords
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    in_template = {m if isinstance(m, str) else tuple(m) for m in ids(template())}
    assert found - in_template == set(), "run `make catalogs`: new messages"
    assert in_template - found == set(), "run `make catalogs`: messages no longer used"


@pytest.fixture
def server() -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer() as srv:
        srv.account.set_balance(
            subscriptionAmount=35000, subscriptionBalance=30000, giftAmount=50, giftBalance=50
        )
        yield srv


@pytest.mark.parametrize(
    ("lang", "lines"),
    [
        (
            "de_DE.UTF-8",
            [
                "Lensmor-Credits: 30.050 von 35.050 (86\u00a0%) - ok",
                "  Abo:        30.000 von 35.000",  # labels padded to the longest
                "  Geschenkt:  50 von 50 (geschenkte Credits verfallen nicht)",
                "  Erneuerung: ",
            ],
        ),
        (
            "fr_FR.UTF-8",
            [
                f"Crédits Lensmor\u00a0: 30{NNBSP}050 sur 35{NNBSP}050 (86\u00a0%) - ok",
                f"  Abonnement\u00a0:     30{NNBSP}000 sur 35{NNBSP}000",
                "  Offerts\u00a0:        50 sur 50 (les crédits offerts n\u2019expirent pas)",
                "  Renouvellement\u00a0: ",
            ],
        ),
    ],
)
def test_status_speaks_the_language_of_lang(
    home: Home, server: SimulatedLensmorServer, lang: str, lines: list[str]
) -> None:
    env = {"LENSMOR_BASE_URL": server.url, "LENSMOR_API_KEY": DEMO_KEY, "LANG": lang}
    result = run_cli(home, "status", env=env)
    assert result.code == 0, result.err
    out = result.out.splitlines()
    for index, line in enumerate(lines):
        assert out[index].startswith(line), (out[index], line)
    # JSON stays machine-readable in every language.
    as_json = run_cli(home, "status", "--json", env=env)
    assert '"totalBalance": 30050' in as_json.out


@pytest.mark.parametrize(
    ("lang", "tooltip", "refresh"),
    [
        ("de_DE.UTF-8", "Lensmor: 30.050 von 35.050 Credits (86\u00a0%)", "Jetzt aktualisieren"),
        (
            "fr_FR.UTF-8",
            f"Lensmor\u00a0: 30{NNBSP}050 crédits sur 35{NNBSP}050 (86\u00a0%)",
            "Actualiser maintenant",
        ),
    ],
)
def test_the_tray_view_speaks_the_language_of_lang(lang: str, tooltip: str, refresh: str) -> None:
    balance = parse_balance(
        {
            "subscriptionAmount": 35000,
            "subscriptionBalance": 30000,
            "giftAmount": 50,
            "giftBalance": 50,
            "totalAmount": 35050,
            "totalBalance": 30050,
            "resetAt": None,
        }
    )
    view = present(
        MonitorState(balance=balance, fetched_at=0.0),
        (),
        0.0,
        lang=language_from_environ({"LANG": lang}),
    )
    assert view.title == tooltip
    texts = [row.text for row in view.rows]
    assert refresh in texts
    assert not any("credits" in text for text in texts[:3]), texts


@pytest.mark.parametrize("lang", ["de_DE.UTF-8", "fr_FR.UTF-8", "es_ES.UTF-8"])
def test_translated_titles_survive_the_xorg_latin1_title(lang: str) -> None:
    # pystray's xorg backend writes titles as Latin-1 (tray/xorg_quirks.py latin1_title):
    # French digit groups use a narrow no-break space, which the fallbacks turn into a
    # Latin-1 one.
    # (Japanese cannot be written there at all; the xorg fallback is the menu-less last resort.)
    from tray_app.core.state import Problem
    from tray_app.tray.xorg_quirks import _LATIN1_FALLBACKS

    language = language_from_environ({"LANG": lang})
    balance = parse_balance(
        {
            "subscriptionAmount": 35000,
            "subscriptionBalance": 30000,
            "giftAmount": 50,
            "giftBalance": 50,
            "totalAmount": 35050,
            "totalBalance": 30050,
            "resetAt": None,
        }
    )
    states = [
        MonitorState(balance=balance, fetched_at=0.0),
        MonitorState(balance=balance, fetched_at=0.0, problem=Problem.OFFLINE, problem_since=0.0),
        MonitorState(problem=Problem.NO_KEY),
        MonitorState(problem=Problem.KEY_REJECTED),
        MonitorState(),
    ]
    for state in states:
        text = present(state, (), 0.0, lang=language).title
        for fancy, plain in _LATIN1_FALLBACKS.items():
            text = text.replace(fancy, plain)
        assert [c for c in text if ord(c) > 0xFF] == [], text
