"""Plumbing with no opinion about credits: the asyncio thread for D-Bus, calls with a
deadline, the single-instance lock, the user's language, atomic files, logging set-up,
signals and background threads."""
