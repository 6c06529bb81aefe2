"""The Lensmor API client: one GET of /external/credits/balance with its deadline, its
rate-limit bucket and its errors as types (client.py, deadline.py). Knows HTTP, not the tray."""
