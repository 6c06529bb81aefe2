"""The SQLite history of one account: opening and recovery (opening.py), writing and the
store's interface (store.py), reads (queries.py), retention (retention.py), and what the
menu, the CLI and the Usage window read from it (usage_data.py, export.py)."""
