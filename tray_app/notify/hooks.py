"""Run the `[[hooks]]` commands: one process per hook and event, off the poll thread.

`HookRunner.submit` only queues (the poll thread never waits for a hook); at most
`MAX_RUNNING` hooks run at a time, each in its own process group (its own session) so that a
hook that outlives its `timeout` is killed with everything it started. A hook gets:

- on stdin, one JSON object (core/hook_events.py, `HookEvent.payload`), then end of file;
- an environment built from scratch: PATH, HOME, LANG (the language the app speaks),
  LENSMOR_EVENT and LENSMOR_ACCOUNT, and XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS when the
  app has them (not secrets: where the session's sockets are, which `systemctl --user` and
  `notify-send` need to reach the session). Nothing else of the app's environment reaches it,
  so never LENSMOR_API_KEY, and the key is in neither the JSON nor the argv (the user's own);
- its stdout and stderr in temporary files (a chatty hook cannot fill a pipe and hang, nor
  fill the memory): their first lines are what `hooks test` prints and the log keeps.

Each outcome is logged (the program's name only: an argv may hold a token); a failure, or a
run dropped because `MAX_WAITING` runs already wait, is also handed to the `on_failure`
callback, which the monitor turns into a "Recent alerts" row. Runs still waiting at quit are
dropped too, each logged.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import IO

from tray_app.config.model import HookConfig
from tray_app.core.hook_events import HookEvent
from tray_app.core.language import Language

log = logging.getLogger(__name__)

#: Hooks running at once, over every account; more wait their turn in the queue.
MAX_RUNNING = 3
#: Events waiting beyond this are dropped (logged): hooks that hang must not grow the memory.
MAX_WAITING = 100
#: How much of a hook's stdout and stderr is read back.
_READ_BACK = 4096
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
#: Passed through as they are: where the user's session bus and runtime sockets are. Not
#: secrets (any process of the user can list them), and without them `systemctl --user` and
#: `notify-send` cannot reach the session.
_SESSION_VARIABLES = ("XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS")


@dataclass(frozen=True)
class HookOutcome:
    """How one hook run ended."""

    hook: HookConfig
    event: HookEvent
    status: int | None  # the exit status (negative: killed by that signal); None: not run
    timed_out: bool = False
    missing: str = ""  # why the program could not be started ("" when it was)
    stdout: str = ""  # the first line of each
    stderr: str = ""
    seconds: float = 0.0
    dropped: int = 0  # not run: this many runs were already waiting (MAX_WAITING)

    @property
    def ok(self) -> bool:
        return self.status == 0 and not self.timed_out and not self.missing

    @property
    def program(self) -> str:
        return os.path.basename(self.hook.command[0]) or self.hook.command[0]

    def describe(self) -> str:
        """One English line for the log and `hooks test --json`: how it ended, no argv."""
        if self.dropped:
            return f"not run: {self.dropped} hook runs were already waiting"
        if self.missing:
            return f"could not start: {self.missing}"
        if self.timed_out:
            return f"killed after its {self.hook.timeout:g} s timeout"
        text = f"exit status {self.status}"
        return f"{text}: {self.stderr}" if self.stderr and not self.ok else text

    def failure_text(self, lang: Language) -> str:
        """The "Recent alerts" row of a failed run, in the user's language."""
        _ = lang.gettext
        if self.dropped:
            return _("Hook {program} not run on {event}: {count} hook runs were waiting").format(
                program=self.program, event=self.event.event, count=self.dropped
            )
        if self.missing:
            why = _("could not start it ({reason})").format(reason=self.missing)
        elif self.timed_out:
            why = _("killed after {seconds} s").format(seconds=f"{self.hook.timeout:g}")
        else:
            why = _("exit status {code}").format(code=self.status)
            if self.stderr:
                why += f": {self.stderr}"
        title = _("Hook {program} failed on {event}: {why}").format(
            program=self.program, event=self.event.event, why=why
        )
        return title if len(title) <= 160 else title[:159] + "…"


def hook_environment(event: HookEvent, environ: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of a hook: made from scratch, never the app's own copied."""
    lang = next((environ[name] for name in _LOCALE_VARIABLES if environ.get(name)), "C.UTF-8")
    env = {
        "PATH": environ.get("PATH") or os.defpath,
        "LANG": lang,
        "LENSMOR_EVENT": event.event,
        "LENSMOR_ACCOUNT": event.account,
    }
    home = environ.get("HOME") or os.path.expanduser("~")
    if home and home != "~":
        env["HOME"] = home
    env.update({name: environ[name] for name in _SESSION_VARIABLES if environ.get(name)})
    return env


def run_hook(
    hook: HookConfig,
    event: HookEvent,
    environ: Mapping[str, str] | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] = lambda _proc: None,
    on_end: Callable[[subprocess.Popen[bytes]], None] = lambda _proc: None,
) -> HookOutcome:
    """Run `hook` for `event` and wait for it (at most its timeout, then it is killed)."""
    env = hook_environment(event, os.environ if environ is None else environ)
    data = json.dumps(event.payload(), ensure_ascii=False).encode("utf-8") + b"\n"
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                list(hook.command),
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                env=env,
                cwd=env.get("HOME") if os.path.isdir(env.get("HOME", "")) else None,
                close_fds=True,
                start_new_session=os.name == "posix",
            )
        except OSError as exc:
            return HookOutcome(hook, event, None, missing=_why_not_started(exc, hook))
        on_start(proc)
        try:
            timed_out = _feed_and_wait(proc, data, hook.timeout)
        except BaseException:
            # Ctrl-C in `hooks test` (or any interruption): the hook is in its own session,
            # out of the terminal's reach, so it would run on after us. Kill its group.
            kill_group(proc)
            raise
        finally:
            on_end(proc)
        return HookOutcome(
            hook,
            event,
            proc.returncode,
            timed_out=timed_out,
            stdout=_first_line(out),
            stderr=_first_line(err),
            seconds=time.monotonic() - started,
        )


