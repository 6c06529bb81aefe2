"""A process's figures from /proc, for the benchmark scripts (bench.py, bench_sni.py,
bench_usage_window.py): its memory with its children's, its threads, its context switches.
Its own module so the scripts share it without importing each other."""

from __future__ import annotations

import contextlib
from pathlib import Path


def read_status(path: Path) -> dict[str, str]:
    out = {}
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            kids += [int(k) for k in task.read_text().split()]
    return kids


def rss_mb(pid: int) -> float:
    """VmRSS of the process plus its children, if any (MB = 10^6 bytes)."""
    total_kb, todo = 0, [pid]
    while todo:
        current = todo.pop()
        status = read_status(Path(f"/proc/{current}/status"))
        total_kb += int(status.get("VmRSS", "0 kB").split()[0])
        todo += _children(current)
    return total_kb * 1024 / 1e6


def thread_names(pid: int) -> list[str]:
    names = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            names.append((task / "comm").read_text().strip())
    return sorted(names)


def ctx_switches(pid: int) -> dict[int, int]:
    """Voluntary + involuntary context switches of each live thread."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = read_status(task / "status")
        if "voluntary_ctxt_switches" in status:
            out[int(task.name)] = int(status["voluntary_ctxt_switches"]) + int(
                status["nonvoluntary_ctxt_switches"]
            )
    return out
