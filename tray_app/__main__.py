"""`python -m tray_app` is the same as the `lensmor-tray` command."""

from tray_app.entry import main

if __name__ == "__main__":
    raise SystemExit(main())
