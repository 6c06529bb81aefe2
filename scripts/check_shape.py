"""The shape checks import-linter does not make (`make check` and `make test` run both):

- no module of `tray_app/` over MAX_LINES lines (a module that grows past it has more than one
  job: split it by job, as the reshape did);
- no module left flat in `tray_app/` but the entry points: everything else lives in the
  package named after its role (README "Development").

Prints one line per problem and exits 1; silent and 0 when the shape holds.
"""

from __future__ import annotations

import sys
from pathlib import Path

MAX_LINES = 500
TOP_LEVEL_MODULES = {"__init__.py", "__main__.py", "entry.py"}


def problems(package: Path) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            found.append(f"{path}: {lines} lines, over {MAX_LINES}; split it by job")
    for path in sorted(package.glob("*.py")):
        if path.name not in TOP_LEVEL_MODULES:
            found.append(f"{path}: a module flat in {package}/; move it into its role's package")
    return found


def main(argv: list[str]) -> int:
    package = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "tray_app"
    found = problems(package)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
