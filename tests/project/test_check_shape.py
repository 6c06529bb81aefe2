"""scripts/check_shape.py, which `make check` runs: it finds a module over 500 lines and a
module left flat in the package, and passes the tree as it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_shape.py"


def run(package: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(package)], capture_output=True, text=True, check=False
    )


def test_a_long_module_and_a_flat_one_are_named(tmp_path: Path) -> None:
    package = tmp_path / "tray_app"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "entry.py").write_text("")
    (package / "core" / "long.py").write_text("x = 1\n" * 501)
    (package / "core" / "fine.py").write_text("x = 1\n" * 500)
    (package / "loose.py").write_text("")
    done = run(package)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{package / 'core' / 'long.py'}: 501 lines, over 500; split it by job",
        f"{package / 'loose.py'}: a module flat in {package}/; move it into its role's package",
    ]


def test_the_package_holds_its_shape() -> None:
    done = run(SCRIPT.parents[1] / "tray_app")
    assert done.returncode == 0, done.stdout
    assert done.stdout == ""
