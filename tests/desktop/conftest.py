"""The `desktop` fixture: a fresh headless desktop (see harness.py) for each test.

Options go through indirect parametrisation, e.g.
`@pytest.mark.parametrize("desktop", [{"tray": False}], indirect=True)`.

Missing tools skip the test locally (with the reason) but FAIL it when `CI` is set: on CI a
silently skipped desktop suite would pass while testing nothing.
When a test fails, a screenshot and the services' logs are kept under test-artifacts/desktop/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Generator, Iterator

import pytest

from .harness import DesktopSession, missing_tools

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def running_on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_desktop_tools(*, tray: bool = True, notifications: bool = True) -> None:
    """Skip (locally) or fail (on CI) when the stack cannot start here."""
    missing = missing_tools(tray=tray, notifications=notifications)
    if not missing:
        return
    reason = "headless desktop tools missing: " + ", ".join(missing)
    if running_on_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Remember each phase's outcome so the fixture can tell, at teardown, that the test failed.
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def desktop(request: pytest.FixtureRequest) -> Iterator[DesktopSession]:
    options = dict(getattr(request, "param", {}))
    require_desktop_tools(
        tray=options.get("tray", True), notifications=options.get("notifications", True)
    )
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    with DesktopSession(**options) as session:
        # Drop what an earlier failing run of this test left, so artefacts are current.
        (session.artifacts_dir / f"{name}-failure.png").unlink(missing_ok=True)
        shutil.rmtree(session.artifacts_dir / f"{name}-logs", ignore_errors=True)
        yield session
        call = request.node.stash.get(_REPORTS, {}).get("call")
        if call is not None and call.failed:
            session.screenshot(f"{name}-failure")
            session.save_logs(name)
