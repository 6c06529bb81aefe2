"""The log sink, the last resort: a notification written to the log, run for real."""

from __future__ import annotations

import logging

import pytest

from tests.unit.notify.notices import LOW
from tray_app.notify import LogNotifier, Notification


def test_log_notifier_writes_title_and_body_at_info(caplog: pytest.LogCaptureFixture) -> None:
    n = Notification(
        "Credits renewed", "35,000 available;\nnext reset on 1 Dec", "low", key="reset:2024-12"
    )
    with caplog.at_level(logging.INFO, logger="tray_app.notify"):
        LogNotifier().send(n)
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert "'Credits renewed'" in message
    assert "'35,000 available;\\nnext reset on 1 Dec'" in message  # one line, text intact
    assert "[reset:2024-12]" in message
    assert "(low)" in message


def test_log_notifier_accepts_a_given_logger(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("lensmor.test.sink")
    with caplog.at_level(logging.INFO, logger="lensmor.test.sink"):
        LogNotifier(logger).send(LOW)
    assert [r.name for r in caplog.records] == ["lensmor.test.sink"]
    assert "30,050 credits left" in caplog.records[0].getMessage()
