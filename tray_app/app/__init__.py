"""The running tray app's wiring (tray_app.py): settings → tray → notifier → board → accounts
→ run; the reload queue and its diff (reload.py, running_accounts.py); the child windows, the
badge pin's memory and the files claimed at start. The only package that knows every other."""
