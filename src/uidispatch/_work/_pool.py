"""Pool: the priority worker pool whose results, progress and errors land on the UI thread."""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable, Coroutine, Generator, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .._core._dispatcher import Dispatcher
from .._core._errors import DispatcherClosed, NoBackendDetected
from .._core._fork import fork_error, in_child
from .._core._options import (
    check_count,
    check_max_workers,
    check_metadata,
    check_seconds,
    check_submit,
    default_workers,
    workers_from_env,
)
from .._core._priority import Priority
from .._core._registry import get_dispatcher
from .._services._breaker import PROBE, REFUSED, CircuitBreaker
from .._services._opstats import OperationStats, op_name
from .._services._ratelimit import RateLimiter
from . import _task
from ._busy import BusyHandle, BusyState, PoolBusy
from ._cooldown import Cooldown
from ._report import render
from ._runner import Job, Kind, kind_of
from ._scheduler import Scheduler
from ._services import check_services, refuse
from ._shutdown import shutdown_pool
from ._singleflight import Admit, SingleFlight, check_if_running
from ._stream import add_on_item, check_stream
from ._task import Task, TaskState

if TYPE_CHECKING:
    from ._subprocess import CommandResult

__all__ = ["Pool", "PoolStats", "submit"]

T = TypeVar("T")
logger = logging.getLogger("uidispatch")

_NORMAL = Priority.NORMAL
_live_pools: weakref.WeakSet[Pool] = weakref.WeakSet()


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of a :class:`Pool`'s counters; cheap to take and safe to share across threads."""

    submitted: int
    """Tasks created by ``submit`` (a ``key=`` hit returning an existing task is not one)."""
    queued: int
    """Tasks waiting to start now, including those waiting out a retry backoff."""
    running: int
    """Attempts running now (a cancelled attempt counts until its thread lets go)."""
    completed: int
    """Tasks that finished ``DONE``."""
    failed: int
    """Tasks that finished ``FAILED`` (timeouts included)."""
    cancelled: int
    """Tasks that finished ``CANCELLED``."""
    retried: int
    """Retries started after a failed attempt."""
    max_queued: int
    """The most tasks seen queued at once."""
    mean_run_ms: float
    """Mean wall time of the attempts that ran, in milliseconds."""
    max_run_ms: float
    """The longest attempt, in milliseconds."""
    workers: int = 0
    """Worker threads alive now (they start on demand and exit when idle)."""
    paused: bool = False
    """True while the error cooldown holds new starts back (see :meth:`Pool.resume`)."""
    reused: int = 0
    """Submits answered by an existing task: same ``key`` pending or running, or within ``ttl``."""
    dropped_callbacks: int = 0
    """Task callbacks (``on_done``, ``on_error``, ``on_progress``) never handed to the main
    thread because the task's app was gone (its dispatcher closed, no other app found) or
    the callback's owner was collected. Dropped quietly: an app that closes its window
    while tasks still report is no error."""
    dropped: int = 0
    """Submits turned away by ``if_running="drop"`` (the running task was returned)."""
    operations: Mapping[str, OperationStats] = field(default_factory=dict)
    """Per-operation health by task name: see :class:`~uidispatch.OperationStats`."""


