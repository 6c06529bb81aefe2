"""lensmor-tray: a system-tray monitor for the Lensmor API credits balance."""

__version__ = "0.1.0"
