"""The bare skeleton the benchmarks compare lensmor-tray with.

What any tray monitor of the credits balance needs and nothing more: pystray showing a static
icon drawn with Pillow, `requests` fetching the balance, and an APScheduler 3.x
BackgroundScheduler polling every 300 s (the first poll at once, as the app does). No history,
no alerts, no notifications, no settings, no logging framework.

Usage: python scripts/bench_skeleton.py [--render] [--interval S]
  LENSMOR_API_KEY   the key (never printed)
  LENSMOR_BASE_URL  the API base URL (default https://api.lensmor.com)
  PYSTRAY_BACKEND   pystray's backend, as for the app

SIGUSR1 polls now (as it does for the app), SIGTERM/SIGINT quit. Each poll prints one line
`poll N: <totalBalance>` so the benchmark can tell when it finished. With --render the icon is
redrawn with the balance whenever it changed: the baseline for "a poll with a re-render".

Deliberately not importing anything from tray_app: the skeleton is what the app would cost if
it were written in forty lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import signal
import sys
from typing import Any

import requests
from apscheduler.schedulers.background import BackgroundScheduler
from PIL import Image, ImageDraw, ImageFont

BALANCE_PATH = "/external/credits/balance"
SIZE = 32
# Distinct from every badge colour of the app, so the benchmark can tell the two icons apart
# on screen and tell the static icon from a rendered one.
STATIC_FILL = (33, 150, 243)
RENDER_FILL = (103, 58, 183)


def static_icon() -> Image.Image:
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    ImageDraw.Draw(image).rounded_rectangle((1, 1, SIZE - 2, SIZE - 2), 5, fill=STATIC_FILL)
    return image


def render(total: float) -> Image.Image:
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((1, 1, SIZE - 2, SIZE - 2), 5, fill=RENDER_FILL)
    text = f"{total / 1000:.1f}k" if total >= 1000 else f"{total:.0f}"
    draw.text(
        (SIZE / 2, SIZE / 2), text, fill="white", font=ImageFont.load_default(11), anchor="mm"
    )
    return image


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", action="store_true", help="redraw the icon on a change")
    parser.add_argument("--interval", type=float, default=300.0, help="seconds between polls")
    args = parser.parse_args()
    # pystray picks its backend when imported (xorg even opens the display then), so it is
    # imported here rather than at the top, where scripts/bench.py reads the colours above.
    import pystray

    base_url = os.environ.get("LENSMOR_BASE_URL", "https://api.lensmor.com").rstrip("/")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {os.environ.get('LENSMOR_API_KEY', '')}"
    icon = pystray.Icon(
        "bench-skeleton",
        icon=static_icon(),
        title="skeleton",
        menu=pystray.Menu(pystray.MenuItem("Quit", lambda icon, _item: icon.stop())),
    )
    scheduler = BackgroundScheduler(timezone=dt.timezone.utc)
    state: dict[str, Any] = {"polls": 0, "last": None}

    def poll() -> None:
        try:
            response = session.get(base_url + BALANCE_PATH, timeout=10)
            total = float(response.json()["totalBalance"])
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            total = float("nan")
            print(f"poll failed: {type(exc).__name__}", file=sys.stderr, flush=True)
        if args.render and not math.isnan(total) and total != state["last"]:
            icon.icon = render(total)
        state["last"] = total
        state["polls"] += 1
        print(f"poll {state['polls']}: {total:.0f}", flush=True)

    def poll_now(*_: object) -> None:
        scheduler.modify_job("poll", next_run_time=dt.datetime.now(dt.timezone.utc))

    def setup(icon: Any) -> None:
        icon.visible = True
        scheduler.start()
        scheduler.add_job(
            poll,
            "interval",
            seconds=args.interval,
            id="poll",
            next_run_time=dt.datetime.now(dt.timezone.utc),
        )

    signal.signal(signal.SIGUSR1, poll_now)
    signal.signal(signal.SIGTERM, lambda *_: icon.stop())
    icon.run(setup=setup)
    if scheduler.running:
        scheduler.shutdown(wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
