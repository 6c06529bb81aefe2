"""`lensmor-tray doctor` without a desktop: the API checks against the simulated server (healthy,
key refused, server down, server error, rate limit nearly used), the verdict and exit code
rules, and the bounds: a check that hangs or raises is one ✗ line, never a wait or a traceback.
The desktop checks (tray, notifications) on a real desktop are in
tests/desktop/test_status_bar_and_doctor.py."""

from __future__ import annotations

import email.utils
import json
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import CANARY_KEY, Home, run_cli
from tray_app.cli.doctor import api_probe as doctor_api
from tray_app.cli.doctor import main as doctor
from tray_app.config.paths import AppPaths
from tray_app.core.doctor import CheckResult, Verdict, exit_code, report_lines
from tray_app.demo.server import DEMO_KEY, Fault, SimulatedAccount, SimulatedLensmorServer


def context(tmp_path: Path, base_url: str, key: str | None = DEMO_KEY) -> doctor.Context:
    paths = AppPaths(tmp_path / "config.toml", tmp_path / "data", tmp_path / "logs")
    ctx = doctor.Context(paths=paths, environ={"LENSMOR_BASE_URL": base_url})
    ctx.key = key
    return ctx


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_healthy_api_reports_latency_key_clock_and_headroom(tmp_path: Path) -> None:
    with SimulatedLensmorServer() as server:
        results = by_name(doctor.check_api(context(tmp_path, server.url)))
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    assert "answers in" in results["API"].detail
    assert results["key accepted"].detail == "the API accepted the key"
    assert results["rate limit"].detail.endswith("of 120 requests left in this window")


def test_a_refused_key_is_named(tmp_path: Path) -> None:
    with SimulatedLensmorServer() as server:
        results = by_name(doctor.check_api(context(tmp_path, server.url, key=CANARY_KEY)))
    assert results["API"].verdict is Verdict.OK
    assert results["key accepted"].verdict is Verdict.FAIL
    assert "HTTP 401" in results["key accepted"].detail
    assert "lensmor-tray key set" in results["key accepted"].fix


def test_an_api_that_is_down_is_named(tmp_path: Path) -> None:
    results = doctor.check_api(context(tmp_path, closed_port()))
    assert [r.name for r in results] == ["API"]
    assert results[0].verdict is Verdict.FAIL
    assert "cannot reach" in results[0].detail


def test_a_server_error_fails_the_api_check(tmp_path: Path) -> None:
    with SimulatedLensmorServer() as server:
        server.account.inject(Fault.status(503))
        results = by_name(doctor.check_api(context(tmp_path, server.url)))
    assert results["API"].verdict is Verdict.FAIL
    assert "HTTP 503" in results["API"].detail


def test_little_rate_limit_headroom_is_a_warning(tmp_path: Path) -> None:
    account = SimulatedAccount(rate_limit=10, rate_window_s=3600)
    with SimulatedLensmorServer(account) as server:
        for _ in range(9):
            doctor.check_api(context(tmp_path, server.url))
        results = by_name(doctor.check_api(context(tmp_path, server.url)))
    assert results["rate limit"].verdict is Verdict.WARN
    assert results["rate limit"].detail == "0 of 10 requests left in this window"


@pytest.mark.parametrize(
    ("offset", "verdict"), [(0, Verdict.OK), (-600, Verdict.WARN), (3600, Verdict.WARN)]
)
def test_clock_skew_from_the_date_header(offset: float, verdict: Verdict) -> None:
    header = email.utils.formatdate(time.time() + offset, usegmt=True)
    result = doctor_api._clock_verdict(header)
    assert result.verdict is verdict
    if offset > 0:
        assert "behind the server's" in result.detail


