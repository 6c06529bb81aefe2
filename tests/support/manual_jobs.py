"""`Jobs` (tray_app/runtime/scheduler.py) on an injected clock: jobs run when the test moves time.

`advance(seconds)` walks the clock forward job by job, running each when it falls due (a
periodic job is re-armed, a one-shot job removed), in order of due time. Nothing waits: an
hour of polling takes as long as the polls themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support.rig import Clock


@dataclass
class _Job:
    due: float
    every: float | None
    fn: Callable[[], None]


@dataclass
class ManualJobs:
    clock: Clock
    running: bool = False
    jobs: dict[str, _Job] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)

    def start(self) -> None:
        self.running = True

    def shutdown(self) -> None:
        self.running = False
        self.jobs.clear()

    def run_at(self, job_id: str, when: float, fn: Callable[[], None]) -> None:
        self.jobs[job_id] = _Job(when, None, fn)

    def run_soon(self, job_id: str, fn: Callable[[], None]) -> None:
        """Due now, in place of `job_id`'s planned run: it runs at the next `advance`."""
        self.jobs[job_id] = _Job(self.clock.now, None, fn)

    def run_every(
        self, job_id: str, seconds: float, fn: Callable[[], None], *, inline: bool = False
    ) -> None:
        self.jobs[job_id] = _Job(self.clock.now + seconds, seconds, fn)

    def cancel(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)

    def next_run(self, job_id: str) -> float | None:
        job = self.jobs.get(job_id)
        return None if job is None else job.due

    def advance(self, seconds: float) -> None:
        end = self.clock.now + seconds
        while self.running:
            due = [(job.due, job_id) for job_id, job in self.jobs.items() if job.due <= end]
            if not due:
                break
            when, job_id = min(due)
            job = self.jobs[job_id]
            self.clock.now = max(self.clock.now, when)
            if job.every is None:
                del self.jobs[job_id]
            else:
                job.due = when + job.every
            self.runs[job_id] = self.runs.get(job_id, 0) + 1
            job.fn()
        self.clock.now = end
