"""The tray icon: the `Tray` protocol (base.py) and its implementations (the native
StatusNotifierItem in sni/, pystray, headless), choosing and opening one (choose.py,
start.py), and drawing the badge (badge_*.py)."""
