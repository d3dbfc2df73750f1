"""Running one attempt of a task: plain functions, generators and coroutines."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import inspect
import types
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from .._core._errors import TaskCancelled
from .._core._release import hand_over
from . import _task_warnings
from ._context import StopFlag, _attempt_stop, _current
from ._task import Task

if TYPE_CHECKING:
    from .._core._timers import TimerHandle
    from ._loopthread import LoopThread

__all__ = [
    "Job",
    "Kind",
    "backoff_delay",
    "kind_of",
    "remote_call",
    "run_coroutine",
    "run_in_thread",
]

MAX_BACKOFF = 60.0
"""The longest wait between two attempts, in seconds, however many retries."""


class Kind(enum.Enum):
    """How a submitted callable runs."""

    SYNC = "function"
    GENERATOR = "generator function"
    COROUTINE = "coroutine function"
    ASYNCGEN = "async generator function"


class Where(enum.Enum):
    """Where a job is in the pool."""

    NONE = 0
    QUEUED = 1
    DELAYED = 2  # waiting out a retry backoff
    STARTED = 3
    LIMITED = 4  # waiting for a RateLimiter's call


_BUILTINS = (types.BuiltinFunctionType, types.BuiltinMethodType, types.MethodWrapperType)
_FLAGS = (
    (inspect.CO_COROUTINE, Kind.COROUTINE),
    (inspect.CO_ASYNC_GENERATOR, Kind.ASYNCGEN),
    (inspect.CO_GENERATOR, Kind.GENERATOR),
)


def kind_of(fn: Callable[..., Any]) -> Kind:
    """Classify ``fn`` (``functools.partial`` and async ``__call__`` included)."""
    # Fast paths, as submit is a hot path: the inspect predicates cost ~10 us per call.
    if isinstance(fn, _BUILTINS):
        return Kind.SYNC
    if isinstance(fn, (types.FunctionType, types.MethodType)) and not hasattr(
        fn, "_is_coroutine_marker"
    ):
        flags = fn.__code__.co_flags
        for flag, kind in _FLAGS:
            if flags & flag:
                return kind
        return Kind.SYNC
    candidates: list[Any] = [fn]
    if not inspect.isroutine(fn) and not isinstance(fn, functools.partial):
        candidates.append(getattr(type(fn), "__call__", None))  # noqa: B004
    for candidate in candidates:
        if inspect.iscoroutinefunction(candidate):
            return Kind.COROUTINE
        if inspect.isasyncgenfunction(candidate):
            return Kind.ASYNCGEN
        if inspect.isgeneratorfunction(candidate):
            return Kind.GENERATOR
    return Kind.SYNC


class Job:
    """The pool's record of one task: what to run, how often to retry, where it is."""

    __slots__ = (
        "admitted",
        "args",
        "attempt",
        "attempt_cancel",
        "attempt_handle",
        "attempt_timeout",
        "backoff",
        "breaker",
        "entered",
        "expires",
        "fn",
        "kind",
        "limiter",
        "op",
        "retries",
        "retry_handle",
        "retry_on",
        "settled",
        "stamp",
        "stop",
        "task",
        "timeout",
        "timeout_handle",
        "token",
        "ttl",
        "waiter",
        "where",
    )

    def __init__(
        self,
        task: Task[Any],
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kind: Kind,
        *,
        retries: int,
        backoff: float,
        retry_on: tuple[type[BaseException], ...],
        timeout: float | None,
        ttl: float | None,
        stamp: float,
    ) -> None:
        self.task = task
        self.fn = fn
        self.args = args
        self.kind = kind
        self.retries = retries
        self.backoff = backoff
        self.retry_on = retry_on
        self.timeout = timeout
        self.ttl = ttl
        self.stamp = stamp
        self.attempt = 0
        self.entered = False  # a coroutine attempt is inside the function now
        self.where = Where.NONE
        self.expires: float | None = None
        self.timeout_handle: TimerHandle | None = None
        self.retry_handle: TimerHandle | None = None
        self.op: Any = None  # its _opstats.Operation
        # Services (set by submit when asked for): see _ratelimit and _breaker.
        self.limiter: Any = None
        self.token: Any = None
        self.waiter: Any = None
        self.breaker: Any = None
        self.admitted = 0
        # attempt_timeout: the attempt last ended (by its result or its deadline), the
        # deadline's timer, and how to stop the attempt running now.
        self.attempt_timeout: float | None = None
        self.settled = 0
        self.attempt_handle: TimerHandle | None = None
        self.stop: StopFlag | None = None
        self.attempt_cancel: Callable[[], object] | None = None

    def release(self) -> None:
        """Drop the function and arguments once the task has ended. Any thread.

        A finished task may live long (kept in a list, a ``ttl`` cache); what it was
        submitted with must not: its result or exception is all it keeps. They are dropped
        on the main thread (see ``_release``): a bound method of a window the app closed
        meanwhile must not be freed on a worker.
        """
        box = [self.fn, self.args]
        self.fn = _released
        self.args = ()
        hand_over(box, self.task._bound)


