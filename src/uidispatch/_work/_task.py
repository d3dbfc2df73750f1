"""Task: background work as a Future whose callbacks run on the UI thread.

The public face of a task, and posting one callback to the main thread. Its states and
their transitions are in ``_task_state``, adding and delivering its callbacks in
``_task_callbacks``, ``await task`` in ``_task_wait``. The functions used inside a task
(report_progress, cancelled, check_cancelled) live in ``_context`` and are re-exported here.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import threading
import time
import types
import warnings
import weakref
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._core._errors import TaskCancelled
from .._core._priority import Priority
from . import _task_callbacks, _task_lifecycle, _task_pause, _task_state, _task_wait
from ._context import _current, cancelled, check_cancelled, report_progress
from ._task_callbacks import UNSET as _UNSET
from ._task_callbacks import check_callable as _check_callable
from ._task_state import _CANCELLED, _DONE, _FAILED, _PENDING, _RUNNING, TaskState
from ._task_wait import _WaitTimeout
from ._task_wait import wait_for as _wait_for

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher

__all__ = ["Task", "TaskState", "cancelled", "check_cancelled", "report_progress"]

T = TypeVar("T")
logger = logging.getLogger("uidispatch")

# The pool refers to a joining caller's owner= as a new task does (``_task._weak``).
_weak = _task_callbacks.weak
_ids = itertools.count(1)
_PROGRESS = "uidispatch.progress"


class Task(concurrent.futures.Future[T]):
    """Background work: a :class:`concurrent.futures.Future` whose callbacks run on the UI thread.

    Pools create tasks (:meth:`Pool.submit`); the standard tools work on them
    (``concurrent.futures.wait``, ``as_completed``, ``asyncio.wrap_future``) and
    ``await task`` works inside asyncio and qasync.

    ``on_done(result)``, ``on_error(exception)`` and ``on_progress(value, message)``
    callbacks run on the main thread through the pool's dispatcher, each exactly once,
    whether added before or after the task finished. The Future's own
    ``add_done_callback`` keeps its standard meaning (runs in whichever thread finished
    the task).

    Cancellation and timeouts are cooperative for work already running: the task
    resolves at once (``result()`` raises :class:`~uidispatch.TaskCancelled` or
    :class:`~uidispatch.TaskTimeout`, ``on_error`` gets that exception), the thread
    stops at its next :func:`check_cancelled` or ``yield``, and a late result is
    discarded.
    """

    def __init__(
        self,
        *,
        name: str = "",
        priority: Priority = Priority.NORMAL,
        key: Hashable | None = None,
        owner: object | None = None,
        host: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.id: int = next(_ids)
        """A process-wide unique, increasing number."""
        self.name = name
        """``submit``'s ``name=``, by default the function's qualified name (logs, stats).

        A lambda is named ``<lambda> at BASENAME.py:LINE``; a command its program.
        """
        self.metadata: Mapping[str, Any] = types.MappingProxyType(dict(metadata or {}))
        """``submit``'s ``metadata=``: a read-only copy, for the app's own bookkeeping."""
        self.created_at: float = time.monotonic()
        """When the task was created (``time.monotonic()``)."""
        self.started_at: float | None = None
        """When its first attempt started (``time.monotonic()``), ``None`` until then."""
        self.finished_at: float | None = None
        """When it resolved (``time.monotonic()``), ``None`` until then."""
        self.priority = priority
        """The priority the task was submitted with; callbacks run in that lane too."""
        self.key = key
        """The single-flight ``key`` it was submitted with, or ``None``."""
        self._lock = threading.Lock()
        self._phase = _PENDING
        self._resolved = False
        self._retrieved = False
        self._host = host
        self._owner = _weak(owner)
        self._done_cbs: list[tuple[Callable[[Any], object], Any]] = []
        self._error_cbs: list[tuple[Callable[[BaseException], object], Any]] = []
        # Copied on write, so report_progress reads it without the lock.
        self._progress_cbs: tuple[tuple[Callable[[Any, Any], object], Any], ...] = ()
        self._stop_hooks: list[Callable[[], object]] = []
        # on_start callbacks until the first attempt starts; None from then on.
        self._start_cbs: list[tuple[Callable[[], object], Any]] | None = []
        self._finish_cbs: list[tuple[Callable[[Task[T]], object], Any]] = []
        # Copied on write, so the warnings hook reads it without the lock.
        self._warning_cbs: tuple[tuple[Callable[[Any], object], Any], ...] = ()
        # While the starting thread posts on_start, the outcome's delivery waits here
        # (see _task_state.start): on_start is always posted before on_done / on_finish.
        self._deferred: list[Callable[[], object]] | None = None
        self._paused = False
        self._unpaused: threading.Event | None = None  # made by the first pause()
        self._pause_wakers: list[Callable[[], object]] = []  # paused coroutines' wake-ups
        self._progress: tuple[Any, str | None] | None = None
        self._job: Any = None  # the pool's record of how to run this task
        self._stream: Any = None  # an ItemStream once on_item= is given
        self._scope: Any = None  # a ScopeLink when an operation made it (_operation_scope)
        self._stopped = False  # resolved, and no attempt of its work is running any more
        # Attempts whose work is still running, an abandoned one (past its attempt_timeout)
        # included: wait_stopped() waits for each, not only for the last.
        self._live_attempts = 0
        self._stop_event: threading.Event | None = None
        # The dispatcher this task delivers to, weakly: bound once (now when its pool has
        # an open one), so callbacks of a task whose app ended are dropped, never handed
        # to a later app or turned into a lookup error per progress report.
        bound = getattr(host, "_dispatcher", None)
        self._bound: weakref.ref[Dispatcher] | None = (
            weakref.ref(bound) if bound is not None and not bound.closed else None
        )

    # ------------------------------------------------------------------ inspection

    @property
    def state(self) -> TaskState:
        """The current :class:`TaskState`. Any thread."""
        return self._phase

    @property
    def progress(self) -> tuple[Any, str | None] | None:
        """The latest ``(value, message)`` reported, or ``None``. Any thread."""
        return self._progress

    @classmethod
    def current(cls) -> Task[Any] | None:
        """The task whose work runs in this thread (or coroutine), or ``None`` outside one.

        Hand it to helper threads you start inside a task: they can call
        :meth:`report_progress` and check :meth:`done` (true once cancelled or timed out).
        """
        return _current.get()

    def cancelled(self) -> bool:
        """True when the task was cancelled (not when it timed out: that is ``FAILED``)."""
        return self._phase is _CANCELLED

    def running(self) -> bool:
        """True while the task's function runs (between retries it is ``PENDING``)."""
        return self._phase is _RUNNING

    def __repr__(self) -> str:
        return f"<uidispatch.Task {self._label()} {self._phase.value}>"

    def _label(self) -> str:
        return f"task #{self.id} {self.name}" if self.name else f"task #{self.id}"

    # ------------------------------------------------------------------ results

    def result(self, timeout: float | None = None) -> T:
        """Wait for the task and return its result. Any thread.

        On the main thread it blocks the UI: prefer ``on_done`` or ``await task`` there.

        Raises:
            TaskCancelled: the task was cancelled.
            TaskTimeout: the task ran past its own ``timeout``.
            TimeoutError: ``timeout`` seconds passed first (the task keeps going).
            Exception: whatever the task's function raised.

        """
        self._retrieved = True
        try:
            return super().result(_wait_for(timeout))
        except concurrent.futures.TimeoutError:
            if self.done():  # raised by the function itself, not by the wait
                raise
            raise _WaitTimeout(
                f"{self!r} did not finish within timeout={timeout} (it keeps running)"
            ) from None
        finally:
            # The raised exception's traceback holds this frame, and the task holds the
            # exception: naming the task here would be a cycle keeping both alive.
            del self

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Wait for the task; return the exception it failed with, or ``None``. Any thread.

        Raises:
            TaskCancelled: the task was cancelled (as ``Future.exception`` does).
            TimeoutError: ``timeout`` seconds passed first.

        """
        self._retrieved = True
        try:
            exc = super().exception(_wait_for(timeout))
        except concurrent.futures.TimeoutError:
            raise _WaitTimeout(f"{self!r} did not finish within timeout={timeout}") from None
        if self._phase is _CANCELLED and exc is not None:
            del self  # exc's traceback will hold this frame; the task holds exc
            raise exc
        return exc

    def add_done_callback(self, fn: Callable[[concurrent.futures.Future[T]], object]) -> None:
        """Standard ``Future.add_done_callback``: ``fn(task)`` in the thread that finished it."""
        self._retrieved = True
        super().add_done_callback(fn)

    # ``await task``: written in _task_wait with the machinery that orders it after the
    # task's callbacks.
    __await__ = _task_wait.await_task

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Wait until the task finished *and* its work stopped running; True if it did.

        :meth:`result`, ``await task`` and ``on_error`` return as soon as a running task
        is cancelled or times out, while its thread runs on to its next
        :func:`check_cancelled` or ``yield`` (and its ``finally`` blocks). Call this
        before touching what the work touches (delete the file it writes, reuse its
        connection). A task that never started has stopped once it finished. Returns
        ``False`` when ``timeout`` seconds passed first. Any thread but the task's own;
        in asyncio, ``await loop.run_in_executor(None, task.wait_stopped)``.
        """
        with self._lock:
            if self._stopped:
                return True
            if self._stop_event is None:
                self._stop_event = threading.Event()
            event = self._stop_event
        return event.wait(timeout)

    # ------------------------------------------------------------------ control

    def cancel(self) -> bool:
        """Cancel the task: it resolves at once. Any thread; idempotent.

        A queued task never starts; a running one is told to stop (its thread stops at
        the next :func:`check_cancelled` or ``yield``; a coroutine gets
        ``asyncio.CancelledError``; a command's process tree is terminated) and its late
        result is discarded. ``on_error`` callbacks receive the
        :class:`~uidispatch.TaskCancelled`. Returns ``False`` when the task had already
        finished otherwise; ``True`` when it is (or already was) cancelled, as
        ``concurrent.futures.Future.cancel`` does.
        """
        if self._resolve(_CANCELLED, exc=TaskCancelled(f"{self._label()} was cancelled")):
            return True
        return self._phase is _CANCELLED

    def report_progress(self, value: object, message: str | None = None) -> None:
        """Report progress for this task; see :func:`uidispatch.report_progress`. Any thread."""
        if self._resolved:
            return
        self._progress = (value, message)
        callbacks = self._progress_cbs
        if callbacks:
            for index, (cb, owner) in enumerate(callbacks):
                self._post(cb, value, message, owner=owner, key=(_PROGRESS, self.id, index))
        if self._paused:
            self._pause_point()

    def on_start(self, callback: Callable[[], object], *, owner: object = _UNSET) -> Task[T]:
        """Run ``callback()`` on the main thread when the task's first attempt starts.

        Retries do not call it again. Added after the start, it still runs once (soon,
        through the dispatcher); a task that ended before it started (cancelled while
        queued, refused by an open breaker) never calls it. It runs before the task's
        other callbacks. ``owner`` (default: the task's) skips it when that widget is
        gone. Any thread. Returns the task, for chaining.
        """
        _task_lifecycle.add_start(self, callback, owner)
        return self

    def on_finish(
        self, callback: Callable[[Task[T]], object], *, owner: object = _UNSET
    ) -> Task[T]:
        """Run ``callback(task)`` on the main thread once the task ended, whatever the outcome.

        Done, failed, timed out, cancelled (a task replaced by ``if_running`` included)
        or refused by an open breaker: it runs after that outcome's ``on_done`` or
        ``on_error`` callbacks, with the finished task (read ``task.state``,
        ``task.exception()``). The place for what must happen either way: re-enable a
        button, hide a spinner. It does not count as looking at a failure (add
        ``on_error`` for that). Added after the fact, it runs once, soon. Any thread.
        Returns the task.
        """
        _task_lifecycle.add_finish(self, callback, owner)
        return self

    def on_warning(
        self, callback: Callable[[warnings.WarningMessage], object], *, owner: object = _UNSET
    ) -> Task[T]:
        """Run ``callback(message)`` on the main thread for each warning the work shows.

        ``message`` is a :class:`warnings.WarningMessage` (``.message``, ``.category``,
        ``.filename``, ``.lineno``). Warnings raised in the task's own thread (or
        coroutine) from now until it ends come here instead of being printed; those of
        other threads are left alone. The warnings filters still decide which warnings
        are shown at all: by default one location warns once per process, and a
        ``DeprecationWarning`` outside ``__main__`` never; ``warnings.simplefilter("always")``
        shows every one. Any thread. Returns the task.

        Raises:
            ValueError: the task runs on an executor, whose threads this cannot watch.

        """
        _task_lifecycle.add_warning(self, callback, owner)
        return self

    def on_done(self, callback: Callable[[T], object], *, owner: object = _UNSET) -> Task[T]:
        """Run ``callback(result)`` on the main thread once the task succeeds. Any thread.

        Added after the task succeeded, it still runs once (soon, through the
        dispatcher). ``owner`` (default: the task's) skips it when that widget is gone.
        Returns the task, for chaining.
        """
        return self._add(self._done_cbs, callback, owner, "on_done", _DONE)

    def on_error(
        self, callback: Callable[[BaseException], object], *, owner: object = _UNSET
    ) -> Task[T]:
        """Run ``callback(exception)`` on the main thread once the task fails or is cancelled.

        It receives what :meth:`result` would raise: the function's exception,
        :class:`~uidispatch.TaskTimeout` or :class:`~uidispatch.TaskCancelled`. Any
        thread; runs once even when added after the fact. Returns the task.
        """
        self._retrieved = True
        return self._add(self._error_cbs, callback, owner, "on_error", _FAILED)

    def on_progress(
        self, callback: Callable[[Any, str | None], object], *, owner: object = _UNSET
    ) -> Task[T]:
        """Run ``callback(value, message)`` on the main thread for progress reports.

        Coalesced latest-wins: while one report waits for the main thread a newer one
        replaces it, so a fast worker never floods the UI; the last report before the
        task finishes runs before ``on_done``. Any thread. Returns the task.

        Raises:
            ValueError: the task runs on an executor that cannot report progress.

        """
        _check_callable("on_progress", callback)
        host = self._host
        if host is not None and not host._supports_progress:
            raise ValueError(host._no_progress_message("on_progress="))
        _task_callbacks.bind_now(self)
        entry = (callback, self._owner if owner is _UNSET else _weak(owner))
        with self._lock:
            if not self._resolved:
                self._progress_cbs = (*self._progress_cbs, entry)
        return self

    def pause(self) -> bool:
        """Hold the task's work at its next pause point until :meth:`resume`. Any thread.

        The pause points are the work's own calls: a generator's ``yield`` (once the
        yielded value is delivered), :func:`~uidispatch.report_progress` and
        :func:`~uidispatch.emit` (once they delivered), and
        :func:`~uidispatch.check_cancelled`, in the task's own thread. Work between
        them runs on; a task not started yet starts and stops at its first one. Cancel
        still wins: a cancel (or ``timeout``) while paused ends the task at once and
        wakes the work, which stops as a cancelled task's does (``check_cancelled``,
        ``emit`` and the ``yield`` raise or close there; ``report_progress`` returns,
        as it does after any cancel). Time keeps running while paused (``timeout`` and
        ``attempt_timeout`` count it). A coroutine task pauses at an async
        generator's ``yield`` only: waiting inside ``check_cancelled`` would stall
        every coroutine of the pool's loop. Work on a pool's ``executor=`` never
        reaches a pause point.

        Returns ``True`` when the task is paused now, ``False`` (and does nothing) when
        it had already finished.
        """
        return _task_pause.pause(self)

    def resume(self) -> None:
        """Let paused work go on from where it stopped. Any thread; idempotent.

        Does nothing for a task that is not paused (a finished one included).
        """
        _task_pause.resume(self)

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume` while the task has not ended."""
        return self._paused

    # ------------------------------------------------------------------ pool side

    # The transitions (in _task_state) and the callbacks' plumbing (in _task_callbacks),
    # written there as functions of ``self`` and bound here as this class's own methods:
    # a call costs what it did when they were defined here (no wrapper in between).
    _start = _task_state.start
    _requeue = _task_state.requeue
    _add_stop_hook = _task_state.add_stop_hook
    _resolve = _task_state.resolve
    _mark_stopped = _task_state.mark_stopped
    _fail_after_fork = _task_state.fail_after_fork
    _add = _task_callbacks.add
    _deliver = _task_callbacks.deliver
    _dropped = _task_callbacks.dropped
    _count_dropped = _task_callbacks.count_dropped
    _dispatcher = _task_callbacks.dispatcher
    _warned = _task_lifecycle.warned
    _post = _task_callbacks.post
    # A failure nobody looked at must still reach a human (as asyncio does).
    __del__ = _task_callbacks.report_unretrieved
    _pause_point = _task_pause.pause_point

    def set_result(self, result: T) -> None:
        """Resolve the task with ``result`` (for executors; pools do it for you)."""
        if not self._resolve(_DONE, result=result):
            raise concurrent.futures.InvalidStateError(f"{self!r} is already finished")

    def set_exception(self, exception: BaseException | None) -> None:
        """Fail the task with ``exception`` (for executors; pools do it for you)."""
        exc = exception if exception is not None else RuntimeError("failed")
        state = _CANCELLED if isinstance(exc, TaskCancelled) else _FAILED
        if not self._resolve(state, exc=exc):
            raise concurrent.futures.InvalidStateError(f"{self!r} is already finished")