class Pool(PoolBusy, concurrent.futures.Executor):
    """A worker pool whose task callbacks, progress and errors run on the main (UI) thread.

    ``max_workers`` defaults to ``(CPU count x 4) + 1`` with a floor of 12 (pool work is
    mostly I/O: commands, files, network), or ``UIDISPATCH_WORKERS`` when set. Threads
    start on demand and exit after ``idle_timeout`` seconds without work; they are
    daemon threads and interpreter exit cancels what is queued, so exit never hangs on a
    pool. Queued work starts in :class:`~uidispatch.Priority` order (FIFO within a
    priority) with ageing: a task gains one level per ``aging`` seconds of waiting.

    ``dispatcher`` (a :class:`~uidispatch.Dispatcher` or a backend name) delivers the
    callbacks; by default ``uidispatch.get_dispatcher()``, resolved when a callback is
    first needed, not here. ``executor`` sends the work to any
    :class:`concurrent.futures.Executor` (a process pool, loky, a Dask client's
    ``get_executor()``) while callbacks still land on the UI thread; there progress
    reports and cooperative cancellation of running work are unavailable, so generator
    functions and ``on_progress`` are refused, and ``max_workers`` caps the tasks in
    flight (default: the executor's own size when it has one).

    Error cooldown (off by default): with ``max_errors=N``, N failed tasks within
    ``error_window`` seconds pause new starts for ``error_window`` seconds, shown by
    :attr:`paused` and ``stats().paused`` and logged; :meth:`resume` ends it early. A
    task counts once, on its final failure (its retries do not count). For a service
    that goes down, prefer a :class:`~uidispatch.CircuitBreaker` per service: it stops
    only the calls to that service.

    ``Pool`` is a :class:`concurrent.futures.Executor`: ``map``, the context manager and
    ``loop.run_in_executor(pool, fn)`` work. All methods may be called from any thread.

    Durations (``idle_timeout``, ``aging``, ``error_window``) above 1e9 seconds mean
    "practically never" and are clamped to it; NaN, infinite or non-positive ones are
    refused.

    Raises:
        ValueError: a bad ``max_workers`` or ``UIDISPATCH_WORKERS``, or a duration that is
            NaN, infinite or not positive (named, with the value).
        TypeError: ``dispatcher`` or ``executor`` of the wrong type.

    """

    def __init__(
        self,
        max_workers: int | None = None,
        dispatcher: Dispatcher | str | None = None,
        executor: concurrent.futures.Executor | None = None,
        *,
        max_errors: int | None = None,
        error_window: float = 60.0,
        aging: float = 1.0,
        idle_timeout: float = 10.0,
        name: str = "uidispatch-pool",
    ) -> None:
        env_workers = workers_from_env()  # validated even when max_workers wins
        if dispatcher is not None and not isinstance(dispatcher, (Dispatcher, str)):
            raise TypeError(
                f"dispatcher must be a Dispatcher, a backend name or None, got {dispatcher!r}"
            )
        if executor is not None and not isinstance(executor, concurrent.futures.Executor):
            raise TypeError(f"executor must be a concurrent.futures.Executor, got {executor!r}")
        if max_workers is not None:
            size = check_max_workers(max_workers)
        elif executor is not None:
            own = getattr(executor, "_max_workers", None)
            size = own if isinstance(own, int) and own >= 1 else default_workers()
        else:
            size = env_workers or default_workers()
        if max_errors is not None:
            check_count("max_errors", max_errors, 1)
        self._max = self._max_workers = size  # the second: ThreadPoolExecutor's name
        self._dispatcher: Dispatcher | None = (
            dispatcher if isinstance(dispatcher, Dispatcher) else None
        )
        self._dispatcher_fixed = isinstance(dispatcher, Dispatcher)
        self._had_dispatcher = False
        self._backend_name = dispatcher if isinstance(dispatcher, str) else None
        if isinstance(dispatcher, Dispatcher):
            _forget_when_closed(self, dispatcher)
        self._executor = executor
        self._name = name
        self._sched = sched = Scheduler(
            max_workers=size,
            executor=executor,
            cooldown=Cooldown(
                max_errors, check_seconds("error_window", error_window, zero_ok=False)
            ),
            aging=check_seconds("aging", aging, zero_ok=False),
            idle_timeout=check_seconds("idle_timeout", idle_timeout, zero_ok=False),
            name=name,
        )
        self._lock = sched.lock
        self._keyed = SingleFlight()
        self._submitted = self._reused = self._dropped_callbacks = 0
        self._completed = self._failed = self._cancelled = 0
        self._live: dict[int, Task[Any]] = {}  # pending and running, by id: oldest first
        self._busy = BusyState()
        self._dropped = 0
        _live_pools.add(self)

    # ------------------------------------------------------------------ properties

    @property
    def max_workers(self) -> int:
        """The most tasks that run at once (threads, or tasks in flight on ``executor``)."""
        return self._max

    @property
    def executor(self) -> concurrent.futures.Executor | None:
        """The foreign executor work goes to, or ``None`` for the pool's own threads."""
        return self._executor

    @property
    def paused(self) -> bool:
        """True while the error cooldown holds new starts back. Any thread."""
        with self._lock:
            return self._sched.paused()

    def __repr__(self) -> str:
        state = "shut down" if self._sched.shutdown else ("paused" if self.paused else "open")
        where = f" executor={type(self._executor).__name__}" if self._executor else ""
        return f"<uidispatch.Pool {self._name!r} max_workers={self._max}{where} {state}>"

    # ------------------------------------------------------------------ submitting

    @overload
    def submit(
        self, fn: Callable[..., Coroutine[Any, Any, T]], /, *args: Any, **options: Any
    ) -> Task[T]: ...
    @overload
    def submit(
        self, fn: Callable[..., Generator[Any, Any, T]], /, *args: Any, **options: Any
    ) -> Task[T]: ...
    @overload
    def submit(self, fn: Callable[..., T], /, *args: Any, **options: Any) -> Task[T]: ...

    def submit(  # keywords are options, never forwarded
        self,
        fn: Callable[..., Any],
        /,
        *args: Any,
        priority: Priority = _NORMAL,
        timeout: float | None = None,
        retries: int = 0,
        backoff: float = 0.1,
        retry_on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
        key: Hashable | None = None,
        ttl: float | None = None,
        on_done: Callable[[Any], object] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        on_progress: Callable[[Any, str | None], object] | None = None,
        owner: object | None = None,
        if_running: str = "join",
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        on_item: Callable[[Any], object] | None = None,
        max_buffered: int | None = None,
        rate_limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        attempt_timeout: float | None = None,
    ) -> Task[Any]:
        """Run ``fn(*args)`` on the pool; return its :class:`~uidispatch.Task` at once. Any thread.

        Positional arguments are forwarded; keyword arguments are options, never
        forwarded (use ``functools.partial`` for the function's own keywords). A
        generator function reports each ``yield`` as progress ``(value, None)`` and its
        return value is the result; a coroutine function runs on the pool's background
        asyncio loop.

        Args:
            priority: start order among queued tasks; also the lane of its callbacks.
            timeout: seconds from the first start (retries and backoff included) after
                which the task fails with :class:`~uidispatch.TaskTimeout` and is told
                to stop; never retried.
            retries: extra attempts after a failure with an ``Exception`` other than
                cancellation and timeout, waiting ``backoff * 2 ** (n - 1)`` seconds
                (capped at 60, with jitter) before attempt ``n + 1``.
            retry_on: retry only these exception classes.
            key: per-key concurrency: what happens while a task with this key is
                pending or running is ``if_running``'s choice.
            ttl: with ``key`` and ``if_running="join"``: a task that succeeded is
                returned for this many seconds after it finished instead of running
                again.
            on_done / on_error / on_progress: main-thread callbacks; see
                :meth:`Task.on_done`, :meth:`Task.on_error`, :meth:`Task.on_progress`.
            owner: a widget, held weakly: callbacks are skipped once it is gone.
            if_running: with ``key``, while a task with that key is under way:
                ``"join"`` returns it with this call's callbacks added (single
                flight); ``"drop"`` returns it without them and counts
                ``stats().dropped``; ``"restart"`` cancels it and starts this one;
                ``"enqueue"`` starts this one after the earlier ones, in order;
                ``"keep_latest"`` keeps one task waiting, replacing (cancelling) the
                one waiting before.
            name: :attr:`Task.name`; by default the function's qualified name.
            metadata: :attr:`Task.metadata`, kept as a read-only copy.
            on_item: ``on_item(item)`` on the main thread for every item the task
                emits (:func:`~uidispatch.emit`), in order, in batches of one post per
                UI turn; a generator function's yields become items instead of
                progress. A cancelled task's undelivered items are discarded.
            max_buffered: with ``on_item``: the most items waiting for the main
                thread; a producer thread that gets ahead waits (and stops there
                with :class:`~uidispatch.TaskCancelled` when cancelled).
            rate_limiter: a :class:`~uidispatch.RateLimiter`: each attempt waits
                (``PENDING``, in priority order) for one of its calls.
            breaker: a :class:`~uidispatch.CircuitBreaker`: while it is open the task
                is returned already ``FAILED`` with :class:`~uidispatch.CircuitOpen`,
                without running; its final outcome is counted by the breaker.
            attempt_timeout: seconds each attempt may run; one that runs longer is a
                failed attempt (:class:`~uidispatch.TaskTimeout`), retried while
                ``retries`` remain, whatever ``retry_on`` says. A coroutine attempt is
                cancelled; a thread attempt is asked to stop (:func:`check_cancelled`
                raises in it) and its late outcome is dropped, while the retry runs
                on another worker.

        ``timeout``, ``backoff`` and ``ttl`` above 1e9 seconds mean "practically never"
        and are clamped to it: the pool's timer thread waits in steps it can hold.

        Raises:
            TypeError: ``fn`` or a callback is not callable, a callback is a coroutine,
                generator or async generator function (it would never run; ``fn`` may
                be one), ``owner`` cannot be weakly
                referenced, ``key`` is unhashable, a generator function is given to
                a pool with ``executor=``, ``name`` is not a string or ``metadata`` not
                a mapping.
            ValueError: a bad option value, ``ttl`` without ``key``, an ``if_running``
                other than ``"join"`` without ``key`` or with ``ttl``, ``max_buffered``
                without ``on_item``, or ``on_progress`` / ``on_item`` on a pool with
                ``executor=``.
            RuntimeError: after :meth:`shutdown`.

        """
        callbacks = (on_done, on_error, on_progress)
        priority, timeout, retries, backoff, retry_types, ttl = check_submit(
            fn, priority, timeout, retries, backoff, retry_on, key, ttl, *callbacks
        )
        if if_running != "join":
            if_running = check_if_running(if_running, key, ttl)
        if name is not None or metadata is not None:
            check_metadata(name, metadata)
        if on_item is not None or max_buffered is not None:
            max_buffered = check_stream(on_item, max_buffered)
        if rate_limiter is not None or breaker is not None or attempt_timeout is not None:
            attempt_timeout = check_services(rate_limiter, breaker, attempt_timeout)
        kind = kind_of(fn)
        if self._executor is not None:
            if kind in (Kind.GENERATOR, Kind.ASYNCGEN):
                raise TypeError(self._no_progress_message(f"a {kind.value} ({fn!r})"))
            if on_progress is not None or on_item is not None:
                what = "on_progress=" if on_progress is not None else "on_item="
                raise ValueError(self._no_progress_message(what))
        if on_done is not None or on_error is not None or on_progress is not None or on_item:
            self._try_dispatcher()
        existing = None
        if self._sched.shutdown:
            raise RuntimeError(f"cannot submit to {self!r}: it was shut down")
        if key is not None and (if_running == "join" or if_running == "drop"):
            with self._lock:
                if if_running == "join":
                    existing = self._keyed.find(key, self._sched.clock())
                else:
                    existing = self._keyed.running(key)
        if existing is None:
            task: Task[Any] = Task(
                name=getattr(fn, "__qualname__", type(fn).__name__) if name is None else name,
                priority=priority,
                key=key,
                owner=owner,
                host=self,
                metadata=metadata,
            )
            _attach(task, on_done, on_error, on_progress)
            if on_item is not None:
                add_on_item(task, on_item, task._owner, max_buffered)
            admitted = breaker._admit() if breaker is not None else 0
            if admitted == REFUSED and breaker is not None:
                return refuse(self, task, breaker)
            job = Job(
                task,
                fn,
                args,
                kind,
                retries=retries,
                backoff=backoff,
                retry_on=retry_types,
                timeout=timeout,
                ttl=ttl,
                stamp=self._sched.clock(),
            )
            task._job = job
            job.limiter, job.breaker, job.admitted = rate_limiter, breaker, admitted
            job.attempt_timeout = attempt_timeout
            admit = Admit.START
            doomed: list[Task[Any]] = []
            changed: list[BusyHandle] = []
            with self._lock:
                if self._sched.shutdown:
                    raise RuntimeError(f"cannot submit to {self!r}: it was shut down")
                if key is not None:
                    admit, existing, doomed = self._keyed.admit(key, if_running, task, job.stamp)
                if existing is None:
                    self._submitted += 1
                    self._live[task.id] = task
                    changed = self._busy.enter(key)
                    job.op = op = self._sched.ops.get(op_name(task.name))
                    op.submitted += 1
                    if admit is Admit.START:
                        self._sched.admit_locked(job)
                    else:
                        self._sched.held = self._keyed.waiting
            if existing is None:
                if changed:
                    self._busy.notify(self._dispatcher, changed)
                for old in doomed:  # restart / keep_latest: outside the lock, as they resolve
                    old.cancel()
                return task
            if breaker is not None and admitted == PROBE:
                breaker._record(admitted, "cancelled")  # the probe's place goes back
        if owner is not None:
            _task._weak(owner)  # same TypeError as a new task would raise
        if if_running == "drop":  # "already running": this caller's callbacks are not added
            with self._lock:
                self._dropped += 1
            return existing
        # Single flight: the caller gets the task already under way, with its callbacks.
        with self._lock:
            self._reused += 1
        _attach(existing, on_done, on_error, on_progress, owner=owner)
        if on_item is not None:
            add_on_item(existing, on_item, existing._owner if owner is None else _task._weak(owner))
        return existing

    def run_command(self, argv: Sequence[str], /, **options: Any) -> Task[CommandResult]:
        """Run a command on this pool, streaming its output lines; see ``run_command``."""
        # Within the layer: run_command's default is the default pool, defined here.
        from ._subprocess import run_command

        return run_command(argv, pool=self, **options)

    # ------------------------------------------------------------------ control

    def resume(self) -> None:
        """End an error cooldown now and forget the failures counted so far. Any thread."""
        with self._lock:
            self._sched.cooldown.resume()
            self._sched.kick_locked()

    def tasks(self) -> list[Task[Any]]:
        """The tasks pending or running now, oldest first (a snapshot). Any thread."""
        with self._lock:
            return list(self._live.values())

    def get(self, task_id: int) -> Task[Any] | None:
        """The pending or running task with this :attr:`Task.id`, or ``None``. Any thread."""
        with self._lock:
            return self._live.get(task_id)

    def stats(self) -> PoolStats:
        """Take a snapshot of the counters. Any thread."""
        sched = self._sched
        with self._lock:
            queued = sched.ready + sched.delayed + sched.held + sched.limited
            return PoolStats(
                submitted=self._submitted,
                queued=queued,
                running=sched.running,
                completed=self._completed,
                failed=self._failed,
                cancelled=self._cancelled,
                retried=sched.retried,
                max_queued=max(sched.max_queued, queued),
                mean_run_ms=sched.run_total / sched.runs * 1000.0 if sched.runs else 0.0,
                max_run_ms=sched.run_max * 1000.0,
                workers=sched.nthreads,
                paused=sched.paused(),
                reused=self._reused,
                dropped_callbacks=self._dropped_callbacks,
                dropped=self._dropped,
                operations=sched.ops.snapshot(),
            )

    def report(self) -> str:
        """A readable health table of this pool: one row per operation, slowest first.

        Then the pool's own figures and its dispatcher's (when one is bound). Meant for
        logs, a debug console or a "health" window. Any thread; cheap (a snapshot).
        """
        return render(self._name, self.stats(), self._dispatcher)

    # Returns a bool where Executor's returns None: callers of the base ignore it.
    def shutdown(  # type: ignore[override]
        self,
        wait: bool = True,
        *,
        cancel_pending: bool = False,
        cancel_running: bool = False,
        timeout: float | None = None,
        cancel_futures: bool = False,
    ) -> bool:
        """Stop accepting work; let queued work finish (or cancel it) and stop the threads.

        ``cancel_pending=True`` (or the standard ``cancel_futures=True``) cancels the
        tasks not started yet (retries waiting out a backoff, tasks held behind a key
        and tasks waiting for a rate limiter included); ``cancel_running=True`` cancels
        the running ones too (cooperatively: a thread stops at its next
        :func:`~uidispatch.check_cancelled` or ``yield``, a coroutine is cancelled).
        With ``wait=True`` it returns once every task has finished and every thread of
        the pool (workers, timer, asyncio loop) has exited, or once ``timeout`` seconds
        have passed. A cooldown ends at shutdown. Any thread but the pool's own with
        ``wait=True``; idempotent.

        Returns ``True`` when every worker stopped in time (always with
        ``wait=False``: nothing was waited for, and the threads exit by themselves).

        Raises:
            RuntimeError: ``wait=True`` from one of this pool's own threads (it would
                wait for itself), or, without ``timeout``, on the main thread while a
                task of this pool waits in ``Dispatcher.call()`` for that main thread
                (both would wait forever; the message names the thread).
            ValueError: ``timeout`` not a number of seconds >= 0.

        """
        if timeout is not None:
            timeout = check_seconds("timeout", timeout, zero_ok=True)
        return shutdown_pool(
            self,
            wait=wait,
            cancel_pending=cancel_pending or cancel_futures,
            cancel_running=cancel_running,
            timeout=timeout,
        )

    # ------------------------------------------------------------------ task host

    _supports_progress = property(lambda self: self._executor is None)

    def _no_progress_message(self, what: str) -> str:
        return (
            f"{what} needs progress reports, which only the pool's own threads give; this "
            f"pool runs work on {type(self._executor).__name__}, where progress and "
            "cooperative cancellation of running work are unavailable"
        )

    def _get_dispatcher(self) -> Dispatcher:
        d = self._dispatcher
        if d is not None and (self._dispatcher_fixed or not d.closed):
            return d
        if self._dispatcher_fixed:
            raise DispatcherClosed(f"{self!r}: its dispatcher= was closed")
        try:
            d = self._dispatcher = get_dispatcher(self._backend_name)
            _forget_when_closed(self, d)
        except NoBackendDetected:
            if d is None and not self._had_dispatcher:
                raise  # never had an app: the caller learns why
            # The app this pool delivered to ended and none replaced it: its tasks'
            # callbacks are dropped like those posted to the closed dispatcher.
            raise DispatcherClosed(
                f"{d!r} closed with its app and no other app is running"
            ) from None
        return d

    def _callback_dropped(self) -> None:
        """Count a task callback that could not be delivered. Any thread."""
        with self._lock:
            self._dropped_callbacks += 1

    def _try_dispatcher(self) -> None:
        # Bind while on the caller's (usually the main) thread, where detection sees the
        # app; if nothing is there yet, delivery tries again when it needs one.
        d = self._dispatcher
        if d is None or (d.closed and not self._dispatcher_fixed):
            with contextlib.suppress(Exception):
                self._get_dispatcher()

    def _after_fork_in_child(self) -> None:
        """Forked child: fresh locks and threads; the parent's tasks fail here, not run twice."""
        sched = self._sched
        sched.after_fork_in_child()
        self._lock = sched.lock
        inherited = list(self._live.values())
        self._live.clear()
        self._keyed = SingleFlight()
        self._busy = BusyState()  # the parent's tasks and watchers: none of them live here
        for task in inherited:
            task._host = None  # its books are the parent's: nothing to settle here
            task._fail_after_fork(fork_error(task))

    def _task_resolved(self, task: Task[Any], exc: BaseException | None = None) -> None:
        """Called by a task as it resolves, before its waiters wake."""
        job: Job | None = task._job
        state = task._phase
        ok, cancelled = state is TaskState.DONE, state is TaskState.CANCELLED
        with self._lock:
            if job is not None:
                self._sched.job_resolved_locked(job)
            if ok:
                self._completed += 1
            elif cancelled:
                self._cancelled += 1
            else:
                self._failed += 1
            self._live.pop(task.id, None)
            if job is not None and job.op is not None:
                job.op.resolved(ok, cancelled, exc)
            nxt = self._keyed.resolved(task, self._sched.clock()) if task.key is not None else None
            if nxt is not None:  # the next task waiting behind this key starts now
                nxt._job.stamp = self._sched.clock()
                self._sched.admit_locked(nxt._job)
            self._sched.held = self._keyed.waiting
            if job is not None and job.expires is None:
                # Task and Job name each other: a cycle that would hold the task's
                # exception (and the frames in its traceback) for the collector to free.
                task._job = None
            self._sched.finish_if_quiet_locked()
        if job is not None:
            job.release()
            if job.breaker is not None:
                job.breaker._record(
                    job.admitted, "ok" if ok else "cancelled" if cancelled else "failed"
                )


