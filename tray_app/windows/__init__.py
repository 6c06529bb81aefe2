"""The Tk windows, each run in its own process: Settings (settings_dialog.py and its boxes)
and Usage (usage_window.py, its chart and summary), on one shared Tk base (tk_base.py)."""