def _released(*_: object) -> None:
    # Only reached by an attempt that started as its task was cancelled: the outcome of
    # that attempt is discarded anyway.
    raise TaskCancelled("the task ended before this attempt started")


def backoff_delay(attempt: int, base: float, rand: float) -> float:
    """The wait before retry number ``attempt`` (1-based): exponential with jitter.

    ``base * 2 ** (attempt - 1)``, capped at :data:`MAX_BACKOFF`, of which a random half
    (``rand`` in [0, 1)) is kept or not ("equal jitter"): retries of many tasks that
    failed together spread out instead of hammering the service in lockstep.
    """
    if base <= 0:
        return 0.0
    full = min(MAX_BACKOFF, base * 2.0 ** min(attempt - 1, 62))
    return full / 2 + full / 2 * rand


def run_in_thread(job: Job, loop: LoopThread) -> tuple[bool, Any]:
    """Run a plain or generator function on this (worker) thread: ``(ok, value)``."""
    task = job.task
    token = _current.set(task)
    stop = job.stop
    stop_token = _attempt_stop.set(stop) if stop is not None else None
    if task._warning_cbs:
        _task_warnings.ensure()
    try:
        if job.kind is Kind.GENERATOR:
            value = _drive(task, job.fn(*job.args), stop)
        else:
            value = job.fn(*job.args)
            if inspect.iscoroutine(value):  # a plain function that returned a coroutine
                future = loop.submit(_in_context(task, value))
                task._add_stop_hook(future.cancel)
                value = future.result()
        return True, value
    except BaseException as exc:
        # The task keeps exc, whose traceback keeps this frame: it must not name the task.
        del task, job
        return False, exc
    finally:
        if stop_token is not None:
            _attempt_stop.reset(stop_token)
        _current.reset(token)


def _drive(task: Task[Any], gen: Generator[Any, Any, Any], stop: StopFlag | None) -> Any:
    """Each ``yield`` is progress (an item with ``on_item=``); the return value is the result."""
    try:
        while True:
            if task._resolved or (stop is not None and stop.stopped):
                gen.close()  # GeneratorExit at the yield: its finally blocks run
                raise TaskCancelled(f"{task._label()} stopped at a yield")
            try:
                value = next(gen)
            except StopIteration as stop:
                return stop.value
            stream = task._stream
            if stream is None:
                task.report_progress(value)
            else:
                stream.emit(value)
            if task._paused:  # the yielded value is delivered: wait before going on
                task._pause_point()
    finally:
        gen.close()
        del task  # a failure's traceback keeps this frame, and the task keeps the failure


async def _in_context(task: Task[Any], awaitable: Any) -> Any:
    token = _current.set(task)  # this asyncio task's own context copy
    try:
        return await awaitable
    finally:
        _current.reset(token)


async def run_coroutine(job: Job) -> Any:
    """The coroutine run on the pool's loop for a coroutine or async generator function."""
    task = job.task
    _enter(job)
    token = _current.set(task)
    if task._warning_cbs:
        _task_warnings.ensure()
    try:
        if job.kind is Kind.COROUTINE:
            return await job.fn(*job.args)
        agen = job.fn(*job.args)
        try:
            async for value in agen:
                stream = task._stream
                if stream is None:
                    task.report_progress(value)
                else:
                    stream.emit(value)
                if task._paused:
                    await _paused(task)
                if task._resolved:
                    break
        finally:
            await agen.aclose()
        return None
    except asyncio.CancelledError:
        if task._resolved:
            raise
        # The coroutine cancelled itself: the task counts as cancelled.
        raise TaskCancelled(f"{task._label()}: its coroutine was cancelled") from None
    finally:
        _current.reset(token)
        with task._lock:
            job.entered = False
        if task._resolved:
            # Its future was cancelled long ago; only now has the coroutine let go.
            task._mark_stopped()
        # A failure's traceback keeps this frame, and the task keeps the failure: naming
        # them here would be a cycle only the collector frees, on whichever thread it runs.
        del job, task


async def _paused(task: Task[Any]) -> None:
    """An async generator's pause point: wait, without holding the loop, for resume or an end."""
    loop = asyncio.get_running_loop()
    while True:
        woken: asyncio.Future[None] = loop.create_future()

        def wake(woken: asyncio.Future[None] = woken) -> None:  # any thread
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits
                loop.call_soon_threadsafe(_set_done, woken)

        with task._lock:
            if not task._paused:
                return
            task._pause_wakers.append(wake)
        await woken


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _enter(job: Job) -> None:
    task = job.task
    with task._lock:
        # Cancelled before the loop got to it: never enter (the scheduler books the stop).
        if task._resolved:
            raise TaskCancelled(f"{task._label()} stopped before its coroutine started")
        job.entered = True


def _run_coroutine_remote(fn: Callable[..., Any], *args: Any) -> Any:
    return asyncio.run(fn(*args))


def remote_call(job: Job) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """What to hand a foreign executor: picklable, no closures of ours."""
    if job.kind is Kind.COROUTINE:
        return _run_coroutine_remote, (job.fn, *job.args)
    return job.fn, job.args
