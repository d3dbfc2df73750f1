"""run_command: run a command on a pool, stream its output lines to the UI, never leak a process.

Here: the checks, the task, the process's start, reaping and the exit sweep; reading its
pipes and signalling its group are in ``_subprocess_io``.
"""

from __future__ import annotations

import atexit
import codecs
import functools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._core._errors import TaskCancelled
from .._core._fork import in_child
from .._core._options import CALLBACK_WAY_OUT, check_callback, check_seconds, thread_wait
from ._default import default_pool
from ._subprocess_io import POSIX, Command, communicate, signal_tree
from ._task import Task

if TYPE_CHECKING:
    from ._pool import Pool

__all__ = ["CommandResult", "run_command"]


@dataclass(frozen=True)
class CommandResult:
    """What a finished command left: the result of a :func:`run_command` task."""

    args: tuple[str, ...]
    """The command line that ran."""
    returncode: int
    """Its exit status (negative: killed by that signal, on POSIX)."""
    stdout: str
    """Everything it wrote to standard output (with ``merge_stderr``: to both)."""
    stderr: str
    """Everything it wrote to standard error (empty with ``merge_stderr``)."""


class _Output:
    """Lossless, batched ``on_output``: lines pile up while one delivery waits for the UI."""

    def __init__(self, callback: Callable[[list[tuple[str, str]]], object]) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self._lines: list[tuple[str, str]] = []
        self._pending = False

    def add(self, task: Task[Any], line: str, stream: str) -> None:
        with self._lock:
            self._lines.append((line, stream))
            if self._pending:
                return
            self._pending = True
        task._post(self._flush, owner=task._owner)

    def _flush(self) -> None:  # main thread
        with self._lock:
            lines, self._lines = self._lines, []
            self._pending = False
        if lines:
            self._callback(lines)


