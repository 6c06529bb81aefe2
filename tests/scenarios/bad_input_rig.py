"""What the bad input suites (issue 6: tests/scenarios/test_bad_*.py) share: the hypothesis
settings of every property test, and how a test writes a settings file.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings

#: Every property test of these suites: the same examples on every run and on CI (derandomize,
#: no example database), no per-example deadline, and no health check failing a slow CI machine.
REPRODUCIBLE = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def write_private(path: Path, content: bytes) -> Path:
    # 0600 like the app's own files, so load_settings has no permission warning to log.
    path.write_bytes(content)
    path.chmod(0o600)
    return path
