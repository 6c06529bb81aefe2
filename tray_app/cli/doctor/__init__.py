"""`lensmor-tray doctor`: one line per check, each run with a deadline, per account."""