def run_command(
    argv: Sequence[str | os.PathLike[str]],
    /,
    *,
    pool: Pool | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    merge_stderr: bool = False,
    check: bool = True,
    encoding: str = "utf-8",
    errors: str = "replace",
    kill_after: float = 2.0,
    on_output: Callable[[list[tuple[str, str]]], object] | None = None,
    **options: Any,
) -> Task[CommandResult]:
    """Run ``argv`` on ``pool`` (default: the default pool); return its Task at once. Any thread.

    Each output line (without its newline) is reported as progress
    ``on_progress(line, "stdout" | "stderr")``, coalesced latest-wins (a status line);
    ``on_output(lines)`` gets every line, in order, as lists of ``(line, stream)`` batched
    while the UI is busy (a log view). The result is a :class:`CommandResult`; with
    ``check=True`` a non-zero exit fails the task with
    :class:`subprocess.CalledProcessError` instead.

    The command runs in a new session (POSIX) with standard input closed. On cancel or
    ``timeout`` its whole process group gets ``SIGTERM``, then ``SIGKILL`` after
    ``kill_after`` seconds. When the command exits, whatever it left running in its
    group is killed (still holding its pipes: ``SIGTERM`` first), so nothing outlives
    it as an orphan; the process is always reaped, and interpreter exit stops every
    command still running. Processes that leave the group (``setsid``, daemons)
    are theirs to manage. Other keyword options go to :meth:`Pool.submit`.

    Raises:
        TypeError: ``argv`` is a string, or not a sequence of strings.
        ValueError: ``argv`` is empty, ``encoding`` is unknown, a bad ``kill_after``, or
            ``on_output`` on a pool with ``executor=``.

    """
    if isinstance(argv, (str, bytes)):
        raise TypeError(
            f"argv must be a sequence of arguments such as ['git', 'status'], got the string "
            f"{argv!r} (split it with shlex.split)"
        )
    try:
        args = tuple(os.fspath(a) for a in argv)
    except TypeError:
        raise TypeError(f"argv must be a sequence of str arguments, got {argv!r}") from None
    if not args or not all(isinstance(a, str) for a in args):
        raise ValueError(f"argv must be a non-empty sequence of str arguments, got {argv!r}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"encoding must be a known codec, got {encoding!r}") from None
    kill_after = check_seconds("kill_after", kill_after, zero_ok=True)
    if on_output is not None:
        check_callback("on_output", on_output, CALLBACK_WAY_OUT)
    if pool is None:
        pool = default_pool()
    if on_output is not None and pool.executor is not None:
        raise ValueError(pool._no_progress_message("on_output="))
    command = Command(
        args=args,
        cwd=os.fspath(cwd) if cwd is not None else None,
        env=dict(env) if env is not None else None,
        merge_stderr=merge_stderr,
        check=check,
        encoding=encoding,
        errors=errors,
        kill_after=kill_after,
    )
    output = _Output(on_output) if on_output is not None else None
    fn = functools.partial(_execute, command, output)
    functools.update_wrapper(fn, _execute)
    # Named for the program (``git``), not the path it was found at: the report's row.
    fn.__qualname__ = os.path.basename(args[0]) or args[0]  # type: ignore[attr-defined]
    if output is not None:
        # Its lines go through the pool's dispatcher: bound here, on the caller's (the
        # main) thread, before the reader thread can need it (looked up from there, after
        # the window closed or before the loop ran, there would be no app to find).
        pool._try_dispatcher()
    return pool.submit(fn, **options)


# ---------------------------------------------------------------------- the worker side

_live_lock = threading.Lock()
_live: set[subprocess.Popen[bytes]] = set()


def _after_fork_in_child() -> None:
    global _live_lock
    _live_lock = threading.Lock()
    _live.clear()  # the parent's commands: not this process's children


in_child(_after_fork_in_child)


def _execute(command: Command, output: _Output | None) -> CommandResult:
    task = Task.current()
    kwargs: dict[str, Any] = {}
    if POSIX:
        kwargs["start_new_session"] = True  # its own process group: one signal reaches the tree
    else:  # pragma: no cover - Windows
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    proc = subprocess.Popen(
        command.args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if command.merge_stderr else subprocess.PIPE,
        cwd=command.cwd,
        env=command.env,
        **kwargs,
    )
    with _live_lock:
        _live.add(proc)
    try:
        texts: dict[str, list[str]] = {"stdout": [], "stderr": []}

        def emit(line: str, stream: str) -> None:
            if task is not None:
                task.report_progress(line, stream)
                if output is not None:
                    output.add(task, line, stream)

        stopped = communicate(proc, command, task, texts, emit)
        if POSIX and proc.returncode is None:
            # Exited but not reaped: its zombie still holds the group id, so this reaches
            # only what it left running in its group (and cannot hit a reused id).
            signal_tree(proc, signal.SIGKILL)
        returncode = proc.wait()
    finally:
        _reap(proc, command.kill_after)
        with _live_lock:
            _live.discard(proc)
    if stopped:
        raise TaskCancelled(f"{command.args[0]!r} was stopped (exit status {returncode})")
    stdout, stderr = "".join(texts["stdout"]), "".join(texts["stderr"])
    if command.check and returncode != 0:
        raise subprocess.CalledProcessError(returncode, list(command.args), stdout, stderr)
    return CommandResult(command.args, returncode, stdout, stderr)


def _reap(proc: subprocess.Popen[bytes], kill_after: float) -> None:
    """Make sure the process and its group are gone and the process is reaped: no zombie."""
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    if proc.poll() is None:
        signal_tree(proc, signal.SIGTERM)
        try:
            proc.wait(thread_wait(kill_after))
        except subprocess.TimeoutExpired:
            signal_tree(proc, signal.SIGKILL)
            proc.wait()


@atexit.register
def _stop_all_at_exit() -> None:
    """Interpreter exit: terminate every command still running, then kill and reap them."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        signal_tree(proc, signal.SIGTERM)
    deadline = time.monotonic() + 1.0
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            signal_tree(proc, signal.SIGKILL)
            proc.wait()
