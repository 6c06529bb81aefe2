"""Real StatusNotifierItem hosts, headless: xfce4-panel on Xvfb, sway + waybar, gnome-shell.

See base.py for what the sessions share and /work/shared/desktops/ for the measured recipes.
"""
