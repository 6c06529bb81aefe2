"""The API keys: the key store (the OS keyring, read in a child process, or a 0600 file per
account), its lock, and the per-account files a rename or removal moves (account_files.py)."""
