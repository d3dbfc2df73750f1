"""Task and TaskState: background work as a Future whose callbacks run on the UI thread.

The functions used inside a task (report_progress, cancelled, check_cancelled) live in
``_context`` and are re-exported here.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import enum
import itertools
import logging
import sys
import threading
import time
import types
import weakref
from collections.abc import Callable, Generator, Hashable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._core._errors import DispatcherClosed, TaskCancelled, TaskTimeout
from .._core._options import CALLBACK_WAY_OUT, check_callback, owner_error, thread_wait
from .._core._priority import Priority
from .._core._registry import get_dispatcher
from .._core._release import hand_over
from ._context import _current, cancelled, check_cancelled, report_progress

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher

__all__ = ["Task", "TaskState", "cancelled", "check_cancelled", "report_progress"]

T = TypeVar("T")
logger = logging.getLogger("uidispatch")

_ids = itertools.count(1)
_PROGRESS = "uidispatch.progress"
_UNSET: Any = object()

# Set by the pool's exit hook: while the interpreter shuts down no callback is posted,
# because a toolkit may already be half torn down.
exiting = False

if sys.version_info >= (3, 11):
    _WaitTimeout: type[Exception] = concurrent.futures.TimeoutError
else:  # pragma: no cover - 3.10 only

    class _WaitTimeout(concurrent.futures.TimeoutError, TimeoutError):
        """``result(timeout)`` expired: both the futures and the builtin ``TimeoutError``."""


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
        """``submit``'s ``name=``, by default the function's qualified name (logs, stats)."""
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
        self._progress: tuple[Any, str | None] | None = None
        self._job: Any = None  # the pool's record of how to run this task
        self._stream: Any = None  # an ItemStream once on_item= is given
        self._stopped = False  # resolved, and no attempt of its work is running any more
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

    def __await__(self) -> Generator[Any, None, T]:
        """``await task`` inside a running asyncio (or qasync) loop.

        Raises what :meth:`result` raises. Cancelling the awaiting coroutine cancels the
        task, as ``asyncio.wrap_future`` does.
        """
        import asyncio

        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._retrieved = True

        def settle() -> None:  # on the loop's thread
            if waiter.done():
                return
            exc = concurrent.futures.Future.exception(self)
            if exc is None:
                waiter.set_result(concurrent.futures.Future.result(self))
            else:
                waiter.set_exception(exc)

        def finished(_: object) -> None:  # any thread
            if not loop.is_closed():
                # Closed meanwhile: nobody is waiting any more.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(settle)

        def abandoned(fut: asyncio.Future[T]) -> None:
            if fut.cancelled():
                self.cancel()

        waiter.add_done_callback(abandoned)
        host = self._host
        d = getattr(host, "_dispatcher", None) if host is not None else None
        if d is not None and not d.closed and _drives(d, loop):
            # This loop drains the task's dispatcher (the asyncio backend on this loop,
            # qasync): resume only after the callbacks added so far ran, by queueing the
            # resumption behind them in the task's lane. Resuming straight from the
            # worker raced them under qasync (issue 14: 1 run in 20 resumed before
            # on_done). Any other loop resumes straight away: it may never see a drain.
            resume = _Resume(loop, settle)
            self._add(self._done_cbs, resume, None, "await", _DONE)
            self._add(self._error_cbs, resume, None, "await", _FAILED)
            del resume  # only the task (then the dispatcher's queue) may hold it
        else:
            concurrent.futures.Future.add_done_callback(self, finished)
        return (yield from waiter)

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

    def _mark_stopped(self) -> None:
        """The work is not running (any more); wake :meth:`wait_stopped`."""
        with self._lock:
            self._stopped = True
            event = self._stop_event
        if event is not None:
            event.set()

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
        if not callbacks:
            return
        for index, (cb, owner) in enumerate(callbacks):
            self._post(cb, value, message, owner=owner, key=(_PROGRESS, self.id, index))

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
        entry = (callback, self._owner if owner is _UNSET else _weak(owner))
        with self._lock:
            if not self._resolved:
                self._progress_cbs = (*self._progress_cbs, entry)
        return self

    # ------------------------------------------------------------------ pool side

    def _add(
        self, cbs: list[Any], callback: Any, owner: object, what: str, when: TaskState
    ) -> Task[T]:
        _check_callable(what, callback)
        entry = (callback, self._owner if owner is _UNSET else _weak(owner))
        with self._lock:
            if not self._resolved:
                cbs.append(entry)
                return self
        phase = self._phase
        if phase is when or (when is _FAILED and phase is _CANCELLED):
            self._deliver(
                [entry],
                concurrent.futures.Future.exception(self)
                if when is _FAILED
                else concurrent.futures.Future.result(self),
            )
        return self

    def _start(self) -> bool:
        """PENDING -> RUNNING; False when the task was resolved meanwhile."""
        with self._lock:
            if self._resolved:
                return False
            self._phase = _RUNNING
            if self.started_at is None:
                self.started_at = time.monotonic()
            return True

    def _requeue(self) -> None:
        with self._lock:
            if not self._resolved:
                self._phase = _PENDING

    def _add_stop_hook(self, hook: Callable[[], object]) -> None:
        """Call ``hook()`` when the task is cancelled or times out (now, if it already was)."""
        with self._lock:
            if not self._resolved:
                self._stop_hooks.append(hook)
                return
            stopped = self._phase is _CANCELLED or isinstance(self._exception, TaskTimeout)
        if stopped:
            _run_hook(hook)

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

    def _resolve(
        self, state: TaskState, *, result: Any = None, exc: BaseException | None = None
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

    def _fail_after_fork(self, exc: BaseException) -> None:
        """In a forked child: fail this task inherited from the parent (see ``_fork``).

        Its locks may be held forever by threads that did not come along, its waiters are
        the parent's, and its callbacks belong to the parent's UI: all are dropped, and a
        failure nobody here asked for is not logged.
        """
        self._lock = threading.Lock()
        self._condition = threading.Condition()
        self._waiters: list[Any] = []
        self._done_callbacks: list[Any] = []
        self._done_cbs, self._error_cbs, self._progress_cbs = [], [], ()
        self._stop_hooks = []
        self._stream = None
        self._stop_event = None  # the parent's threads wait on it, not this one
        self._retrieved = True
        self._resolve(_FAILED, exc=exc)
        self._mark_stopped()  # its work runs in the parent: nothing of it runs here

    def _deliver(self, callbacks: list[tuple[Callable[[Any], object], Any]], value: Any) -> None:
        for cb, owner in callbacks:
            self._post(cb, value, owner=owner)

    def _post(self, cb: Callable[..., object], *args: Any, owner: Any, key: Any = None) -> None:
        """Post ``cb(*args)`` to the main thread; a callback with a dead owner is skipped."""
        if exiting:
            return
        target = None
        if owner is not None:
            target = owner()
            if target is None:
                self._dropped(cb)
                return
        try:
            d = self._dispatcher()
            d.call_soon(cb, *args, priority=self.priority, key=key, owner=target)
        except DispatcherClosed:
            self._dropped(cb)
            logger.debug("%r: its app is gone, callback %r dropped", self, cb)
        except Exception:
            self._dropped(cb)
            logger.exception("%r: could not deliver callback %r to the main thread", self, cb)

    def _dropped(self, cb: object) -> None:
        self._count_dropped()
        if type(cb) is _Resume:  # an ``await`` must not wait for the main thread's release
            cb.abandon()

    def _count_dropped(self) -> None:
        count = getattr(self._host, "_callback_dropped", None)
        if count is not None:
            count()

    def _dispatcher(self) -> Dispatcher:
        bound = self._bound
        if bound is not None:
            d = bound()
            if d is None:
                raise DispatcherClosed(f"{self!r}: its dispatcher is gone")
            return d
        host = self._host
        d = host._get_dispatcher() if host is not None else get_dispatcher()
        if not d.closed:
            self._bound = weakref.ref(d)
        return d

    def __del__(self) -> None:
        # A failure nobody looked at must still reach a human (as asyncio does).
        try:
            if self._phase is _FAILED and not self._retrieved and not exiting:
                exc = self._exception
                if exc is not None:
                    logger.error(
                        "%r failed and nobody retrieved the exception (add on_error=)",
                        self,
                        exc_info=(type(exc), exc, exc.__traceback__),
                    )
        except Exception:  # pragma: no cover - interpreter teardown
            pass


def _drives(d: Dispatcher, loop: Any) -> bool:
    """True when running ``loop`` is what runs ``d``'s drains (so queueing on ``d`` is safe)."""
    backend = d.backend
    if getattr(backend, "loop", None) is loop:  # the asyncio backend bound to this loop
        return True
    # qasync's loop is the Qt event loop itself: the Qt backend's drains run while it runs.
    return (
        backend.name == "qt"
        and type(loop).__module__.partition(".")[0] == "qasync"
        and d.is_main_thread()
    )