def _feed_and_wait(proc: subprocess.Popen[bytes], data: bytes, timeout: float) -> bool:
    """Write the JSON, close stdin, wait; True when the timeout killed it."""
    try:
        proc.communicate(data, timeout=timeout)
        return False
    except subprocess.TimeoutExpired:
        kill_group(proc)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not refused
            log.warning("a hook's process %d did not end after SIGKILL", proc.pid)
        return True


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the hook and everything it started (its own process group)."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows: the process itself
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def _why_not_started(exc: OSError, hook: HookConfig) -> str:
    program = hook.command[0]
    if isinstance(exc, FileNotFoundError):
        return f"{program} not found"
    if isinstance(exc, PermissionError):
        return f"{program} is not executable"
    return f"{program}: {exc.strerror or exc}"


def _first_line(file: IO[bytes]) -> str:
    file.seek(0)
    text = file.read(_READ_BACK).decode("utf-8", errors="replace")
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:200]


def program_missing(hook: HookConfig) -> bool:
    """True when the hook's program is neither a path that runs nor a name on PATH."""
    program = hook.command[0]
    if os.sep in program or (os.altsep and os.altsep in program):
        return not (os.path.isfile(program) and os.access(program, os.X_OK))
    return shutil.which(program) is None


def matching(hooks: Iterable[HookConfig], event: HookEvent) -> list[HookConfig]:
    return [hook for hook in hooks if hook.wants(event.event, event.account)]


OnFailure = Callable[[HookOutcome], None]


class HookRunner:
    """The app's one queue of hook runs (every account's), `MAX_RUNNING` worker threads."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        max_running: int = MAX_RUNNING,
    ) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self._max_running = max_running
        self._jobs: queue.Queue[tuple[HookConfig, HookEvent, OnFailure | None] | None] = (
            queue.Queue(MAX_WAITING)
        )
        self._lock = threading.Lock()  # guards the fields below
        self._workers: list[threading.Thread] = []
        self._running: set[subprocess.Popen[bytes]] = set()
        self._closed = False

    def submit(
        self,
        hooks: Iterable[HookConfig],
        events: Iterable[HookEvent],
        on_failure: OnFailure | None = None,
    ) -> int:
        """Queue every hook that wants each event; returns at once with how many were queued."""
        hooks = tuple(hooks)
        queued = 0
        for event in events:
            for hook in matching(hooks, event):
                with self._lock:
                    if self._closed:
                        return queued
                    self._start_worker()
                try:
                    self._jobs.put_nowait((hook, event, on_failure))
                    queued += 1
                except queue.Full:
                    self._report(HookOutcome(hook, event, None, dropped=MAX_WAITING), on_failure)
        return queued

    def close(self, grace: float = 2.0) -> None:
        """At quit: no more runs; waiting ones are dropped, running ones get `grace` seconds
        to finish and are then killed (a hook must not outlive the app by its timeout)."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                hook, event, _on_failure = job
                log.warning(
                    "hook %s for %s (%s) not run: the app quit before its turn",
                    HookOutcome(hook, event, None).program,
                    event.event,
                    event.account,
                )
        for _worker in workers:
            try:
                self._jobs.put_nowait(None)
            except queue.Full:  # pragma: no cover - just emptied
                break
        deadline = time.monotonic() + grace
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            left = list(self._running)
        for proc in left:
            log.warning("hook process %d still running at quit: killed", proc.pid)
            kill_group(proc)

    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def _start_worker(self) -> None:
        """One more worker, up to `max_running` (call under the lock); idle ones just wait."""
        if len(self._workers) >= self._max_running:
            return
        worker = threading.Thread(target=self._work, name="lensmor-hook", daemon=True)
        self._workers.append(worker)
        worker.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            hook, event, on_failure = job
            with self._lock:
                if self._closed:
                    return
            try:
                outcome = run_hook(hook, event, self._environ, self._started, self._ended)
            except Exception:  # one broken run must not end the worker
                log.exception("could not run a hook")
                continue
            self._report(outcome, on_failure)

    def _started(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.add(proc)

    def _ended(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.discard(proc)

    @staticmethod
    def _report(outcome: HookOutcome, on_failure: OnFailure | None) -> None:
        what = f"hook {outcome.program} for {outcome.event.event} ({outcome.event.account})"
        if outcome.ok:
            log.info("%s: exit status 0 in %.1f s", what, outcome.seconds)
            return
        log.warning(
            "%s %s: %s", what, "dropped" if outcome.dropped else "failed", outcome.describe()
        )
        if on_failure is not None:
            try:
                on_failure(outcome)
            except Exception:
                log.exception("could not report a failed hook")
