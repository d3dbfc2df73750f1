"""Inside a task: which task runs here, its progress reports and cooperative cancellation."""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

from .._core._errors import TaskCancelled

if TYPE_CHECKING:
    from ._task import Task

__all__ = ["StopFlag", "cancelled", "check_cancelled", "emit", "report_progress"]

# A context variable, not a thread-local: coroutines sharing the pool's loop thread each
# see their own task (every asyncio task runs in its own copy of the context).
_current: contextvars.ContextVar[Task[Any] | None] = contextvars.ContextVar(
    "uidispatch_current_task", default=None
)


class StopFlag:
    """Set when the attempt running in this context ran past its ``attempt_timeout``."""

    __slots__ = ("stopped",)

    def __init__(self) -> None:
        self.stopped = False


# Per attempt, not per task: a retry of the same task must not see its predecessor's stop.
_attempt_stop: contextvars.ContextVar[StopFlag | None] = contextvars.ContextVar(
    "uidispatch_attempt_stop", default=None
)


def report_progress(value: object, message: str | None = None) -> None:
    """Report progress from inside a task: ``on_progress(value, message)`` on the main thread.

    Call it from the task's own thread (or coroutine). Reports are coalesced latest-wins,
    so calling it in a tight loop is cheap and never floods the UI. After the task was
    cancelled or timed out it does nothing. While the task is paused (:meth:`Task.pause`)
    it waits here, after reporting, until resumed or cancelled. From a helper thread you
    started yourself, use ``Task.current()`` in the task and call ``task.report_progress``
    on it.

    Raises:
        RuntimeError: not inside a pool task (progress would have nowhere to go).

    """
    task = _current.get()
    if task is None:
        raise RuntimeError(
            "report_progress() called outside a pool task; call it from the function "
            "submitted to a Pool (from a thread you started, use task.report_progress() on "
            "the task from uidispatch.Task.current())"
        )
    task.report_progress(value, message)


def emit(item: object) -> None:
    """Send ``item`` from inside a task to its ``on_item`` callbacks on the main thread.

    Every item arrives, in order (items are never coalesced, unlike progress), in
    batches of one post per UI turn. With ``submit(..., max_buffered=n)`` a producer
    thread that is ``n`` items ahead of the UI waits here for room. While the task is
    paused (:meth:`Task.pause`) a thread waits here, after sending, until resumed or
    cancelled. Call it from the task's own thread or coroutine (a coroutine never waits).

    Raises:
        RuntimeError: not inside a pool task, or the task has no ``on_item`` callback
            (the item would have nowhere to go).
        TaskCancelled: the task was cancelled or timed out: stop producing.

    """
    task = _current.get()
    if task is None:
        raise RuntimeError(
            "emit() called outside a pool task; call it from the function submitted to a "
            "Pool with on_item="
        )
    stream = task._stream
    if stream is None:
        check_cancelled()  # a finished task lets its stream go
        raise RuntimeError(
            f"emit() in {task._label()}, which has no on_item callback: submit it with "
            "on_item= (report_progress() is for a latest-wins progress value)"
        )
    stream.emit(item)
    if task._paused:
        task._pause_point()
        check_cancelled()  # cancelled while paused: stop producing


def cancelled() -> bool:
    """True when the task running in this thread (or coroutine) should stop.

    That is, it was cancelled or ran past its ``timeout``, or this attempt ran past its
    ``attempt_timeout``. ``False`` outside a task, so code shared with non-task callers
    can check it freely. Any thread.
    """
    task = _current.get()
    if task is None:
        return False
    stop = _attempt_stop.get()
    return task._resolved or (stop is not None and stop.stopped)


def check_cancelled() -> None:
    """Raise :class:`~uidispatch.TaskCancelled` when the current task should stop.

    The cooperative cancellation point for work running on a thread: call it between
    steps. It raises for a task that was cancelled or timed out (the task has already
    resolved; what the function raises afterwards is discarded), or whose attempt ran past
    its ``attempt_timeout`` (the pool already counted the attempt as failed and retries
    it on another thread; this one's outcome is discarded). While the task is paused
    (:meth:`Task.pause`) it first waits until resumed or cancelled (on a thread; a
    coroutine never waits here). Outside a task it does nothing.
    """
    task = _current.get()
    if task is None:
        return
    if task._paused:
        task._pause_point()
    if task._resolved:
        raise TaskCancelled(f"{task._label()} should stop: it was {task._phase.value}")
    stop = _attempt_stop.get()
    if stop is not None and stop.stopped:
        raise TaskCancelled(f"{task._label()} should stop: its attempt ran past attempt_timeout")
