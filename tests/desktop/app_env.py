"""The environment a desktop test starts the app in: the session's, the repository on the
path, the simulated server with the demo key, and no OS keyring."""

from __future__ import annotations

from tests.conftest import REPO
from tray_app.demo.server import DEMO_KEY, SimulatedLensmorServer

from .harness import DesktopSession


def app_env(
    desktop: DesktopSession, server: SimulatedLensmorServer, **extra: str
) -> dict[str, str]:
    env = dict(desktop.env)
    env.update(
        PYTHONPATH=str(REPO),
        LENSMOR_BASE_URL=server.url,
        LENSMOR_API_KEY=DEMO_KEY,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        **extra,
    )
    return env
