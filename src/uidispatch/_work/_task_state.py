"""A task's state machine: :class:`TaskState` and the transitions between the states.

The transitions are :class:`~uidispatch.Task`'s own private methods, written here as
functions of ``self`` and bound in the class body (``_resolve = _task_state.resolve``): a
call costs what a method defined in ``_task`` costs.
"""

from __future__ import annotations

import concurrent.futures
import enum
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._core._errors import TaskTimeout
from .._core._release import hand_over

if TYPE_CHECKING:
    from ._task import Task

__all__ = ["TaskState", "add_stop_hook", "fail_after_fork", "requeue", "resolve", "start"]

logger = logging.getLogger("uidispatch")


class TaskState(enum.Enum):
    """Lifecycle state of a :class:`Task`.

    ``PENDING`` (queued, or waiting to retry), ``RUNNING``, then one of ``DONE``,
    ``FAILED`` (the function raised, or the task ran past its ``timeout``) and
    ``CANCELLED``.
    """

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


_PENDING, _RUNNING, _DONE, _FAILED, _CANCELLED = (
    TaskState.PENDING,
    TaskState.RUNNING,
    TaskState.DONE,
    TaskState.FAILED,
    TaskState.CANCELLED,
)


def start(self: Task[Any]) -> bool:
    """PENDING -> RUNNING; False when the task was resolved meanwhile."""
    with self._lock:
        if self._resolved:
            return False
        self._phase = _RUNNING
        if self.started_at is None:
            self.started_at = time.monotonic()
        return True


def requeue(self: Task[Any]) -> None:
    with self._lock:
        if not self._resolved:
            self._phase = _PENDING


def add_stop_hook(self: Task[Any], hook: Callable[[], object]) -> None:
    """Call ``hook()`` when the task is cancelled or times out (now, if it already was)."""
    with self._lock:
        if not self._resolved:
            self._stop_hooks.append(hook)
            return
        stopped = self._phase is _CANCELLED or isinstance(self._exception, TaskTimeout)
    if stopped:
        _run_hook(hook)


def resolve(
    self: Task[Any], state: TaskState, *, result: Any = None, exc: BaseException | None = None
) -> bool:
    """Finish the task exactly once; False when it already was. Any thread."""
    with self._lock:
        if self._resolved:
            return False
        self._resolved = True
        self.finished_at = time.monotonic()
        running = self._phase is _RUNNING
        self._phase = state
        hooks = self._stop_hooks if exc is not None else []
        self._stop_hooks = []
        callbacks = self._done_cbs if exc is None else self._error_cbs
        watched = bool(callbacks or self._progress_cbs) or self._stream is not None
        # The app's callbacks (and a stream's owner) often name a widget: dropped on
        # the main thread (see _release), whichever thread resolves the task.
        box = [self._done_cbs, self._error_cbs, self._progress_cbs, self._stream]
        self._done_cbs, self._error_cbs, self._progress_cbs = [], [], ()
        self._stream = None  # a batch on its way keeps it; no task<->stream cycle stays
    if exc is not None and not (state is _CANCELLED or isinstance(exc, TaskTimeout)):
        hooks = []  # the function itself failed: nothing left to stop
    for hook in hooks:
        _run_hook(hook)
    host = self._host
    if host is not None:
        # Before waiters wake: result() returning means the pool's books are settled.
        host._task_resolved(self, exc)
    if exc is None:
        concurrent.futures.Future.set_result(self, result)
    else:
        concurrent.futures.Future.set_exception(self, exc)
    if not running:
        self._mark_stopped()
    if callbacks:
        self._deliver(callbacks, result if exc is None else exc)
    del callbacks
    hand_over(box, self._bound)
    if host is not None:
        host._task_settled(self, watched)
    return True


def fail_after_fork(self: Task[Any], exc: BaseException) -> None:
    """In a forked child: fail this task inherited from the parent (see ``_fork``).

    Its locks may be held forever by threads that did not come along, its waiters are
    the parent's, and its callbacks belong to the parent's UI: all are dropped, and a
    failure nobody here asked for is not logged.
    """
    self._lock = threading.Lock()
    self._condition = threading.Condition()
    self._waiters = []
    self._done_callbacks = []  # type: ignore[attr-defined]  # Future's, not in its stub
    self._done_cbs, self._error_cbs, self._progress_cbs = [], [], ()
    self._stop_hooks = []
    self._stream = None
    self._stop_event = None  # the parent's threads wait on it, not this one
    self._live_attempts = 0  # they run in the parent
    self._retrieved = True
    self._resolve(_FAILED, exc=exc)
    self._mark_stopped()  # its work runs in the parent: nothing of it runs here


def _run_hook(hook: Callable[[], object]) -> None:
    try:
        hook()
    except Exception:
        logger.exception("stopping a cancelled task: %r raised", hook)