def test_a_hanging_check_is_cut_off_and_a_raising_one_is_one_line(tmp_path: Path) -> None:
    def hangs(_ctx: doctor.Context) -> list[CheckResult]:
        time.sleep(30)
        return []

    def raises(_ctx: doctor.Context) -> list[CheckResult]:
        raise RuntimeError("boom\nsecond line")

    started = time.monotonic()
    results = by_name(
        doctor.run_checks(
            context(tmp_path, closed_port()), [("slow", hangs, 0.5), ("bad", raises, 1)]
        )
    )
    assert time.monotonic() - started < 5
    assert results["slow"].verdict is Verdict.FAIL
    assert results["slow"].detail == "did not finish within 0.5 s"
    assert results["bad"].verdict is Verdict.FAIL
    assert report_lines([results["bad"]]) == [
        "✗ bad: the check itself failed: RuntimeError: boom second line"
    ]


def test_exit_code_is_0_ok_1_warnings_2_failures() -> None:
    ok, warn, fail = (CheckResult("x", v, "d", "f") for v in Verdict)
    assert exit_code([ok, ok]) == 0
    assert exit_code([ok, warn]) == 1
    assert exit_code([warn, fail]) == 2
    assert report_lines([ok, warn]) == ["✓ x: d", "⚠ x: d → f"]


def test_doctor_without_a_desktop_names_tray_and_notifications_and_masks_the_key(
    home: Home,
) -> None:
    with SimulatedLensmorServer(SimulatedAccount(valid_keys=[CANARY_KEY])) as server:
        env = {"LENSMOR_BASE_URL": server.url, "LENSMOR_API_KEY": CANARY_KEY}
        result = run_cli(home, "doctor", env=env)
        as_json = run_cli(home, "doctor", "--json", env=env)
    assert result.code == 2
    assert "Traceback" not in result.err
    lines = result.out.splitlines()
    failed = [line.split(":")[0] for line in lines if line.startswith("✗")]
    assert failed == ["✗ tray", "✗ notifications"]
    assert "✓ key: uak_…WXYZ from the environment" in result.out
    assert CANARY_KEY not in result.out + result.err + as_json.out
    data = json.loads(as_json.out)
    assert data["exitCode"] == 2 == as_json.code
    verdicts = {c["name"]: c["verdict"] for c in data["checks"]}
    assert verdicts["key accepted"] == "ok"
    assert verdicts["app"] == "warn"  # not running here
    assert verdicts["start at login"] == "warn"


def test_a_certificate_that_does_not_verify_is_a_tls_failure(
    tmp_path: Path, self_signed_https: str
) -> None:
    results = doctor.check_api(context(tmp_path, self_signed_https))
    assert [r.name for r in results] == ["API"]
    assert results[0].verdict is Verdict.FAIL
    assert results[0].detail.startswith(f"TLS to {self_signed_https} failed")
    assert "clock" in results[0].fix


def test_a_terminal_without_unicode_gets_ascii_marks(home: Home) -> None:
    result = run_cli(home, "doctor", env={"PYTHONIOENCODING": "latin-1"})
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "[X] tray:" in result.out
    assert "[X] key: no API key is set -> run `lensmor-tray key set`" in result.out


@pytest.mark.parametrize(
    ("exec_line", "verdict", "detail"),
    [
        ("/bin/false run --autostart", "fail", "its command exits with code 1"),
        ("/nonexistent/lensmor-tray run --autostart", "fail", "will not start the app"),
        ("/bin/true run --autostart", "ok", "its command runs"),
    ],
)
def test_start_at_login_runs_the_entrys_command(
    home: Home, exec_line: str, verdict: str, detail: str
) -> None:
    entry = home.root / ".config" / "autostart" / "lensmor-tray.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text(f"[Desktop Entry]\nType=Application\nName=Lensmor\nExec={exec_line}\n")
    report = json.loads(run_cli(home, "doctor", "--json").out)
    (check,) = [c for c in report["checks"] if c["name"] == "start at login"]
    assert check["verdict"] == verdict
    assert detail in check["detail"]
