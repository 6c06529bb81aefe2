"""An account's name as people see it: the one they gave, or "Main" for the account nobody
named (the config file, and the files named after it, call that one "default", a word for
programmers). One function, so the tray menu (core/accounts_view.py) and the Settings window
(windows/accounts_form.py) call every account the same.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from tray_app.core.language import ENGLISH, N_, Language

#: The name of the account of a config without [[accounts]] (and of its key and history).
DEFAULT_ACCOUNT = "default"
#: What people see instead of DEFAULT_ACCOUNT.
MAIN_ACCOUNT = N_("Main")


def name_key(name: str) -> str:
    """What two names must not share to be different accounts: the same letters in another
    case (`Work`, `work`) or another Unicode spelling (an accented letter typed as one
    character or as a letter and an accent, full-width letters) name the same account."""
    return unicodedata.normalize("NFKC", name).casefold()


def shown_name(name: str, names: Sequence[str] = (), lang: Language = ENGLISH) -> str:
    """`name` as shown: "Main" (in `lang`) for the unnamed "default" account, unless another
    of the accounts `names` is called that. Only what is shown: plans, the config file, menu
    ids and files keep the real name."""
    if name != DEFAULT_ACCOUNT:
        return name
    main = lang.gettext(MAIN_ACCOUNT)
    taken = any(name_key(other) == name_key(main) for other in names)
    return name if taken else main
