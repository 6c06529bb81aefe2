"""The Settings… window: API key, alert thresholds, poll interval, notifications.

It runs as its own process (`python -m tray_app.ui.settings_dialog --config PATH`, also wired
as `lensmor-tray settings`) so tkinter never competes with the tray's main loop. Exit codes,
which the tray reads to decide whether to reload the config and the key:

    0  saved (the tray reloads)      1  cancelled, nothing written
    2  nothing could be edited: the config file is broken (it is never overwritten), or there
       is no display / no tkinter

The module has two halves. The top half is pure and needs no display: `parse_form` turns the
strings in the form into a `Settings` plus an optional new key, or into one message per bad
field; `describe_outcome` words a Test result; `check_key` and `save_form` do the I/O of the
Test and Save buttons. The bottom half, `SettingsDialog`, is a thin tkinter (ttk) view over them.

Threads: everything that can block (the keyring read at start, the Test request, the keyring
write on Save) runs in a daemon worker; its result is queued and picked up on the Tk thread by
an `after` poll, because Tk may only be touched from the thread that created it.

The key is never printed, logged, put on a command line or into an environment: the window
shows it masked (`fmt.mask_key`) unless the user ticks "Show". With
LENSMOR_TRAY_DIALOG_ECHO=1 the window prints each status change as one `kind: text` line on
stdout for the desktop tests; those texts never contain the key either.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import decimal
import enum
import os
import queue
import re
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from tray_app.core import errors, fmt
from tray_app.core.badge import BadgeStyle
from tray_app.core.levels import Threshold
from tray_app.secrets import InvalidKey, KeySource, KeyStore, StoredKey, normalise_key
from tray_app.settings import (
    DASHBOARD_URL,
    MIN_POLL_INTERVAL_S,
    AppPaths,
    ConfigError,
    Settings,
    effective_base_url,
    load_settings,
    parse_badge_style,
    save_settings,
)

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk

    from tray_app.api import ApiError, BalanceResponse

T = TypeVar("T")

EXIT_SAVED = 0
EXIT_CANCELLED = 1
EXIT_CANNOT_EDIT = 2

TITLE = "Lensmor tray — Settings"
ECHO_ENV = "LENSMOR_TRAY_DIALOG_ECHO"
# A day: polling less often than that is not monitoring any more, and a typo such as 30000
# instead of 300 should be caught here rather than silently silence the tray.
MAX_POLL_INTERVAL_S = 86_400
KEY_HELP = "Create a key in the Lensmor app: Settings → API Keys"
ENV_OVERRIDE_NOTE = (
    "LENSMOR_API_KEY is set in the environment and overrides the stored key; "
    "a key saved here is used once that variable is unset."
)
THRESHOLDS_HINT = "Percent of your allowance, or credits: e.g. 20%, 5% or 1000"

# "1,000" is one thousand credits, not the thresholds 1 and 000: a comma between a digit and
# exactly three digits is a thousands separator (the app itself writes 30,050).
_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# What a threshold looks like, so that "abc" gets a short message of our own; the numbers are
# still checked by Threshold.parse.
_THRESHOLD_SHAPE = re.compile(r"^\d+(?:\.\d+)?\s*%?$")


# -- the form, pure ------------------------------------------------------------------------


class FormField(str, enum.Enum):
    """The fields that can carry an error message."""

    KEY = "key"
    THRESHOLDS = "thresholds"
    POLL_INTERVAL = "poll_interval"
    BADGE_STYLE = "badge_style"


@dataclass(frozen=True)
class FormFields:
    """The form as the user left it: the raw strings of each input."""

    key: str = dataclasses.field(default="", repr=False)
    thresholds: str = ""
    poll_interval: str = ""
    notifications: bool = True
    badge_style: str = BadgeStyle.NUMBER.value


class FormResult(NamedTuple):
    """`settings` is None exactly when `errors` is not empty. `key` is None: keep the stored one."""

    settings: Settings | None
    key: str | None
    errors: dict[FormField, str]


def format_thresholds(thresholds: Sequence[Threshold]) -> str:
    """(20%, 5%, 1000 credits) -> "20%, 5%, 1000" (credits without separators: unambiguous)."""
    parts = []
    for threshold in thresholds:
        value = threshold.value
        number = _plain_number(value)
        parts.append(f"{number}%" if threshold.is_percent else number)
    return ", ".join(parts)


def _plain_number(value: float) -> str:
    """All the digits, never an exponent: 1234567.5 -> "1234567.5" (`:g` gave "1.23457e+06",
    then refused, and rounded 123456.5 to "123456", then saved). repr() is the shortest text
    that reads back as the same float; Decimal writes it out positionally."""
    if float(value).is_integer():
        return str(int(value))
    return format(decimal.Decimal(repr(float(value))), "f")


def fields_from_settings(settings: Settings) -> FormFields:
    """The form prefilled from `settings`; the key field always starts empty."""
    return FormFields(
        key="",
        thresholds=format_thresholds(settings.alerts.thresholds),
        poll_interval=str(settings.poll_interval),
        notifications=settings.alerts.notifications,
        badge_style=settings.badge_style.value,
    )


def parse_thresholds(text: str) -> tuple[tuple[Threshold, ...], str | None]:
    """ "20%, 5%" -> the thresholds, or () and a one-line message saying what is wrong."""
    parts = [part.strip() for part in _THOUSANDS_COMMA.sub("", text).split(",")]
    found: list[Threshold] = []
    for part in parts:
        if not part:
            continue  # "20%, 5%," and "20%,, 5%" are harmless slips
        if not _THRESHOLD_SHAPE.match(part):
            return (), f"{part!r} is not a percentage (20%) or credits (500)"
        try:
            threshold = Threshold.parse(part)
        except ValueError as exc:  # the right shape but out of range, e.g. 150%
            return (), _sentence(str(exc))
        if threshold not in found:
            found.append(threshold)
    if not found:
        return (), "Enter at least one threshold, e.g. 20%, 5%"
    return tuple(found), None


def parse_poll_interval(text: str) -> tuple[int, str | None]:
    """ "300" -> 300, or 0 and a message naming the allowed range."""
    value = text.strip()
    if not value:
        return 0, f"Enter the interval in seconds (at least {MIN_POLL_INTERVAL_S})"
    try:
        seconds = int(value)
    except ValueError:
        return 0, f"{value!r} is not a whole number of seconds"
    if seconds < MIN_POLL_INTERVAL_S:
        return 0, f"The interval must be at least {MIN_POLL_INTERVAL_S} seconds (not {seconds})"
    if seconds > MAX_POLL_INTERVAL_S:
        return 0, f"The interval must be at most {MAX_POLL_INTERVAL_S} seconds (one day)"
    return seconds, None


def parse_key(text: str) -> tuple[str | None, str | None]:
    """An empty field keeps the stored key (None); otherwise the cleaned key or a message."""
    if not text.strip():
        return None, None
    try:
        return normalise_key(text), None
    except InvalidKey as exc:
        return None, _sentence(str(exc))


def parse_form(fields: FormFields, base: Settings | None = None) -> FormResult:
    """Validate every field; settings not on the form (base_url, ...) are kept from `base`."""
    errors: dict[FormField, str] = {}
    key, key_error = parse_key(fields.key)
    if key_error:
        errors[FormField.KEY] = key_error
    thresholds, thresholds_error = parse_thresholds(fields.thresholds)
    if thresholds_error:
        errors[FormField.THRESHOLDS] = thresholds_error
    interval, interval_error = parse_poll_interval(fields.poll_interval)
    if interval_error:
        errors[FormField.POLL_INTERVAL] = interval_error
    try:
        badge_style = parse_badge_style(fields.badge_style, "Badge style")
    except ConfigError as exc:
        errors[FormField.BADGE_STYLE] = str(exc)
    if errors:
        return FormResult(None, None, errors)
    base = base or Settings()
    settings = dataclasses.replace(
        base,
        poll_interval=interval,
        badge_style=badge_style,
        alerts=dataclasses.replace(
            base.alerts, thresholds=thresholds, notifications=fields.notifications
        ),
    )
    return FormResult(settings, key, {})


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def key_hint(stored: StoredKey | None) -> str:
    """The line under the key field: which key is in use now, masked, and where it lives."""
    if stored is None:
        return "No key is stored yet: paste one above."
    where = {
        KeySource.ENVIRONMENT: "from LENSMOR_API_KEY",
        KeySource.KEYRING: "in the OS keyring",
        KeySource.FILE: f"in {stored.location}",
    }[stored.source]
    return f"Current key: {stored.masked} ({where}). Leave the field empty to keep it."


# -- the Test and Save buttons' work (I/O, no display) --------------------------------------


class Outcome(NamedTuple):
    ok: bool
    text: str


def describe_outcome(result: BalanceResponse | ApiError | ConfigError) -> Outcome:
    """A Test result in words, one line."""
    from tray_app.api import BalanceResponse

    if isinstance(result, BalanceResponse):
        balance = result.balance
        return Outcome(
            True,
            f"OK: {fmt.credits(balance.total_balance)} of "
            f"{fmt.credits(balance.total_amount)} credits",
        )
    return Outcome(False, _error_text(result))


def _error_text(error: ApiError | ConfigError) -> str:
    from tray_app.api import ApiError, AuthError, RateLimited, ServerError, problem_of

    if not isinstance(error, ApiError):
        return _sentence(str(error))
    problem = problem_of(error)
    if isinstance(error, AuthError):
        # Here the key was just typed: checking it is the first thing to do.
        return f"{errors.LABEL[problem]} — check it and try again"
    if isinstance(error, RateLimited):
        return errors.labelled(problem, None, error.retry_after)
    if isinstance(error, ServerError):
        return errors.labelled(problem, f"HTTP {error.status}")
    return errors.labelled(problem, str(error))


def check_key(base_url: str, key: str) -> Outcome:
    """One balance request with `key` (blocking: call it from a worker thread)."""
    # Imported here, not at the top: requests takes a noticeable share of the window's
    # start-up, and most visits to Settings never press Test.
    from tray_app.api import ApiError, LensmorClient

    try:
        client = LensmorClient(base_url, key)
    except ConfigError as exc:
        return describe_outcome(exc)
    try:
        return describe_outcome(client.fetch_balance())
    except ApiError as exc:
        return describe_outcome(exc)
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
    config_file: Path, settings: Settings, key: str | None, store: KeyStore
) -> SaveOutcome:
    """Write the settings, then the key if one was typed (blocking: may wait on a keyring).

    The settings go first: `save_settings` refuses to replace a config file it cannot parse,
    and when it does, nothing else is changed either.
    """
    try:
        save_settings(config_file, settings)
    except ConfigError as exc:
        return SaveOutcome(False, f"Not saved: {exc}")
    except OSError as exc:
        return SaveOutcome(False, f"Not saved: cannot write {config_file}: {exc.strerror}")
    if key is None:
        return SaveOutcome(True)
    try:
        stored = store.save(key)
    except (OSError, InvalidKey) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return SaveOutcome(True, f"Settings saved, but the key could not be stored: {reason}")
    warnings = list(store.warnings)
    if store.environment_overrides:
        warnings.append(ENV_OVERRIDE_NOTE)
    return SaveOutcome(True, None, tuple(_sentence(w) for w in warnings), stored)


# -- the window ------------------------------------------------------------------------------

ERROR_COLOUR = "#b3261e"
OK_COLOUR = "#1e7b34"
HINT_COLOUR = "#5f6368"
LINK_COLOUR = "#1a5fb4"
BANNER_BACKGROUND = "#fce8e6"
WARN_COLOUR = "#8a5300"
BANNER_PADDING = 8
WRAP = 440  # pixels; long messages wrap instead of widening the window
POLL_MS = 40  # how often the Tk thread looks for finished background work


class SettingsDialog:
    """The window. Build it on a fresh `tk.Tk`, run `root.mainloop()`, then read `exit_code`."""

    def __init__(
        self, root: tk.Tk, paths: AppPaths, environ: Mapping[str, str], *, echo: bool = False
    ) -> None:
        self.root = root
        self.paths = paths
        self.environ = environ
        self.echo = echo
        self.exit_code = EXIT_CANCELLED
        self._saved = False
        self._saving = False
        self._testing = False
        self._stored: StoredKey | None = None
        self._stored_loaded = False
        self._results: queue.Queue[Callable[[], None]] = queue.Queue()
        self._pending = 0
        self._ready = False
        self._echoed: dict[str, str] = {}
        self._env_overrides = KeyStore(paths.key_file, environ=environ).environment_overrides
        self._focusable: dict[str, ttk.Widget] = {}
        self._inputs: list[ttk.Widget] = []
        self._errors: dict[FormField, tuple[ttk.Label, ttk.Widget]] = {}
        try:
            self.settings: Settings | None = load_settings(paths.config_file)
            self.config_error: str | None = None
        except ConfigError as exc:
            self.settings = None
            self.config_error = str(exc)
            self.exit_code = EXIT_CANNOT_EDIT
        self._build()
        self._in_background(self._load_key, self._on_key_loaded, "keyring-read")

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        from tkinter import ttk

        root = self.root
        root.title(TITLE)
        root.resizable(False, False)
        self._style(root)

        outer = ttk.Frame(root, padding=16)
        outer.grid(sticky="nsew")
        outer.columnconfigure(0, weight=1)
        if self.config_error:
            banner = ttk.Label(
                outer,
                text=f"The config file cannot be used, so nothing will be saved.\n\n"
                f"{_sentence(self.config_error)}",
                style="Banner.TLabel",
                wraplength=WRAP,
            )
            banner.grid(row=0, column=0, sticky="ew", pady=(0, 12))
            self._wrap_to_width(banner, padding=BANNER_PADDING)
            self._say("config-error", self.config_error)
        # Creation order is the Tab order: key, Show, Test, thresholds, interval,
        # notifications, badge style, Cancel, Save.
        self._build_key_box(outer, row=1)
        self._build_alerts_box(outer, row=2)
        self._build_buttons(outer, row=3)

        if self.config_error:
            self.save_button.state(["disabled"])
            self.test_button.state(["disabled"])
        if self.echo:
            # Focus changes are the tests' sync points ("Tab reached the thresholds field").
            for name, widget in self._focusable.items():
                widget.bind("<FocusIn>", self._focus_echo(name))
        root.bind("<Return>", self._on_return)
        root.bind("<KP_Enter>", self._on_return)
        root.bind("<Escape>", lambda _event: self.close())
        root.protocol("WM_DELETE_WINDOW", self.close)
        root.bind("<Map>", self._on_map)
        self._set_icon(root)
        self._place(root)

    def _build_key_box(self, outer: ttk.Frame, row: int) -> None:
        import tkinter as tk
        from tkinter import font as tkfont
        from tkinter import ttk

        box = ttk.LabelFrame(outer, text="API key", padding=(12, 8))
        box.grid(row=row, column=0, sticky="ew")
        box.columnconfigure(0, weight=1)

        self.key_var = tk.StringVar(self.root)
        self.key_entry = ttk.Entry(box, textvariable=self.key_var, show="•", width=42)
        self.key_entry.grid(row=0, column=0, sticky="ew")
        self.show_var = tk.BooleanVar(self.root, value=False)
        show = ttk.Checkbutton(box, text="Show", variable=self.show_var, command=self._toggle_show)
        show.grid(row=0, column=1, padx=(8, 0))
        self.key_error = self._error_label(box, row=1)
        self.key_hint = ttk.Label(
            box, text="Current key: checking…", style="Hint.TLabel", wraplength=WRAP
        )
        self.key_hint.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(4, 0))
        self._wrap_to_width(self.key_hint)
        if self._env_overrides:
            note = ttk.Label(box, text=ENV_OVERRIDE_NOTE, style="Warn.TLabel", wraplength=WRAP)
            note.grid(row=3, column=0, columnspan=2, sticky="ew", pady=(4, 0))
            self._wrap_to_width(note)
            self._say("key-note", ENV_OVERRIDE_NOTE)

        test_row = ttk.Frame(box)
        test_row.grid(row=4, column=0, columnspan=2, sticky="ew", pady=(8, 0))
        test_row.columnconfigure(1, weight=1)
        self.test_button = ttk.Button(test_row, text="Test", command=self._test)
        self.test_button.grid(row=0, column=0, sticky="w")
        self.test_result = ttk.Label(test_row, text="", wraplength=WRAP - 90)
        self.test_result.grid(row=0, column=1, sticky="ew", padx=(10, 0))
        self._wrap_to_width(self.test_result)

        link_font = tkfont.nametofont("TkDefaultFont").copy()
        link_font.configure(underline=True)
        self._link_font = link_font  # keep a reference: Tk forgets fonts Python drops
        link = ttk.Label(box, text=KEY_HELP, style="Link.TLabel", cursor="hand2", font=link_font)
        link.grid(row=5, column=0, columnspan=2, sticky="w", pady=(8, 0))
        link.bind("<Button-1>", lambda _event: self._open_dashboard())

        self._focusable["key"] = self.key_entry
        self._focusable["show"] = show
        self._focusable["test"] = self.test_button
        self._inputs += [self.key_entry, show]

    def _build_alerts_box(self, outer: ttk.Frame, row: int) -> None:
        import tkinter as tk
        from tkinter import ttk

        box = ttk.LabelFrame(outer, text="Alerts and polling", padding=(12, 8))
        box.grid(row=row, column=0, sticky="ew", pady=(12, 0))
        box.columnconfigure(1, weight=1)
        fields = fields_from_settings(self.settings or Settings())

        ttk.Label(box, text="Warn below:").grid(row=0, column=0, sticky="w", padx=(0, 8))
        self.thresholds_var = tk.StringVar(self.root, value=fields.thresholds)
        self.thresholds_entry = ttk.Entry(box, textvariable=self.thresholds_var, width=24)
        self.thresholds_entry.grid(row=0, column=1, sticky="ew")
        ttk.Label(box, text=THRESHOLDS_HINT, style="Hint.TLabel").grid(
            row=1, column=1, sticky="w", pady=(2, 0)
        )
        self.thresholds_error = self._error_label(box, row=2, column=1)

        ttk.Label(box, text="Check every:").grid(
            row=3, column=0, sticky="w", padx=(0, 8), pady=(8, 0)
        )
        interval_row = ttk.Frame(box)
        interval_row.grid(row=3, column=1, sticky="w", pady=(8, 0))
        self.interval_var = tk.StringVar(self.root, value=fields.poll_interval)
        self.interval_spin = ttk.Spinbox(
            interval_row,
            textvariable=self.interval_var,
            from_=MIN_POLL_INTERVAL_S,
            to=MAX_POLL_INTERVAL_S,
            increment=30,
            width=8,
        )
        self.interval_spin.grid(row=0, column=0)
        ttk.Label(
            interval_row, text=f"seconds (at least {MIN_POLL_INTERVAL_S})", style="Hint.TLabel"
        ).grid(row=0, column=1, padx=(6, 0))
        self.interval_error = self._error_label(box, row=4, column=1)

        self.notify_var = tk.BooleanVar(self.root, value=fields.notifications)
        notify = ttk.Checkbutton(box, text="Show desktop notifications", variable=self.notify_var)
        notify.grid(row=5, column=0, columnspan=2, sticky="w", pady=(8, 0))

        # Read-only: only the four styles can be chosen; arrow keys change it, Tab moves on.
        ttk.Label(box, text="Tray badge:").grid(
            row=6, column=0, sticky="w", padx=(0, 8), pady=(8, 0)
        )
        self.badge_style_var = tk.StringVar(self.root, value=fields.badge_style)
        self.badge_style_box = ttk.Combobox(
            box,
            textvariable=self.badge_style_var,
            values=[style.value for style in BadgeStyle],
            state="readonly",
            width=12,
        )
        self.badge_style_box.grid(row=6, column=1, sticky="w", pady=(8, 0))
        self.badge_style_error = self._error_label(box, row=7, column=1)

        self._focusable["thresholds"] = self.thresholds_entry
        self._focusable["poll_interval"] = self.interval_spin
        self._focusable["notifications"] = notify
        self._focusable["badge_style"] = self.badge_style_box
        self._inputs += [self.thresholds_entry, self.interval_spin, notify, self.badge_style_box]
        self._errors = {
            FormField.KEY: (self.key_error, self.key_entry),
            FormField.THRESHOLDS: (self.thresholds_error, self.thresholds_entry),
            FormField.POLL_INTERVAL: (self.interval_error, self.interval_spin),
            FormField.BADGE_STYLE: (self.badge_style_error, self.badge_style_box),
        }

    def _build_buttons(self, outer: ttk.Frame, row: int) -> None:
        from tkinter import ttk

        self.status = ttk.Label(outer, text="", wraplength=WRAP)
        self.status.grid(row=row, column=0, sticky="ew", pady=(10, 0))
        self._wrap_to_width(self.status)
        self.status.grid_remove()
        buttons = ttk.Frame(outer)
        buttons.grid(row=row + 1, column=0, sticky="e", pady=(12, 0))
        self.cancel_button = ttk.Button(buttons, text="Cancel", command=self.close)
        self.cancel_button.grid(row=0, column=0, padx=(0, 8))
        self.save_button = ttk.Button(buttons, text="Save", command=self.save, default="active")
        self.save_button.grid(row=0, column=1)
        self._focusable["cancel"] = self.cancel_button
        self._focusable["save"] = self.save_button

    def _focus_echo(self, name: str) -> Callable[[tk.Event[tk.Misc]], None]:
        def echo(_event: tk.Event[tk.Misc]) -> None:
            self._say("focus", name, force=True)

        return echo

    def _style(self, root: tk.Tk) -> None:
        from tkinter import ttk

        style = ttk.Style(root)
        # The X11 "default" theme looks like 1995; "clam" is the tidy built-in one. Windows and
        # macOS keep their native themes.
        if root.tk.call("tk", "windowingsystem") == "x11" and "clam" in style.theme_names():
            style.theme_use("clam")
        style.configure("Error.TLabel", foreground=ERROR_COLOUR)
        style.configure("Ok.TLabel", foreground=OK_COLOUR)
        style.configure("Hint.TLabel", foreground=HINT_COLOUR)
        style.configure("Warn.TLabel", foreground=WARN_COLOUR)
        style.configure("Link.TLabel", foreground=LINK_COLOUR)
        style.configure(
            "Banner.TLabel",
            foreground=ERROR_COLOUR,
            background=BANNER_BACKGROUND,
            padding=BANNER_PADDING,
        )

    def _error_label(self, parent: tk.Misc, *, row: int, column: int = 0) -> ttk.Label:
        from tkinter import ttk

        label = ttk.Label(parent, text="", style="Error.TLabel", wraplength=WRAP)
        label.grid(row=row, column=column, columnspan=2, sticky="ew", pady=(2, 0))
        self._wrap_to_width(label)
        label.grid_remove()  # takes no room until there is something to say
        return label

    @staticmethod
    def _wrap_to_width(label: ttk.Label, padding: int = 0) -> None:
        """Wrap `label` at whatever width its grid cell (sticky "ew") gives it.

        `width=1` makes the label ask for almost no width, so a long message never widens the
        window (and never starts a loop of wrap, shrink, unwrap, grow); the other widgets set
        the width and the label takes the whole row, growing downwards only.
        """

        def fit(event: tk.Event[ttk.Label]) -> None:
            # A small margin: Tk measures a wrapped line a few pixels short of what it draws.
            width = max(event.width - 8 - 2 * padding, 40)
            if int(str(label.cget("wraplength")) or 0) != width:
                label.configure(wraplength=width)

        label.configure(width=1)
        label.bind("<Configure>", fit, add=True)

    @staticmethod
    def _set_icon(root: tk.Tk) -> None:
        import tkinter as tk

        from tray_app import resources

        # A small bundled rendering: decoding the 1024 px master costs a tenth of a second of
        # start-up for a 32 px title-bar icon.
        path = resources.find_app_icon(128)
        if path is not None:
            try:
                icon = tk.PhotoImage(master=root, data=path.read_bytes())
            except (OSError, tk.TclError):
                return  # a missing icon is cosmetic
            if icon.width() > 256:
                icon = icon.subsample(icon.width() // 128)
            root.iconphoto(True, icon)
            root._lensmor_icon = icon  # type: ignore[attr-defined]  # Tk needs it kept alive

    @staticmethod
    def _place(root: tk.Tk) -> None:
        # Centre horizontally, a third down: where a window manager would put a dialog, and
        # a sensible spot on a bare X server that has none.
        root.update_idletasks()
        width, height = root.winfo_reqwidth(), root.winfo_reqheight()
        x = max(0, (root.winfo_screenwidth() - width) // 2)
        y = max(0, (root.winfo_screenheight() - height) // 3)
        root.geometry(f"+{x}+{y}")

    def _on_map(self, event: tk.Event[tk.Misc]) -> None:
        if self._ready or event.widget is not self.root:
            return
        self._ready = True
        # focus_force also works without a window manager (bare X in tests, some kiosks).
        self.root.focus_force()
        self.key_entry.focus_set()
        self.root.after_idle(self._announce_ready)

    def _announce_ready(self) -> None:
        root = self.root
        # The X window of the toplevel (its frame), so tests can find and photograph it.
        self._say("ready", f"window {int(root.wm_frame(), 16)}", force=True)

    # -- showing things ----------------------------------------------------------------------

    def _say(self, kind: str, text: str, *, force: bool = False) -> None:
        """Echo a status change on stdout for tests (LENSMOR_TRAY_DIALOG_ECHO=1). Never the key."""
        if not self.echo or (not force and self._echoed.get(kind) == text):
            return
        self._echoed[kind] = text
        print(f"{kind}: {text}", flush=True)

    def _show(self, label: ttk.Label, text: str, style: str = "TLabel", kind: str = "") -> None:
        label.configure(text=text, style=style)
        if text:
            label.grid()
        else:
            label.grid_remove()
        if kind:
            self._say(kind, text)

    def _show_errors(self, errors: Mapping[FormField, str]) -> None:
        """Mark every field: its message in red under it, or nothing. Focus the first bad one."""
        for field in FormField:
            self._show_field_error(field, errors.get(field, ""))
        first = next((f for f in FormField if f in errors), None)
        if first is not None:
            self._errors[first][1].focus_set()

    def _show_field_error(self, field: FormField, message: str) -> None:
        self._show(self._errors[field][0], message, "Error.TLabel")
        if message:
            self._say(f"error {field.value}", message, force=True)

    def _set_status(self, text: str, style: str = "TLabel") -> None:
        self._show(self.status, text, style, kind="status")

    def _toggle_show(self) -> None:
        self.key_entry.configure(show="" if self.show_var.get() else "•")

    def _open_dashboard(self) -> None:
        try:
            webbrowser.open(DASHBOARD_URL)
        except webbrowser.Error:
            self._set_status(f"Open {DASHBOARD_URL} in your browser", "Hint.TLabel")

    # -- background work ---------------------------------------------------------------------

    def _in_background(self, work: Callable[[], T], done: Callable[[T], None], name: str) -> None:
        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - reported in the window, not lost
                message = f"Something went wrong: {type(exc).__name__}: {exc}"
                self._results.put(lambda: self._worker_failed(message))
            else:
                self._results.put(lambda: done(result))

        self._pending += 1
        threading.Thread(target=run, name=name, daemon=True).start()
        if self._pending == 1:
            self.root.after(POLL_MS, self._drain)

    def _drain(self) -> None:
        while True:
            try:
                report = self._results.get_nowait()
            except queue.Empty:
                break
            self._pending -= 1
            report()
        if self._pending > 0:
            self.root.after(POLL_MS, self._drain)

    def _worker_failed(self, message: str) -> None:
        # Unexpected, but the window must stay usable: Save/Test can be retried, Cancel works.
        self._saving = self._testing = False
        if not self._saved and self.settings is not None:
            for button in (self.save_button, self.cancel_button, self.test_button):
                button.state(["!disabled"])
        self._stored_loaded = True
        self._set_status(message, "Error.TLabel")

    def _load_key(self) -> tuple[StoredKey | None, list[str]]:
        # Its own KeyStore: a Save running at the same time must not share the warnings list.
        store = KeyStore(self.paths.key_file, environ=self.environ)
        stored = store.load()
        return stored, list(store.warnings)

    def _on_key_loaded(self, loaded: tuple[StoredKey | None, list[str]]) -> None:
        stored, warnings = loaded
        self._stored = stored
        self._stored_loaded = True
        self._show(self.key_hint, key_hint(stored), "Hint.TLabel", kind="key-hint")
        if warnings and not self.status.cget("text"):
            self._set_status(_sentence(warnings[0]), "Warn.TLabel")

    # -- Test --------------------------------------------------------------------------------

    def _test(self) -> None:
        if self._testing or self.settings is None:
            return
        key, error = parse_key(self.key_var.get())
        self._show_field_error(FormField.KEY, error or "")
        if error:
            return
        if key is None:
            if not self._stored_loaded:
                self._show(self.test_result, "Still reading the stored key…", "Hint.TLabel", "test")
                return
            if self._stored is None:
                self._show(self.test_result, "Type a key first", "Error.TLabel", "test")
                self.key_entry.focus_set()
                return
            key = self._stored.value
        try:
            base_url = effective_base_url(self.settings, self.environ)
        except ConfigError as exc:
            self._show(self.test_result, str(exc), "Error.TLabel", "test")
            return
        self._testing = True
        self.test_button.state(["disabled"])
        self._show(self.test_result, "Testing…", "Hint.TLabel", "test")
        self._in_background(lambda: check_key(base_url, key), self._on_tested, "key-test")

    def _on_tested(self, outcome: Outcome) -> None:
        self._testing = False
        if not self._saved:
            self.test_button.state(["!disabled"])
        style = "Ok.TLabel" if outcome.ok else "Error.TLabel"
        self._show(self.test_result, outcome.text, style, "test")

    # -- Save and close ----------------------------------------------------------------------

    def form_fields(self) -> FormFields:
        return FormFields(
            key=self.key_var.get(),
            thresholds=self.thresholds_var.get(),
            poll_interval=self.interval_var.get(),
            notifications=bool(self.notify_var.get()),
            badge_style=self.badge_style_var.get(),
        )

    def save(self) -> None:
        if self._saved:
            self.close()
            return
        if self.settings is None:
            self._set_status(
                "Nothing can be saved until the config file is fixed (see above)", "Error.TLabel"
            )
            return
        if self._saving:
            return
        result = parse_form(self.form_fields(), self.settings)
        self._show_errors(result.errors)
        if result.settings is None:
            self._set_status("Not saved: correct the fields marked in red", "Error.TLabel")
            return
        settings, key = result.settings, result.key
        self._saving = True
        self.save_button.state(["disabled"])
        self.cancel_button.state(["disabled"])
        self._set_status("Saving…", "Hint.TLabel")
        store = KeyStore(self.paths.key_file, environ=self.environ)
        self._in_background(
            lambda: save_form(self.paths.config_file, settings, key, store),
            self._on_saved,
            "save",
        )

    def _on_saved(self, outcome: SaveOutcome) -> None:
        self._saving = False
        self._saved = outcome.saved
        if outcome.saved:
            self.exit_code = EXIT_SAVED
        if outcome.stored is not None and not self._env_overrides:
            self._stored = outcome.stored
            self._show(self.key_hint, key_hint(outcome.stored), "Hint.TLabel", kind="key-hint")
        if outcome.saved and not outcome.error and not outcome.warnings:
            self._say("saved", "settings saved", force=True)
            self.close()
            return
        if not outcome.saved:
            # Keep everything the user typed; they can fix the file and press Save again.
            self.save_button.state(["!disabled"])
            self.cancel_button.state(["!disabled"])
            self._set_status(outcome.error or "Not saved", "Error.TLabel")
            return
        # Saved, with something the user should read before the window goes away.
        message = "\n".join(filter(None, [outcome.error, *outcome.warnings]))
        self._say("saved", "settings saved", force=True)
        self._set_status("Saved. " + message, "Error.TLabel" if outcome.error else "Warn.TLabel")
        for widget in [*self._inputs, self.test_button, self.cancel_button]:
            widget.state(["disabled"])
        self.save_button.configure(text="Close")
        self.save_button.state(["!disabled"])
        self.save_button.focus_set()

    def close(self) -> None:
        if self._saving:
            return  # a half-done save would leave the key and the config out of step
        self._say("exit", str(self.exit_code), force=True)
        self.root.destroy()

    def _on_return(self, event: tk.Event[tk.Misc]) -> str:
        from tkinter import ttk

        # Return on a focused button presses that button (Test, Cancel); anywhere else: Save.
        if isinstance(event.widget, ttk.Button):
            if event.widget.instate(["!disabled"]):
                event.widget.invoke()
        else:
            self.save()
        return "break"


# -- entry points ----------------------------------------------------------------------------


def run_dialog(paths: AppPaths, environ: Mapping[str, str]) -> int:
    """Show the window until it is closed. 0 saved, 1 cancelled, 2 cannot edit (see module)."""
    try:
        import tkinter as tk
    except ImportError:
        print(
            "lensmor-tray: the Settings window needs tkinter (on Debian/Ubuntu: "
            "apt install python3-tk); use `lensmor-tray key set` and edit the config file "
            f"{paths.config_file} instead",
            file=sys.stderr,
        )
        return EXIT_CANNOT_EDIT
    try:
        root = tk.Tk(className="lensmor-tray")
    except tk.TclError as exc:
        print(f"lensmor-tray: cannot open the Settings window: {exc}", file=sys.stderr)
        return EXIT_CANNOT_EDIT
    echo = environ.get(ECHO_ENV, "") not in ("", "0")
    dialog = SettingsDialog(root, paths, environ, echo=echo)
    # Ctrl-C in the terminal that started it is the same as closing the window.
    with contextlib.suppress(KeyboardInterrupt):
        root.mainloop()
    return dialog.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tray_app.ui.settings_dialog",
        description="The lensmor-tray Settings window. Exit code 0 saved, 1 cancelled, "
        "2 the config file is broken or no display.",
    )
    parser.add_argument("--config", type=Path, default=None, help="the config file to edit")
    args = parser.parse_args(argv)
    return run_dialog(AppPaths.default(args.config), os.environ)


if __name__ == "__main__":
    raise SystemExit(main())
