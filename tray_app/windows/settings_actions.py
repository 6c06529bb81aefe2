"""The Settings window's Test and Save buttons' work (I/O, no display): both block (network,
keyring, disk), so the window calls them from a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app.config.config_file import apply_edits, save_settings, update_config
from tray_app.config.model import ConfigError, Settings
from tray_app.core.language import ENGLISH, Language
from tray_app.keys.key_store import InvalidKey, KeyStore, KeyStoreFailed, StoredKey
from tray_app.support import file_problems

if TYPE_CHECKING:
    pass
from tray_app.windows.settings_form import ENV_OVERRIDE_NOTE, Outcome, describe_outcome, sentence


def check_key(base_url: str, key: str, lang: Language = ENGLISH) -> Outcome:
    """One balance request with `key` (blocking: call it from a worker thread)."""
    # Imported here, not at the top: requests takes a noticeable share of the window's
    # start-up, and most visits to Settings never press Test.
    from tray_app.api.client import ApiError, LensmorClient

    try:
        client = LensmorClient(base_url, key)
    except ConfigError as exc:
        return describe_outcome(exc, lang)
    try:
        return describe_outcome(client.fetch_balance(), lang)
    except ApiError as exc:
        return describe_outcome(exc, lang)
    finally:
        client.close()


@dataclass(frozen=True)
class SaveOutcome:
    """`saved`: the config was written (the tray should reload). `error`: shown, not closed."""

    saved: bool
    error: str | None = None
    warnings: tuple[str, ...] = ()
    stored: StoredKey | None = None  # where a newly typed key went


def save_form(
    config_file: Path,
    settings: Settings,
    key: str | None,
    store: KeyStore,
    *,
    shown: Settings | None = None,
    lang: Language = ENGLISH,
) -> SaveOutcome:
    """Write the settings, then the key if one was typed (blocking: may wait on a keyring).

    `shown`: the settings the window showed. Then only what the user changed there is
    written, onto the config as it is on disk now (config_file.update_config): an account
    the CLI added while the window was open, or a badge pinned from the tray, stays.
    The settings go first: a config file that does not parse is never replaced, and when
    it is not, nothing else is changed either. What went wrong is worded in `lang`.
    """
    _ = lang.gettext
    try:
        if shown is None:
            save_settings(config_file, settings)
        else:
            update_config(config_file, lambda current: apply_edits(current, shown, settings))
    except ConfigError as exc:
        return SaveOutcome(False, _("Not saved: {reason}").format(reason=exc.text(lang)))
    except OSError as exc:
        return SaveOutcome(
            False,
            _("Not saved: cannot write {file}: {reason}").format(
                file=config_file, reason=file_problems.reason(exc, lang)
            ),
        )
    if key is None:
        return SaveOutcome(True)
    try:
        stored = store.save(key)
    except (OSError, InvalidKey) as exc:
        # InvalidKey and KeyStoreFailed are worded whole by keys/key_store.py.
        if isinstance(exc, InvalidKey | KeyStoreFailed):
            reason = exc.text(lang)
        else:
            reason = file_problems.reason(exc, lang)
        return SaveOutcome(
            True,
            _("Settings saved, but the key could not be stored: {reason}").format(reason=reason),
        )
    warnings = [warning.text(lang) for warning in store.warnings]
    if store.environment_overrides:
        warnings.append(_(ENV_OVERRIDE_NOTE))
    return SaveOutcome(True, None, tuple(sentence(w) for w in warnings), stored)
