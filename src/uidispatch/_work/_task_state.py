"""A task's state machine: :class:`TaskState` and the transitions between the states.

The transitions are :class:`~uidispatch.Task`'s own private methods, written here as
functions of ``self`` and bound in the class body (``_resolve = _task_state.resolve``): a
call costs what a method defined in ``_task`` costs.
"""

from __future__ import annotations

import concurrent.futures
import enum
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._core._errors import TaskTimeout
from .._core._release import hand_over
from . import _task_warnings

if TYPE_CHECKING:
    from ._task import Task

__all__ = [
    "TaskState",
    "add_stop_hook",
    "fail_after_fork",
    "mark_stopped",
    "requeue",
    "resolve",
    "start",
]

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
    """PENDING -> RUNNING; False when the task was resolved meanwhile.

    The first start posts the ``on_start`` callbacks (from the starting thread). A cancel
    racing it from another thread must not post its outcome's callbacks before them: while
    they are being posted, ``resolve`` leaves its delivery here, and this thread posts it
    right after. Nobody waits for anybody (the posting thread may wait for room in the
    main thread's queue, and the main thread may be the one cancelling).
    """
    with self._lock:
        if self._resolved:
            return False
        self._phase = _RUNNING
        if self.started_at is not None:
            return True
        self.started_at = time.monotonic()
        starting, self._start_cbs = self._start_cbs, None
        if not starting:
            return True
        self._deferred = []
    try:
        for cb, owner in starting:
            self._post(cb, owner=owner)
    finally:
        with self._lock:
            deferred, self._deferred = self._deferred, None
        for tail in deferred or ():
            tail()
        del deferred
        hand_over([starting], self._bound)  # widgets' callbacks: dropped on the main thread
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
        finish = self._finish_cbs
        watched = bool(callbacks or finish or self._progress_cbs) or self._stream is not None
        warned = bool(self._warning_cbs)
        # The app's callbacks (and a stream's owner) often name a widget: dropped on
        # the main thread (see _release), whichever thread resolves the task.
        box = [
            self._done_cbs,
            self._error_cbs,
            self._progress_cbs,
            self._stream,
            self._finish_cbs,
            self._warning_cbs,
            self._start_cbs,
        ]
        self._done_cbs, self._error_cbs, self._progress_cbs = [], [], ()
        self._finish_cbs, self._warning_cbs = [], ()
        if self._start_cbs is not None:
            self._start_cbs = []  # it never started: its on_start callbacks never run
        self._stream = None  # a batch on its way keeps it; no task<->stream cycle stays
        # Cancel (or any end) wins over a pause: the paused work wakes and stops.
        self._paused = False
        unpaused, wakers, self._pause_wakers = self._unpaused, self._pause_wakers, []
    if unpaused is not None:
        unpaused.set()
    for wake in wakers:
        _run_hook(wake)
    if warned:
        _task_warnings.unwatch()
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
    # The locals go into ``parts``: the callbacks must be released by hand_over alone.
    parts: list[Any] = [callbacks, finish, box]
    del callbacks, finish, box
    tail = functools.partial(_deliver_outcome, self, parts, result if exc is None else exc, watched)
    with self._lock:
        if self._deferred is not None:  # on_start is being posted: the starter posts this
            self._deferred.append(tail)
            return True
    tail()
    return True


def _deliver_outcome(self: Task[Any], parts: list[Any], value: Any, watched: bool) -> None:
    """Post the outcome's callbacks (``on_done`` or ``on_error``, then ``on_finish``)."""
    callbacks, finish, box = parts
    parts.clear()
    if callbacks:
        self._deliver(callbacks, value)
    if finish:
        self._deliver(finish, self)
    del callbacks, finish
    hand_over(box, self._bound)
    host = self._host
    if host is not None:
        host._task_settled(self, watched)


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
    self._finish_cbs, self._start_cbs = [], []
    # _warning_cbs stay: resolving uncounts the task from the warnings hook's watchers.
    self._deferred = None  # a parent's thread was posting on_start: it is not here
    self._unpaused, self._pause_wakers = None, []  # paused work runs in the parent
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


def mark_stopped(self: Task[Any]) -> None:
    """The work is not running (any more); wake ``wait_stopped()``.

    Not while an attempt still runs: the end of the last one calls this again.
    """
    with self._lock:
        if self._live_attempts:
            return
        self._stopped = True
        event = self._stop_event
    if event is not None:
        event.set()
