"""The configuration: one typed `Settings` (model.py), parsed from TOML with every key checked
(parse.py), read (loading.py) and changed in place under a lock (config_file.py), and the
app's paths (paths.py).

The config file lives at the platformdirs config path for `lensmor-tray` (on Linux
`$XDG_CONFIG_HOME/lensmor-tray/config.toml`). Every key is optional. Unknown keys and bad
values raise `ConfigError` naming the key and what is allowed. A file that cannot be read is
never overwritten: the writers (config_file.py) refuse to replace a file they could not parse.

Example::

    base_url = "https://platform.lensmor.com"
    poll_interval = 300            # seconds, 30 to 86400
    badge_style = "number"         # number | percent | gauge | monochrome

    [alerts]
    thresholds = ["20%", "5%"]     # percentages of totalAmount or absolute credits (500)
    expiring_hours = 48            # warn this long before subscription credits expire
    large_spend = 0                # one drop of at least this many credits (0: off)
    offline_minutes = 60           # only an outage this long notifies
    notifications = true

    # Several Lensmor accounts (issue 12). Without [[accounts]] there is one account named
    # "default" that uses the settings above. Keys are never in this file: see keys/key_store.py.
    [[accounts]]
    name = "Work"                  # required, unique (case-insensitive), 1-40 characters
    base_url = "https://platform.lensmor.com"   # optional, default: the base_url above

    [accounts.alerts]              # optional: replaces [alerts] for this account
    thresholds = ["10%"]
"""