def _forget_when_closed(pool: Pool, d: Dispatcher) -> None:
    """Drop the pool's reference to ``d`` when it closes.

    A pool, and every task that keeps its pool, must not keep a closed dispatcher alive.
    """
    pool._had_dispatcher = True  # forgetting it below must not read as "never had one"
    ref = weakref.ref(pool)

    def forget(closing: Dispatcher) -> None:
        p = ref()
        if p is not None and p._dispatcher is closing:
            p._dispatcher = None

    d._on_close.append(forget)


def _attach(
    task: Task[Any],
    on_done: Callable[[Any], object] | None,
    on_error: Callable[[BaseException], object] | None,
    on_progress: Callable[[Any, str | None], object] | None,
    **owner: Any,
) -> None:
    if on_progress is not None:
        task.on_progress(on_progress, **owner)
    if on_done is not None:
        task.on_done(on_done, **owner)
    if on_error is not None:
        task.on_error(on_error, **owner)


# ---------------------------------------------------------------------- default pool

_default: Pool | None = None
_default_lock = threading.Lock()


def default_pool() -> Pool:
    """The process-wide pool behind :func:`uidispatch.submit`, created on first use."""
    global _default
    with _default_lock:
        if _default is None or _default._sched.shutdown:
            _default = Pool(name="uidispatch-default")
        return _default