class _Resume:
    """Resumes an ``await task`` from the main thread, after the task's earlier callbacks.

    Registered as the task's last ``on_done`` and ``on_error``: the drain runs it after
    the callbacks queued before it. If the dispatcher drops it instead (closed, overflow,
    no dispatcher) the last reference goes and ``__del__`` resumes the coroutine anyway,
    so an ``await`` never hangs on a dispatcher. It holds no reference to the task.
    """

    __slots__ = ("_loop", "_settle", "_thread")

    def __init__(self, loop: Any, settle: Callable[[], None]) -> None:
        self._loop: Any = loop
        self._settle: Callable[[], None] | None = settle
        self._thread = threading.get_ident()

    def __call__(self, _outcome: object) -> None:
        settle, self._settle = self._settle, None
        if settle is None:
            return
        if threading.get_ident() == self._thread:
            settle()  # the coroutine resumes on a later loop turn, after this drain
        else:  # the task was delivered through another dispatcher since
            self._wake(settle)

    def _wake(self, settle: Callable[[], None]) -> None:
        loop = self._loop
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile: nobody waits
                loop.call_soon_threadsafe(settle)

    def abandon(self) -> None:
        """Resume the coroutine now: the dispatcher refused this call."""
        settle = self._settle
        if settle is not None:
            self._settle = None
            self._wake(settle)

    __del__ = abandon


def _weak(owner: object) -> Any:
    if owner is None:
        return None
    try:
        return weakref.ref(owner)
    except TypeError:
        raise owner_error(owner) from None


def _wait_for(timeout: float | None) -> float | None:
    # Condition.wait raises OverflowError past threading.TIMEOUT_MAX: a wait that long is
    # "practically never", so it waits without a timeout (result(timeout=1e10) works).
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return thread_wait(timeout)
    return timeout


def _check_callable(what: str, cb: object) -> None:
    check_callback(what, cb, CALLBACK_WAY_OUT)


def _run_hook(hook: Callable[[], object]) -> None:
    try:
        hook()
    except Exception:
        logger.exception("stopping a cancelled task: %r raised", hook)
