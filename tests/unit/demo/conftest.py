"""Fixtures for the simulated API's tests: a fake clock, a server on loopback driven by it,
and an HTTP session. (test_accounts.py defines its own `server` and `http`.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.unit.demo.api_helpers import FakeClock
from tray_app.demo.server import SimulatedLensmorServer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[SimulatedLensmorServer]:
    with SimulatedLensmorServer(clock=clock) as srv:
        yield srv


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