def submit(fn: Callable[..., Any], /, *args: Any, **options: Any) -> Task[Any]:
    """:meth:`Pool.submit` on the process-wide default pool, created on first use. Any thread.

    The default pool is sized as ``Pool()`` is (``UIDISPATCH_WORKERS`` applies) and
    delivers callbacks through ``uidispatch.get_dispatcher()``.
    """
    return default_pool().submit(fn, *args, **options)


def _after_fork_in_child() -> None:
    """Make every pool usable in a forked child; see ``_fork``."""
    global _default_lock
    _default_lock = threading.Lock()
    for pool in list(_live_pools):
        pool._after_fork_in_child()


in_child(_after_fork_in_child)


@atexit.register
def _at_exit() -> None:
    # Daemon workers never block exit and nothing here waits: what is queued is
    # cancelled; running commands are stopped by the subprocess helper's own exit hook.
    _task.exiting = True
    for pool in list(_live_pools):
        try:
            sched = pool._sched
            with sched.lock:
                sched.shutdown = True
                jobs = sched.withdraw_all_locked()
                held = pool._keyed.withdraw_waiting()
                sched.held = 0
                sched.work.notify_all()
            for job in jobs:
                job.task.cancel()
            for task in held:
                task.cancel()
        except Exception:  # pragma: no cover - best effort at exit
            pass
