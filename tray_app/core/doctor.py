"""`lensmor-tray doctor`'s verdicts and how they are printed (pure; the checks are in
`tray_app.cli.doctor.main`).

Exit code: 0 when every check passed, 1 with warnings only, 2 when something needed is broken.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from tray_app.core.language import ENGLISH, Language


class Verdict(str, enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"

    @property
    def mark(self) -> str:
        return {"ok": "✓", "warn": "⚠", "fail": "✗"}[self.value]

    @property
    def ascii_mark(self) -> str:
        """For a terminal whose encoding has no ✓ (e.g. a Latin-1 locale)."""
        return {"ok": "[ok]", "warn": "[!]", "fail": "[X]"}[self.value]


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: `name: detail`, and for a warning or failure what to do.
    `name` is English (marked with `N_` by the check, the key of --json) and translated when
    printed; `detail` and `fix` are worded by the check in the report's language.
    `account`: the account a per-account check is about (None: the app as a whole, or the
    one unnamed account of a config without [[accounts]], whose lines read as they always
    did)."""

    name: str
    verdict: Verdict
    detail: str
    fix: str = ""
    account: str | None = None

    def label(self, lang: Language = ENGLISH) -> str:
        name = lang.gettext(self.name)
        return name if self.account is None else f"{name} ({self.account})"


def exit_code(results: Sequence[CheckResult]) -> int:
    verdicts = {r.verdict for r in results}
    if Verdict.FAIL in verdicts:
        return 2
    return 1 if Verdict.WARN in verdicts else 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


def report_lines(
    results: Sequence[CheckResult], *, ascii_only: bool = False, lang: Language = ENGLISH
) -> list[str]:
    lines = []
    arrow = "->" if ascii_only else "→"
    for r in results:
        mark = r.verdict.ascii_mark if ascii_only else r.verdict.mark
        line = f"{mark} {r.label(lang)}: {_one_line(r.detail)}"
        if r.verdict is not Verdict.OK and r.fix:
            line += f" {arrow} {_one_line(r.fix)}"
        lines.append(line)
    return lines


def report_json(results: Sequence[CheckResult]) -> dict[str, object]:
    return {
        "exitCode": exit_code(results),
        "checks": [
            {
                "name": r.name,
                "account": r.account,
                "verdict": r.verdict.value,
                "detail": _one_line(r.detail),
                "fix": _one_line(r.fix) or None,
            }
            for r in results
        ],
    }
