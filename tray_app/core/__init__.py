"""Pure functions and data, no I/O: the balance and its parser, levels, the alert rules
and their wording, forecast, pacing, the tray view and its presenter, the feed formats. Time,
settings and the language come in as arguments, so every rule is tested without a clock, a
network or a display (import-linter keeps I/O libraries and our other packages out)."""
