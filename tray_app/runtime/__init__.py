"""What runs while the tray is up: each account's Monitor (one poll's I/O, in order), the one
poll scheduler for every account, the tray board that presents all accounts at once, and
the feed files for status bars."""
