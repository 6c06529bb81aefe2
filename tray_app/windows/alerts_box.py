"""The Settings window's "Alerts and polling" box: the warning thresholds, the poll interval,
desktop notifications on or off, and a hint at what scripts have (hooks, guard). (The badge's
style is on the Appearance tab.)

Its own module so the window module keeps to the window (Save, Cancel, the status line): this
box only shows `settings_form.fields_from_settings` and hands back what was typed; parsing and
checking are `settings_form.parse_form`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tray_app.config.model import MIN_POLL_INTERVAL_S, Settings
from tray_app.core.language import N_, Language
from tray_app.windows.settings_form import (
    MAX_POLL_INTERVAL_S,
    FormField,
    FormFields,
    fields_from_settings,
)
from tray_app.windows.settings_parts import WRAP, error_label
from tray_app.windows.tk_base import wrap_to_width

if TYPE_CHECKING:
    import tkinter as tk
    from tkinter import ttk

THRESHOLDS_HINT = N_("Percent of your allowance, or credits: e.g. 20%, 5% or 1000")
#: What scripts have besides this window (config only: a command line is no form field).
SCRIPTS_HINT = N_(
    "For scripts: [[hooks]] in the config file run a command on these alerts (a push to your "
    "phone, a chat message, an email), even with notifications off; `lensmor-tray guard --min "
    "N -- COMMAND` runs a batch job only while there are enough credits. "
    "See `lensmor-tray hooks list` and the README."
)


class AlertsBox:
    """Build it into `outer` at `row`, filled from `settings`."""

    def __init__(
        self, root: tk.Tk, lang: Language, outer: ttk.Frame, row: int, settings: Settings
    ) -> None:
        import tkinter as tk
        from tkinter import ttk

        _ = lang.gettext
        box = ttk.LabelFrame(outer, text=_("Alerts and polling"), padding=(12, 8))
        box.grid(row=row, column=0, sticky="ew")
        box.columnconfigure(1, weight=1)
        fields = fields_from_settings(settings)

        ttk.Label(box, text=_("Warn below:")).grid(row=0, column=0, sticky="w", padx=(0, 8))
        self.thresholds_var = tk.StringVar(root, value=fields.thresholds)
        thresholds = ttk.Entry(box, textvariable=self.thresholds_var, width=24)
        thresholds.grid(row=0, column=1, sticky="ew")
        ttk.Label(box, text=_(THRESHOLDS_HINT), style="Hint.TLabel").grid(
            row=1, column=1, sticky="w", pady=(2, 0)
        )
        thresholds_error = error_label(box, row=2, column=1)

        ttk.Label(box, text=_("Check every:")).grid(
            row=3, column=0, sticky="w", padx=(0, 8), pady=(8, 0)
        )
        interval_row = ttk.Frame(box)
        interval_row.grid(row=3, column=1, sticky="w", pady=(8, 0))
        self.interval_var = tk.StringVar(root, value=fields.poll_interval)
        interval = ttk.Spinbox(
            interval_row,
            textvariable=self.interval_var,
            from_=MIN_POLL_INTERVAL_S,
            to=MAX_POLL_INTERVAL_S,
            increment=30,
            width=8,
        )
        interval.grid(row=0, column=0)
        ttk.Label(
            interval_row,
            text=_("seconds (at least {minimum})").format(minimum=MIN_POLL_INTERVAL_S),
            style="Hint.TLabel",
        ).grid(row=0, column=1, padx=(6, 0))
        interval_error = error_label(box, row=4, column=1)

        self.notify_var = tk.BooleanVar(root, value=fields.notifications)
        notify = ttk.Checkbutton(
            box, text=_("Show desktop notifications"), variable=self.notify_var
        )
        notify.grid(row=5, column=0, columnspan=2, sticky="w", pady=(8, 0))

        scripts = _(SCRIPTS_HINT)
        if settings.hooks:
            count = len(settings.hooks)
            scripts += " " + lang.ngettext(
                "{count} hook is set up.", "{count} hooks are set up.", count
            ).format(count=count)
        scripts_hint = ttk.Label(box, text=scripts, style="Hint.TLabel", wraplength=WRAP)
        scripts_hint.grid(row=6, column=0, columnspan=2, sticky="ew", pady=(8, 0))
        wrap_to_width(scripts_hint)

        #: The box's widgets that take the focus, by the name the tests hear, in Tab order.
        self.focusable: dict[str, tk.Widget] = {
            "thresholds": thresholds,
            "poll_interval": interval,
            "notifications": notify,
        }
        #: What Save disables once saved.
        self.inputs: list[ttk.Widget] = [thresholds, interval, notify]
        #: Each field's error label and the input focused when it is wrong.
        self.errors: dict[FormField, tuple[ttk.Label, ttk.Widget]] = {
            FormField.THRESHOLDS: (thresholds_error, thresholds),
            FormField.POLL_INTERVAL: (interval_error, interval),
        }

    def form_fields(self, key: str, badge_style: str) -> FormFields:
        """The form as typed, with `key` from the key box and `badge_style` (the config's
        name of the style) from the Appearance box."""
        return FormFields(
            key=key,
            thresholds=self.thresholds_var.get(),
            poll_interval=self.interval_var.get(),
            notifications=bool(self.notify_var.get()),
            badge_style=badge_style,
        )
